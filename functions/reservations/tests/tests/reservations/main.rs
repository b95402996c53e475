//! Reservations functions against moto through the real SDK: one test binary, grouped by topic.

mod booking;
mod hostile;
mod lifecycle;
mod reads;
mod resources;
mod samples;
mod steps;
mod support;

//! Catalog functions against moto through the real SDK: one test binary, grouped by topic.

mod holds;
mod hostile;
mod on_order;
mod products;
mod samples;
mod steps;
mod support;

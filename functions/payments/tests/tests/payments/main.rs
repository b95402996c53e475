//! Payments functions against moto through the real SDK: one test binary, grouped by topic.

mod hostile;
mod http_routes;
mod on_order;
mod on_reservation;
mod on_stock;
mod publisher;
mod samples;
mod steps;
mod support;
mod webhook;

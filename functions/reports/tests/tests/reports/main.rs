//! Reports functions against moto through the real SDK: one test binary, grouped by topic.

mod consumer;
mod dataset;
mod expected;
mod hostile;
mod read;
mod rebuild;
mod samples;
mod support;

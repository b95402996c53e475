//! Auth functions against moto through the real SDK: one test binary, grouped by topic.

mod authorizer;
mod bad_input;
mod flows;
mod hostile;
mod outbox;
mod projection;
mod samples;
mod support;
mod verification;

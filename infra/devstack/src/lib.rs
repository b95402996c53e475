//! Bazaar's local cloud. Reads template.yaml, provisions it into moto_server, serves the
//! HTTP API with the template's routes, authorizer, CORS and throttling, and runs every
//! SQS and DynamoDB Stream event source against `cargo lambda watch`.

pub mod dlq;
pub mod env;
pub mod fuzz;
pub mod gateway;
pub mod invoke;
pub mod keys;
pub mod metrics;
pub mod model;
pub mod outbox;
pub mod pattern;
pub mod pollers;
pub mod provision;
pub mod secrets;
pub mod seed;
pub mod template;
pub mod up;

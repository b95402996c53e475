//! Bazaar's local cloud. Reads template.yaml, provisions it into moto_server, serves the
//! HTTP API with the template's routes, authorizer, CORS and throttling, and runs every
//! SQS and DynamoDB Stream event source against `cargo lambda watch` (or, in tests, against
//! the functions in process: [`registry`]).

// `register_functions!` and `http_functions!`: template.yaml's function list (build.rs).
include!(concat!(env!("OUT_DIR"), "/functions.rs"));

pub mod dlq;
pub mod env;
pub mod fuzz;
pub mod gateway;
pub mod invoke;
pub mod keys;
pub mod least;
pub mod metrics;
pub mod model;
pub mod outbox;
pub mod pattern;
pub mod pollers;
pub mod provision;
pub mod registry;
pub mod secrets;
pub mod seed;
pub mod template;
pub mod up;
mod web;

//! Runtime glue shared by every Bazaar function: configuration from the environment, AWS
//! SDK configuration, JSON logs, EMF metrics, `application/problem+json` errors, the caller's identity
//! from the authorizer context, and correlation ids.

pub mod config;
pub mod correlation;
pub mod http;
pub mod identity;
pub mod logging;
pub mod metrics;
pub mod problem;

pub use correlation::CorrelationId;
pub use http::{ApiError, RequestCx};
pub use identity::Identity;
pub use problem::Problem;

/// The AWS SDK configuration every function builds its clients from, once, at init.
/// `AWS_ENDPOINT_URL` (set only locally) points every client at the emulator.
pub async fn sdk_config() -> aws_types::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

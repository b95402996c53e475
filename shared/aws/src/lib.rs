//! AWS helpers shared by the services: the transactional outbox (an event written in the
//! same DynamoDB transaction as the state change), its stream → EventBridge publisher,
//! SQS batch consumers with partial failures and a retry backoff, idempotency records, and cached SSM parameters.
//! Each SDK is behind a feature so a function links only the clients it uses.

pub mod consumer;
#[cfg(feature = "dynamodb")]
pub mod cursor;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
#[cfg(feature = "dynamodb")]
pub mod idempotency;
#[cfg(feature = "dynamodb")]
pub mod inbox;
pub mod outbox;
#[cfg(feature = "eventbridge")]
pub mod publisher;
#[cfg(feature = "dynamodb")]
pub mod quota;
pub mod redelivery;
#[cfg(feature = "ssm")]
pub mod ssm;
#[cfg(feature = "dynamodb")]
pub mod table;

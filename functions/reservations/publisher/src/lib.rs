//! Reservations's outbox publisher: DynamoDB stream records of `OUTBOX#` items → EventBridge.

pub use bazaar_aws::publisher::{Deps, handler};

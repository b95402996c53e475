//! Records every registered user (`UserRegistered` from auth) with the roles auth gave them
//! and counts them as members of those roles, exactly once per event and per user. Roles this
//! service does not know are ignored (logged). Emits nothing.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use permissions_core::consumer;

pub const CONSUMER: &str = "permissions-on-user";

pub use permissions_core::consumer::ConsumerDeps as Deps;

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::record_registrations(deps, CONSUMER, event.payload).await)
}

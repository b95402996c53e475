//! The registration consumer: every `UserRegistered` (from auth) becomes a user item with
//! the roles auth gave, counted once as members of those roles.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer;
use bazaar_events::auth::UserRegistered;

use crate::PermissionsStore;
use crate::flows;

/// Messages of a batch handled at once (users are independent; roles' counts are atomic adds).
pub const CONCURRENCY: usize = 10;

/// Records every registration of `batch` exactly once (the inbox marker is `consumer`'s);
/// anything but a `UserRegistered` is poison. Returns the failed messages.
pub async fn record_registrations(store: &PermissionsStore, consumer: &str, batch: SqsEvent) -> SqsBatchResponse {
    consumer::process(batch, CONCURRENCY, |message| record(store, consumer, message)).await
}

async fn record(store: &PermissionsStore, consumer: &str, message: SqsMessage) -> anyhow::Result<()> {
    let e = consumer::decode::<UserRegistered>(consumer::body(&message)?)?;
    let event_id = e.metadata.event_id.to_string();
    flows::register_user(store, consumer, &event_id, &e.data.user_id, &e.data.roles).await?;
    Ok(())
}

//! The registration consumer: every `UserRegistered` (from auth) becomes a user item with
//! the roles auth gave, counted once as members of those roles.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Retries};
use bazaar_events::auth::UserRegistered;

use crate::PermissionsStore;
use crate::flows;

/// Messages of a batch handled at once (users are independent; roles' counts are atomic adds).
pub const CONCURRENCY: usize = 10;

/// What the registration consumer depends on: the table, and when a failed message comes
/// back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
pub struct ConsumerDeps {
    pub store: PermissionsStore,
    pub retries: Retries,
}

impl ConsumerDeps {
    pub fn new(config: &aws_types::SdkConfig, env: &bazaar_runtime::config::Env) -> anyhow::Result<ConsumerDeps> {
        Ok(ConsumerDeps { store: PermissionsStore::from_env(config, env)?, retries: Retries::from_env(config, env)? })
    }
}

/// Records every registration of `batch` exactly once (the inbox marker is `consumer`'s);
/// anything but a `UserRegistered` is poison. Returns the failed messages.
pub async fn record_registrations(deps: &ConsumerDeps, consumer: &str, batch: SqsEvent) -> SqsBatchResponse {
    let store = &deps.store;
    consumer::process(batch, &deps.retries, CONCURRENCY, |message| record(store, consumer, message)).await
}

async fn record(store: &PermissionsStore, consumer: &str, message: SqsMessage) -> anyhow::Result<()> {
    let e = consumer::decode::<UserRegistered>(consumer::body(&message)?)?;
    let event_id = e.metadata.event_id.to_string();
    flows::register_user(store, consumer, &event_id, &e.data.user_id, &e.data.roles).await?;
    Ok(())
}

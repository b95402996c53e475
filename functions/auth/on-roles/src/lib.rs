//! `auth-on-roles` (SQS ← EventBridge `RoleChanged`, `UserRolesChanged`): keeps auth's
//! projection of what the permissions service decided, so the next token issued or
//! refreshed carries the user's current roles and permissions. Both events carry a version
//! and the whole new state, so applying only newer versions makes redeliveries and
//! out-of-order events harmless. Its rule routes only these two types, so anything else
//! (another type, another version, a body that is not an event) is poison: it fails and
//! ends in the DLQ, where it is seen, instead of being dropped.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::permissions::{RoleChanged, UserRolesChanged};
use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;

pub struct Deps {
    pub store: auth_core::AuthStore,
    /// When a failed message comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
    pub retries: consumer::Retries,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: auth_core::AuthStore::from_env(config, env)?,
            retries: consumer::Retries::from_env(config, env)?,
        })
    }
}

/// Messages handled at once (a batch is at most 10).
const CONCURRENCY: usize = 10;

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, &deps.retries, CONCURRENCY, |message| handle(deps, message)).await)
}

async fn handle(deps: &Deps, message: SqsMessage) -> anyhow::Result<()> {
    let delivered = Delivered::parse(consumer::body(&message)?)?;
    if delivered.is::<RoleChanged>() {
        let event = delivered.decode::<RoleChanged>()?.data;
        let applied = deps.store.apply_role_changed(&event).await?;
        tracing::info!(role = %event.role, version = event.version, deleted = event.deleted, applied, "role projected");
    } else if delivered.is::<UserRolesChanged>() {
        let event = delivered.decode::<UserRolesChanged>()?.data;
        let applied = deps.store.apply_user_roles(&event).await?;
        tracing::info!(user_id = %event.user_id, version = event.version, applied, "user roles projected");
    } else {
        anyhow::bail!("auth-on-roles does not consume {} from {}", delivered.detail_type, delivered.source);
    }
    Ok(())
}

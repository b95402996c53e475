//! `catalog-holds-expire` (every minute): releases `HELD` holds a grace period past their
//! expiry (reason `expired`), giving their units back to stock. Answers `{"released": n}`.

use bazaar_runtime::config::Env;
use catalog_core::{CatalogStore, flows};
use chrono::Utc;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

pub struct Deps {
    pub store: CatalogStore,
    /// Seconds past expiry before a hold is released (`HOLD_EXPIRY_GRACE_SECONDS`, default
    /// 300): covers events in flight, e.g. a payment that succeeded just in time.
    pub grace_seconds: i64,
    /// Holds released per run at most (`HOLD_EXPIRY_MAX_PER_RUN`, default 500); the next
    /// minute takes the rest.
    pub max_per_run: usize,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: CatalogStore::from_env(config, env)?,
            grace_seconds: env.parsed_or("HOLD_EXPIRY_GRACE_SECONDS", 300)?,
            max_per_run: env.parsed_or("HOLD_EXPIRY_MAX_PER_RUN", 500)?,
        })
    }
}

/// The scheduled event's content is not used: the clock decides what expired.
pub async fn handler(deps: &Deps, _event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let released = flows::release_expired(&deps.store, Utc::now(), deps.grace_seconds, deps.max_per_run).await?;
    Ok(json!({ "released": released }))
}

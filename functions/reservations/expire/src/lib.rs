//! `reservations-expire` (every minute): PENDING reservations past their hold become
//! CANCELLED (`expired`), their slots free again, with `ReservationCancelled`. Found by a
//! Query on the sparse PENDING index, never a Scan. Answers `{"expired": n}`.

use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;
use reservations_core::flows::lifecycle::expire_due;
use reservations_core::{Clock, ReservationsStore};
use serde_json::{Value, json};

pub struct Deps {
    pub store: ReservationsStore,
    pub clock: Clock,
    /// Reservations expired per run at most (`RESERVATION_EXPIRY_MAX_PER_RUN`, default 500); the next
    /// minute takes the rest.
    pub max_per_run: usize,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: ReservationsStore::from_env(config, env)?,
            clock: Clock::System,
            max_per_run: env.parsed_or("RESERVATION_EXPIRY_MAX_PER_RUN", 500)?,
        })
    }
}

/// The scheduled event's content is not used: the clock decides what expired.
pub async fn handler(deps: &Deps, _event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let expired = expire_due(&deps.store, deps.clock.now(), deps.max_per_run).await?;
    Ok(json!({ "expired": expired }))
}

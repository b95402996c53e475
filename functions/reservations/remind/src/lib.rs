//! `reservations-remind` (every hour): CONFIRMED reservations whose local date is tomorrow
//! in their resource's zone, not yet reminded, are marked reminded and emit
//! `ReservationReminderDue` in one conditional transaction each, so exactly once however
//! often it runs. Found by a Query on the sparse REMIND index. Answers `{"reminded": n}`.

use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;
use reservations_core::flows::lifecycle::remind_due;
use reservations_core::{Clock, ReservationsStore};
use serde_json::{Value, json};

pub struct Deps {
    pub store: ReservationsStore,
    pub clock: Clock,
    /// Reminders per run at most (`RESERVATION_REMINDER_MAX_PER_RUN`, default 500).
    pub max_per_run: usize,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: ReservationsStore::from_env(config, env)?,
            clock: Clock::System,
            max_per_run: env.parsed_or("RESERVATION_REMINDER_MAX_PER_RUN", 500)?,
        })
    }
}

/// The scheduled event's content is not used: the clock decides what is due.
pub async fn handler(deps: &Deps, _event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let reminded = remind_due(&deps.store, deps.clock.now(), deps.max_per_run).await?;
    Ok(json!({ "reminded": reminded }))
}

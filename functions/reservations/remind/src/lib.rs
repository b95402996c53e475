//! `reservations-remind` (every hour): CONFIRMED reservations whose local date is tomorrow
//! in their resource's zone, not yet reminded, are marked reminded and emit
//! `ReservationReminderDue` in one conditional transaction each, so exactly once however
//! often it runs. Found by a Query on the sparse REMIND index. Answers `{"reminded": n}`.

use lambda_runtime::LambdaEvent;
use reservations_core::flows::lifecycle::remind_due;
use serde_json::{Value, json};

pub use reservations_core::SweepDeps as Deps;

/// The scheduled event's content is not used: the clock decides what is due.
pub async fn handler(deps: &Deps, _event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let reminded = remind_due(&deps.store, deps.clock.now(), deps.max_per_run).await?;
    Ok(json!({ "reminded": reminded }))
}

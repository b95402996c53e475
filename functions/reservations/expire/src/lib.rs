//! `reservations-expire` (every minute): PENDING reservations past their hold become
//! CANCELLED (`expired`), their slots free again, with `ReservationCancelled`. Found by a
//! Query on the sparse PENDING index, never a Scan. Answers `{"expired": n}`.

use lambda_runtime::LambdaEvent;
use reservations_core::flows::lifecycle::expire_due;
use serde_json::{Value, json};

pub use reservations_core::SweepDeps as Deps;

/// The scheduled event's content is not used: the clock decides what expired.
pub async fn handler(deps: &Deps, _event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let expired = expire_due(&deps.store, deps.clock.now(), deps.max_per_run).await?;
    Ok(json!({ "expired": expired }))
}

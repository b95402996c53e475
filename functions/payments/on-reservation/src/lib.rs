//! `payments-on-reservation` (SQS ← EventBridge `ReservationRequested`, `ReservationCancelled`
//! from `bazaar.reservations`): creates the reservation's payment once (settled at once in
//! simulated mode), and on cancellation fails a PENDING payment or refunds a SUCCEEDED one.
//! Each event applies once (inbox marker); only the messages that failed are reported.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::reservations::{ReservationCancelled, ReservationRequested};
use lambda_runtime::LambdaEvent;
use payments_core::reservation;

pub use payments_core::ProviderDeps as Deps;

/// Messages handled at once (a batch is at most 10).
const CONCURRENCY: usize = 10;

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, &deps.retries, CONCURRENCY, |message| handle(deps, message)).await)
}

/// One message: an error returns it to the queue (and, after its retries, to the DLQ).
async fn handle(deps: &Deps, message: SqsMessage) -> anyhow::Result<()> {
    let delivered = Delivered::parse(consumer::body(&message)?)?;
    let now = chrono::Utc::now();
    if delivered.is::<ReservationRequested>() {
        let event = delivered.decode::<ReservationRequested>()?;
        reservation::on_reservation_requested(&deps.store, &deps.settings, &event, now).await?;
    } else if delivered.is::<ReservationCancelled>() {
        let event = delivered.decode::<ReservationCancelled>()?;
        reservation::on_reservation_cancelled(&deps.store, &event, now).await?;
    } else {
        anyhow::bail!("payments-on-reservation does not consume {} from {}", delivered.detail_type, delivered.source);
    }
    Ok(())
}

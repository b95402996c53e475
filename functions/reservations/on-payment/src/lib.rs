//! Moves reservations on the payment's outcome: `PaymentSucceeded` → CONFIRMED with
//! `ReservationConfirmed`, `PaymentFailed` → CANCELLED (`payment_failed`, slots freed) with
//! `ReservationCancelled`. Only payments whose subject is a reservation; an order's payment
//! is acknowledged untouched. Exactly once per event (inbox marker); anything else is poison.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::payments::{PaymentFailed, PaymentSucceeded, Subject, SubjectKind};
use lambda_runtime::LambdaEvent;
use reservations_core::Trigger;
use reservations_core::flows::lifecycle::apply_payment;

pub const CONSUMER: &str = "reservations-on-payment";
/// Messages of a batch handled at once (reservations are independent; one reservation's
/// events are serialized by its conditional writes).
pub const CONCURRENCY: usize = 10;

pub struct Deps {
    pub store: reservations_core::ReservationsStore,
    pub clock: reservations_core::Clock,
    /// When a failed message comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
    pub retries: consumer::Retries,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &bazaar_runtime::config::Env) -> anyhow::Result<Deps> {
        let table = reservations_core::TableDeps::new(config, env)?;
        Ok(Deps { store: table.store, clock: table.clock, retries: consumer::Retries::from_env(config, env)? })
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, &deps.retries, CONCURRENCY, |message| handle(deps, message)).await)
}

/// A payment outcome as this consumer needs it.
struct Outcome {
    subject: Subject,
    trigger: Trigger,
    event_id: String,
    correlation_id: String,
}

fn outcome(delivered: Delivered) -> anyhow::Result<Outcome> {
    if delivered.is::<PaymentSucceeded>() {
        let e = delivered.decode::<PaymentSucceeded>()?;
        Ok(Outcome {
            subject: e.data.subject,
            trigger: Trigger::PaymentSucceeded,
            event_id: e.metadata.event_id.to_string(),
            correlation_id: e.metadata.correlation_id,
        })
    } else if delivered.is::<PaymentFailed>() {
        let e = delivered.decode::<PaymentFailed>()?;
        Ok(Outcome {
            subject: e.data.subject,
            trigger: Trigger::PaymentFailed,
            event_id: e.metadata.event_id.to_string(),
            correlation_id: e.metadata.correlation_id,
        })
    } else {
        anyhow::bail!("unexpected event {} from {}", delivered.detail_type, delivered.source)
    }
}

async fn handle(deps: &Deps, message: SqsMessage) -> anyhow::Result<()> {
    let o = outcome(Delivered::parse(consumer::body(&message)?)?)?;
    if o.subject.kind != SubjectKind::Reservation {
        tracing::info!(kind = o.subject.kind.as_str(), "not a reservation's payment; acknowledged");
        return Ok(());
    }
    let now = deps.clock.now();
    apply_payment(&deps.store, CONSUMER, &o.subject.id, o.trigger, &o.event_id, &o.correlation_id, now).await?;
    Ok(())
}

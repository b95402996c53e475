//! Builds the reports' read models: each `OrderPaid`, `PaymentSucceeded`,
//! `PaymentRefunded`, `ReservationConfirmed`, `ReservationCancelled` and
//! `ReservationCheckedIn` adds its [`reports_core::apply`] deltas exactly once (inbox
//! markers in the same transactions). Another event of the contract (an `OrderPlaced`,
//! which the rule does not route) is a well-formed fact the reports do not count: it is
//! acknowledged and ignored, as the reports' samples and tests specify. Anything else is
//! poison (it fails and ends in the DLQ): a body that is not a valid event of these types,
//! another version of one, or a type or source the contract does not have.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;
use reports_core::{ReportEvent, ReportsStore, apply};

/// Messages of a batch handled at once. Low on purpose: every event of a day updates the
/// same `ALL` items, so more would mostly add transaction conflicts.
pub const CONCURRENCY: usize = 4;

pub struct Deps {
    pub store: ReportsStore,
    /// When a failed message comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
    pub retries: consumer::Retries,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: ReportsStore::from_env(config, env)?, retries: consumer::Retries::from_env(config, env)? })
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, &deps.retries, CONCURRENCY, |message| handle(deps, message)).await)
}

async fn handle(deps: &Deps, message: SqsMessage) -> anyhow::Result<()> {
    let delivered = Delivered::parse(consumer::body(&message)?)?;
    let (source, detail_type) = (delivered.source.clone(), delivered.detail_type.clone());
    let unread = delivered.unread();
    let Some(event) = ReportEvent::decode(delivered)? else {
        unread?;
        tracing::info!(%source, %detail_type, "not an event the reports count; ignored");
        return Ok(());
    };
    let deltas = apply(&event);
    let recorded = deps.store.record(&event, &deltas).await?;
    tracing::info!(
        detail_type = event.detail_type,
        day = %event.day,
        deltas = deltas.len(),
        applied = recorded.applied,
        skipped = recorded.skipped,
        "event counted"
    );
    Ok(())
}

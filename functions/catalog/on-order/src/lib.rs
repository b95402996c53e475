//! `catalog-on-order` (SQS): `OrderPlaced` reserves stock (or rejects the order),
//! `OrderPaid` settles the hold, `OrderCancelled` and `PaymentFailed` (of an order; a
//! reservation's is acknowledged and ignored) release it. Each event
//! is applied once (inbox marker in the same transaction); a message that cannot be decoded
//! fails alone and ends in the DLQ after its retries.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::catalog::ReleaseReason;
use bazaar_events::orders::{OrderCancelled, OrderPaid, OrderPlaced};
use bazaar_events::payments::{PaymentFailed, SubjectKind};
use bazaar_events::{Envelope, Event};
use bazaar_runtime::config::Env;
use catalog_core::CatalogStore;
use chrono::Utc;
use lambda_runtime::LambdaEvent;

/// Messages of one batch handled at once (distinct orders; conflicts on a shared product
/// are retried by the store).
pub const CONCURRENCY: usize = 4;

pub struct Deps {
    pub store: CatalogStore,
    /// How long a hold waits for payment (`STOCK_HOLD_TTL_SECONDS`, default 900).
    pub hold_ttl_seconds: i64,
    /// When a failed message comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
    pub retries: consumer::Retries,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: CatalogStore::from_env(config, env)?,
            hold_ttl_seconds: env.parsed_or("STOCK_HOLD_TTL_SECONDS", 900)?,
            retries: consumer::Retries::from_env(config, env)?,
        })
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(
        event.payload,
        &deps.retries,
        CONCURRENCY,
        |message| async move { handle(deps, &message).await },
    )
    .await)
}

/// One message: an error returns it to the queue (and, after 5 receives, to the DLQ).
pub async fn handle(deps: &Deps, message: &SqsMessage) -> anyhow::Result<()> {
    let delivered = Delivered::parse(consumer::body(message)?)?;
    let now = Utc::now();
    if delivered.is::<OrderPlaced>() {
        let placed = delivered.decode::<OrderPlaced>()?;
        let outcome = deps.store.reserve(&placed, deps.hold_ttl_seconds, now).await?;
        tracing::info!(order_id = %placed.data.order_id, ?outcome, "order placed handled");
    } else if delivered.is::<OrderPaid>() {
        let paid = delivered.decode::<OrderPaid>()?;
        let outcome = deps.store.settle(&paid.data.order_id, &paid.metadata.event_id.to_string(), now).await?;
        tracing::info!(order_id = %paid.data.order_id, ?outcome, "order paid handled");
    } else if delivered.is::<OrderCancelled>() {
        let cancelled = delivered.decode::<OrderCancelled>()?;
        release(deps, &cancelled, &cancelled.data.order_id, ReleaseReason::OrderCancelled).await?;
    } else if delivered.is::<PaymentFailed>() {
        let failed = delivered.decode::<PaymentFailed>()?;
        let subject = &failed.data.subject;
        if subject.kind != SubjectKind::Order {
            // A reservation's payment: it never held stock.
            tracing::info!(subject_kind = subject.kind.as_str(), "payment of something else than an order ignored");
            return Ok(());
        }
        release(deps, &failed, &subject.id, ReleaseReason::PaymentFailed).await?;
    } else {
        anyhow::bail!("catalog-on-order does not consume {} from {}", delivered.detail_type, delivered.source);
    }
    Ok(())
}

async fn release<T: Event>(
    deps: &Deps,
    event: &Envelope<T>,
    order_id: &str,
    reason: ReleaseReason,
) -> anyhow::Result<()> {
    let event_id = event.metadata.event_id.to_string();
    let cause = Some((event_id.as_str(), event.metadata.correlation_id.as_str()));
    let outcome = deps.store.release(order_id, reason, cause, Utc::now()).await?;
    tracing::info!(order_id, detail_type = T::DETAIL_TYPE, ?outcome, "hold release handled");
    Ok(())
}

//! The driver of the orders service's SQS consumers. orders-on-stock and orders-on-payment
//! each move orders on one of two saga events and differ only in which two (payments of
//! reservations are acknowledged and ignored); orders-on-product shares their dependencies
//! and batch concurrency.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered, Retries};
use bazaar_events::Event;
use bazaar_events::catalog::{StockRejected, StockReserved};
use bazaar_events::payments::{PaymentFailed, PaymentSucceeded, Subject, SubjectKind};

use crate::{OrdersStore, Trigger, flows};

/// Messages of a batch handled at once (orders are independent; one order's events are
/// serialized by the conditional status change).
pub const CONCURRENCY: usize = 10;

/// What the orders service's consumers depend on: the table, and when a failed message
/// comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
pub struct ConsumerDeps {
    pub store: OrdersStore,
    pub retries: Retries,
}

impl ConsumerDeps {
    pub fn new(config: &aws_types::SdkConfig, env: &bazaar_runtime::config::Env) -> anyhow::Result<ConsumerDeps> {
        Ok(ConsumerDeps { store: OrdersStore::from_env(config, env)?, retries: Retries::from_env(config, env)? })
    }
}

/// A saga event, and the trigger it is to the order's state machine.
pub trait SagaEvent: Event {
    const TRIGGER: Trigger;
    /// The order the event is about; `None` when it is about something else (a
    /// reservation's payment), which the orders service acknowledges and ignores.
    fn into_order_id(self) -> Option<String>;
}

/// `impl SagaEvent` for each `Event => Trigger` pair; `|e| order` names the order of an event `e`.
macro_rules! saga_events {
    ($($event:ty => $trigger:ident, |$e:ident| $order:expr;)*) => {$(
        impl SagaEvent for $event {
            const TRIGGER: Trigger = Trigger::$trigger;
            fn into_order_id(self) -> Option<String> {
                let $e = self;
                $order
            }
        }
    )*};
}

saga_events! {
    StockReserved => StockReserved, |e| Some(e.order_id);
    StockRejected => StockRejected, |e| Some(e.order_id);
    PaymentSucceeded => PaymentSucceeded, |e| order_of(e.subject);
    PaymentFailed => PaymentFailed, |e| order_of(e.subject);
}

/// The order a payment is for, if it is an order's payment.
fn order_of(subject: Subject) -> Option<String> {
    (subject.kind == SubjectKind::Order).then_some(subject.id)
}

/// Applies every message of `batch`, each an `A` or a `B`, to its order exactly once (the
/// inbox marker is `consumer`'s); anything else is poison. Returns the failed messages.
pub async fn apply_batch<A: SagaEvent, B: SagaEvent>(
    deps: &ConsumerDeps,
    consumer: &str,
    batch: SqsEvent,
) -> SqsBatchResponse {
    let store = &deps.store;
    consumer::process(batch, &deps.retries, CONCURRENCY, |message| apply_message::<A, B>(store, consumer, message))
        .await
}

async fn apply_message<A: SagaEvent, B: SagaEvent>(
    store: &OrdersStore,
    consumer: &str,
    message: SqsMessage,
) -> anyhow::Result<()> {
    let delivered = Delivered::parse(consumer::body(&message)?)?;
    if delivered.is::<A>() {
        apply::<A>(store, consumer, delivered).await
    } else if delivered.is::<B>() {
        apply::<B>(store, consumer, delivered).await
    } else {
        anyhow::bail!("unexpected event {} from {}", delivered.detail_type, delivered.source);
    }
}

async fn apply<T: SagaEvent>(store: &OrdersStore, consumer: &str, delivered: Delivered) -> anyhow::Result<()> {
    let e = delivered.decode::<T>()?;
    let event_id = e.metadata.event_id.to_string();
    let Some(order_id) = e.data.into_order_id() else {
        tracing::info!(%event_id, detail_type = T::DETAIL_TYPE, "not about an order; ignored");
        return Ok(());
    };
    flows::apply_event(store, consumer, &order_id, T::TRIGGER, &event_id, &e.metadata.correlation_id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_orders_payment_names_an_order() {
        assert_eq!(order_of(Subject::order("o-1")), Some("o-1".to_owned()));
        assert_eq!(order_of(Subject::reservation("o-1")), None);
    }
}

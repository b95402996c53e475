//! The driver of the orders service's SQS consumers. orders-on-stock and orders-on-payment
//! each move orders on one of two saga events and differ only in which two; orders-on-product
//! shares their dependencies and batch concurrency.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::Event;
use bazaar_events::catalog::{StockRejected, StockReserved};
use bazaar_events::payments::{PaymentFailed, PaymentSucceeded};

use crate::{OrdersStore, Trigger, flows};

/// Messages of a batch handled at once (orders are independent; one order's events are
/// serialized by the conditional status change).
pub const CONCURRENCY: usize = 10;

/// A saga event about one order, and the trigger it is to the order's state machine.
pub trait SagaEvent: Event {
    const TRIGGER: Trigger;
    fn into_order_id(self) -> String;
}

macro_rules! saga_event {
    ($($event:ty => $trigger:ident),* $(,)?) => {$(
        impl SagaEvent for $event {
            const TRIGGER: Trigger = Trigger::$trigger;
            fn into_order_id(self) -> String {
                self.order_id
            }
        }
    )*};
}

saga_event! {
    StockReserved => StockReserved,
    StockRejected => StockRejected,
    PaymentSucceeded => PaymentSucceeded,
    PaymentFailed => PaymentFailed,
}

/// Applies every message of `batch`, each an `A` or a `B`, to its order exactly once (the
/// inbox marker is `consumer`'s); anything else is poison. Returns the failed messages.
pub async fn apply_batch<A: SagaEvent, B: SagaEvent>(
    store: &OrdersStore,
    consumer: &str,
    batch: SqsEvent,
) -> SqsBatchResponse {
    consumer::process(batch, CONCURRENCY, |message| apply_message::<A, B>(store, consumer, message)).await
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
    let order_id = e.data.into_order_id();
    flows::apply_event(store, consumer, &order_id, T::TRIGGER, &event_id, &e.metadata.correlation_id).await?;
    Ok(())
}

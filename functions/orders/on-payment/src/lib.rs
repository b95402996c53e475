//! Moves orders on the payment's outcome: `PaymentSucceeded` → PAID with `OrderPaid`,
//! `PaymentFailed` → CANCELLED with `OrderCancelled(payment_failed)`. A payment may succeed
//! before the order saw its `StockReserved`. Exactly once per event (inbox marker).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::payments::{PaymentFailed, PaymentSucceeded};
use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;
use orders_core::{OrdersStore, Trigger, flows};

pub const CONSUMER: &str = "orders-on-payment";

/// Messages of a batch handled at once (orders are independent; one order's events are
/// serialized by the conditional status change).
pub const CONCURRENCY: usize = 10;

pub struct Deps {
    pub store: OrdersStore,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: OrdersStore::from_env(config, env)? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, CONCURRENCY, |message| handle(deps, message)).await)
}

async fn handle(deps: &Deps, message: SqsMessage) -> anyhow::Result<()> {
    let delivered = Delivered::parse(consumer::body(&message)?)?;
    let (order_id, trigger, metadata) = if delivered.is::<PaymentSucceeded>() {
        let e = delivered.decode::<PaymentSucceeded>()?;
        (e.data.order_id, Trigger::PaymentSucceeded, e.metadata)
    } else if delivered.is::<PaymentFailed>() {
        let e = delivered.decode::<PaymentFailed>()?;
        (e.data.order_id, Trigger::PaymentFailed, e.metadata)
    } else {
        anyhow::bail!("unexpected event {} from {}", delivered.detail_type, delivered.source);
    };
    let event_id = metadata.event_id.to_string();
    flows::apply_event(&deps.store, CONSUMER, &order_id, trigger, &event_id, &metadata.correlation_id).await?;
    Ok(())
}

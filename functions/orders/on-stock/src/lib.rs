//! Moves orders on the catalog's answer: `StockReserved` → AWAITING_PAYMENT,
//! `StockRejected` → REJECTED with `OrderCancelled(stock_rejected)`. Exactly once per event
//! (inbox marker); events that do not apply to the order's status are acknowledged.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::catalog::{StockRejected, StockReserved};
use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;
use orders_core::{OrdersStore, Trigger, flows};

pub const CONSUMER: &str = "orders-on-stock";

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
    let (order_id, trigger, metadata) = if delivered.is::<StockReserved>() {
        let e = delivered.decode::<StockReserved>()?;
        (e.data.order_id, Trigger::StockReserved, e.metadata)
    } else if delivered.is::<StockRejected>() {
        let e = delivered.decode::<StockRejected>()?;
        (e.data.order_id, Trigger::StockRejected, e.metadata)
    } else {
        anyhow::bail!("unexpected event {} from {}", delivered.detail_type, delivered.source);
    };
    let event_id = metadata.event_id.to_string();
    flows::apply_event(&deps.store, CONSUMER, &order_id, trigger, &event_id, &metadata.correlation_id).await?;
    Ok(())
}

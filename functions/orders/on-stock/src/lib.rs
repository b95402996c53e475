//! Moves orders on the catalog's answer: `StockReserved` → AWAITING_PAYMENT,
//! `StockRejected` → REJECTED with `OrderCancelled(stock_rejected)`. Exactly once per event
//! (inbox marker); events that do not apply to the order's status are acknowledged.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use bazaar_events::catalog::{StockRejected, StockReserved};
use lambda_runtime::LambdaEvent;
use orders_core::consumer;

pub const CONSUMER: &str = "orders-on-stock";

pub use orders_core::consumer::ConsumerDeps as Deps;

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::apply_batch::<StockReserved, StockRejected>(deps, CONSUMER, event.payload).await)
}

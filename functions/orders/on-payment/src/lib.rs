//! Moves orders on the payment's outcome: `PaymentSucceeded` → PAID with `OrderPaid`,
//! `PaymentFailed` → CANCELLED with `OrderCancelled(payment_failed)`. A payment may succeed
//! before the order saw its `StockReserved`. Exactly once per event (inbox marker). Only
//! payments whose subject is an order count: a reservation's payment is acknowledged and
//! ignored.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use bazaar_events::payments::{PaymentFailed, PaymentSucceeded};
use lambda_runtime::LambdaEvent;
use orders_core::consumer;

pub const CONSUMER: &str = "orders-on-payment";

pub use orders_core::consumer::ConsumerDeps as Deps;

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::apply_batch::<PaymentSucceeded, PaymentFailed>(deps, CONSUMER, event.payload).await)
}

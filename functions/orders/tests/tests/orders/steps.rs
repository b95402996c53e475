//! Steps the orders test files share: an order placed (and moved on by the saga's events),
//! the events the consumers receive, and the checks of a response and of a cancellation.

use bazaar_events::catalog::{ShortLine, StockLine, StockRejected, StockReserved};
use bazaar_events::orders::{CancelReason, OrderCancelled};
use bazaar_events::payments::{PaymentFailed, PaymentSucceeded, Subject, payment_id_for_order};
use bazaar_events::{Envelope, Money};
use bazaar_runtime::Identity;
use lambda_http::{Body, Response};
use orders_core::OrderStatus;
use serde_json::Value;

use crate::support::*;

/// Asserts `r` has `status`; returns its body.
pub fn expect_status(r: &Response<Body>, status: u16) -> Value {
    assert_eq!(r.status(), status, "{}", text(r));
    body_json(r)
}

/// Places a one-line order as `who`; returns its id.
pub async fn placed_id(app: &TestApp, who: &Identity) -> String {
    app.placed_order(who).await["id"].as_str().expect("id").to_owned()
}

/// Asserts order `id` is `status` for `reason`, with exactly one `OrderCancelled`, for
/// `cancel_reason`; returns that event.
pub async fn cancelled_once(
    app: &TestApp,
    id: &str,
    status: OrderStatus,
    reason: &str,
    cancel_reason: CancelReason,
) -> Envelope<OrderCancelled> {
    let order = app.order(id).await;
    assert_eq!((order.status, order.status_reason.as_deref()), (status, Some(reason)));
    let mut events = app.events_of::<OrderCancelled>(id).await;
    assert_eq!(events.len(), 1, "exactly one OrderCancelled: {events:?}");
    assert_eq!(events[0].data.reason, cancel_reason);
    events.remove(0)
}

// ── the saga's events, as orders-on-stock and orders-on-payment receive them ──

pub fn reserved(order_id: &str, total: Money) -> Envelope<StockReserved> {
    Envelope::new(
        StockReserved {
            order_id: order_id.to_owned(),
            customer_id: "c".into(),
            lines: vec![StockLine { product_id: "p".into(), quantity: 1 }],
            total,
            hold_expires_at: chrono::Utc::now() + chrono::Duration::minutes(15),
        },
        "corr-stock",
    )
}

pub fn rejected(order_id: &str) -> Envelope<StockRejected> {
    Envelope::new(
        StockRejected {
            order_id: order_id.to_owned(),
            customer_id: "c".into(),
            short: vec![ShortLine { product_id: "p".into(), requested: 2, available: 1 }],
        },
        "corr-stock",
    )
}

pub fn succeeded(order_id: &str, amount: Money) -> Envelope<PaymentSucceeded> {
    Envelope::new(
        PaymentSucceeded {
            payment_id: payment_id_for_order(order_id),
            subject: Subject::order(order_id),
            customer_id: "c".into(),
            amount,
            provider_ref: "sim_1".into(),
        },
        "corr-pay",
    )
}

pub fn failed(order_id: &str, amount: Money) -> Envelope<PaymentFailed> {
    Envelope::new(
        PaymentFailed {
            payment_id: payment_id_for_order(order_id),
            subject: Subject::order(order_id),
            customer_id: "c".into(),
            amount,
            reason: "declined".into(),
        },
        "corr-pay",
    )
}

/// Runs orders-on-stock on one batch of `bodies` (ids m0, m1, …); returns the failed ids.
pub async fn on_stock(app: &TestApp, bodies: &[String]) -> Vec<String> {
    failed_ids(&orders_on_stock::handler(&deps!(app, orders_on_stock), sqs(bodies)).await.expect("handled"))
}

/// Runs orders-on-payment on one batch of `bodies` (ids m0, m1, …); returns the failed ids.
pub async fn on_payment(app: &TestApp, bodies: &[String]) -> Vec<String> {
    failed_ids(&orders_on_payment::handler(&deps!(app, orders_on_payment), sqs(bodies)).await.expect("handled"))
}

/// Delivers a StockReserved for `order_id`.
pub async fn reserve(app: &TestApp, order_id: &str) {
    let total = app.order(order_id).await.total;
    assert!(on_stock(app, &[delivered(&reserved(order_id, total))]).await.is_empty());
}

/// Delivers a PaymentSucceeded for `order_id`.
pub async fn pay(app: &TestApp, order_id: &str) {
    let total = app.order(order_id).await.total;
    assert!(on_payment(app, &[delivered(&succeeded(order_id, total))]).await.is_empty());
}

//! The consumers: the product projection, the saga transitions, redelivery (a batch handled
//! twice changes nothing more) and poison messages (only they are reported failed).

use bazaar_events::orders::{CancelReason, OrderCancelled, OrderPaid};
use bazaar_events::payments::{Subject, payment_id_for_order};
use bazaar_events::{Envelope, Money};
use orders_core::OrderStatus;
use serde_json::json;

use crate::steps::*;
use crate::support::*;

/// A new order placed by a new customer: its id and total.
async fn new_order(app: &TestApp) -> (String, Money) {
    let id = placed_id(app, &customer()).await;
    let total = app.order(&id).await.total;
    (id, total)
}

/// Nine new orders and, for each, the body `event` makes of its id and total.
async fn nine_orders(app: &TestApp, event: impl Fn(&str, Money) -> String) -> (Vec<String>, Vec<String>) {
    let (mut ids, mut bodies) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        let (id, total) = new_order(app).await;
        bodies.push(event(&id, total));
        ids.push(id);
    }
    (ids, bodies)
}

/// Delivers `body` to `consumer` and redelivers the same batch: both are acknowledged.
async fn delivered_twice(app: &TestApp, consumer: impl AsyncFn(&TestApp, &[String]) -> Vec<String>, body: String) {
    let batch = [body];
    for delivery in 1..=2 {
        let failed = consumer(app, &batch).await;
        assert!(failed.is_empty(), "delivery {delivery}: {failed:?}");
    }
}

// ── orders-on-product ──

#[tokio::test]
async fn the_projection_keeps_only_the_newest_version_of_a_product() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4().to_string();
    app.project(&[product_changed(&id, 100, "EUR", true, 2)]).await;
    app.project(&[product_changed(&id, 999, "EUR", true, 1)]).await;
    let p = app.store().product(&id).await.expect("read").expect("projected");
    assert_eq!((p.version, p.price.amount_minor), (2, 100), "an older version changes nothing");

    app.project(&[product_changed(&id, 300, "USD", false, 3)]).await;
    let p = app.store().product(&id).await.expect("read").expect("projected");
    assert_eq!((p.version, p.price, p.active), (3, Money::new(300, "USD"), false));
    assert_eq!(p.owner_id, OWNER, "the owner is projected");
}

#[tokio::test]
async fn a_redelivered_product_batch_changes_nothing() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4().to_string();
    let on_product = async |app: &TestApp, bodies: &[String]| {
        failed_ids(&orders_on_product::handler(&deps!(app, orders_on_product), sqs(bodies)).await.expect("handled"))
    };
    delivered_twice(&app, on_product, delivered(&Envelope::new(product_changed(&id, 100, "EUR", true, 1), "c"))).await;
    let p = app.store().product(&id).await.expect("read").expect("projected");
    assert_eq!(p.version, 1);
}

#[tokio::test]
async fn a_poison_product_message_fails_alone() {
    let app = TestApp::spawn().await;
    let ids: Vec<String> = (0..9).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let mut bodies: Vec<String> =
        ids.iter().map(|id| delivered(&Envelope::new(product_changed(id, 100, "EUR", true, 1), "c"))).collect();
    bodies.insert(4, "{\"detail-type\": \"ProductChanged\", \"source\": \"bazaar.catalog\", \"detail\": 42}".into());

    let r = orders_on_product::handler(&deps!(app, orders_on_product), sqs(&bodies)).await.expect("handled");

    assert_eq!(failed_ids(&r), vec!["m4"]);
    for id in &ids {
        assert!(app.store().product(id).await.expect("read").is_some(), "{id} applied");
    }
}

// ── orders-on-stock ──

#[tokio::test]
async fn stock_reserved_moves_a_pending_order_to_awaiting_payment_once() {
    let app = TestApp::spawn().await;
    let (id, total) = new_order(&app).await;
    let batch = vec![delivered(&reserved(&id, total))];
    let before = app.outbox().await.len();

    for _ in 0..2 {
        assert!(on_stock(&app, &batch).await.is_empty());
        let order = app.order(&id).await;
        assert_eq!(order.status, OrderStatus::AwaitingPayment);
        assert_eq!(order.status_reason, None);
    }
    assert_eq!(app.outbox().await.len(), before, "AWAITING_PAYMENT emits nothing");
}

#[tokio::test]
async fn stock_rejected_rejects_the_order_and_emits_one_order_cancelled() {
    let app = TestApp::spawn().await;
    let (id, _) = new_order(&app).await;
    delivered_twice(&app, on_stock, delivered(&rejected(&id))).await;

    let cancelled =
        cancelled_once(&app, &id, OrderStatus::Rejected, "stock_rejected", CancelReason::StockRejected).await;
    assert_eq!(cancelled.metadata.correlation_id, "corr-stock");
}

#[tokio::test]
async fn a_poison_stock_message_fails_alone() {
    let app = TestApp::spawn().await;
    let (ids, mut bodies) = nine_orders(&app, |id, total| delivered(&reserved(id, total))).await;
    bodies.insert(7, "not json at all".into());

    assert_eq!(on_stock(&app, &bodies).await, vec!["m7"]);
    for id in &ids {
        assert_eq!(app.order(id).await.status, OrderStatus::AwaitingPayment);
    }
}

#[tokio::test]
async fn events_for_unknown_orders_or_of_the_wrong_type_are_handled_as_designed() {
    let app = TestApp::spawn().await;
    // An order this service never placed: nothing to move, acknowledged.
    assert!(on_stock(&app, &[delivered(&rejected("no-such-order"))]).await.is_empty());
    // A payment event on the stock queue is misrouted: it fails (and ends in the DLQ).
    let wrong = delivered(&succeeded("no-such-order", Money::new(1, "EUR")));
    assert_eq!(on_stock(&app, &[wrong]).await, vec!["m0"]);
}

// ── orders-on-payment ──

#[tokio::test]
async fn payment_succeeded_pays_the_order_and_emits_one_order_paid() {
    let app = TestApp::spawn().await;
    let (id, total) = new_order(&app).await;
    reserve(&app, &id).await;
    delivered_twice(&app, on_payment, delivered(&succeeded(&id, total.clone()))).await;

    let order = app.order(&id).await;
    assert_eq!(order.status, OrderStatus::Paid);
    let events = app.events_of::<OrderPaid>(&id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.total, total);
    assert_eq!(events[0].data.payment_id, payment_id_for_order(&id));
    assert_eq!(events[0].data.customer_email, order.customer_email);
    assert_eq!(events[0].metadata.correlation_id, "corr-pay");
}

#[tokio::test]
async fn a_payment_that_overtakes_the_reservation_still_pays_the_order() {
    let app = TestApp::spawn().await;
    let (id, total) = new_order(&app).await;

    pay(&app, &id).await;
    assert_eq!(app.order(&id).await.status, OrderStatus::Paid);
    reserve(&app, &id).await;

    assert_eq!(app.order(&id).await.status, OrderStatus::Paid, "a late StockReserved is ignored");
    assert_eq!(app.events_of::<OrderPaid>(&id).await.len(), 1);
    // A failure after success changes nothing either.
    assert!(on_payment(&app, &[delivered(&failed(&id, total))]).await.is_empty());
    assert_eq!(app.order(&id).await.status, OrderStatus::Paid);
    assert!(app.events_of::<OrderCancelled>(&id).await.is_empty());
}

#[tokio::test]
async fn payment_failed_cancels_the_order_and_emits_one_order_cancelled() {
    let app = TestApp::spawn().await;
    let (id, total) = new_order(&app).await;
    reserve(&app, &id).await;
    delivered_twice(&app, on_payment, delivered(&failed(&id, total))).await;

    cancelled_once(&app, &id, OrderStatus::Cancelled, "payment_failed", CancelReason::PaymentFailed).await;
}

#[tokio::test]
async fn payments_of_reservations_are_acknowledged_and_ignored() {
    let app = TestApp::spawn().await;
    let (id, total) = new_order(&app).await;
    reserve(&app, &id).await;
    let before = app.outbox().await.len();
    // A reservation whose id happens to be this order's: its payments are not the order's.
    let mut paid = succeeded(&id, total.clone());
    paid.data.subject = Subject::reservation(id.clone());
    paid.data.payment_id = paid.data.subject.payment_id();
    let mut declined = failed(&id, total);
    declined.data.subject = Subject::reservation(id.clone());

    assert!(on_payment(&app, &[delivered(&paid), delivered(&declined)]).await.is_empty(), "acknowledged");

    let order = app.order(&id).await;
    assert_eq!(order.status, OrderStatus::AwaitingPayment, "the order did not move");
    assert_eq!(app.outbox().await.len(), before, "no event");
    // The order's own payment still pays it.
    pay(&app, &id).await;
    assert_eq!(app.order(&id).await.status, OrderStatus::Paid);
}

#[tokio::test]
async fn a_poison_payment_message_fails_alone() {
    let app = TestApp::spawn().await;
    let (ids, mut bodies) = nine_orders(&app, |id, total| delivered(&succeeded(id, total))).await;
    bodies.insert(
        0,
        json!({ "detail-type": "PaymentSucceeded", "source": "bazaar.payments", "detail": { "data": {} } }).to_string(),
    );

    assert_eq!(on_payment(&app, &bodies).await, vec!["m0"]);
    for id in &ids {
        assert_eq!(app.order(id).await.status, OrderStatus::Paid);
        assert_eq!(app.events_of::<OrderPaid>(id).await.len(), 1);
    }
}

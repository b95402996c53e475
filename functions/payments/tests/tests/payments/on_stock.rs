//! `payments-on-stock`: one payment per order, settled at once when simulated, applied once
//! under redelivery, and a poison message fails alone.

use bazaar_events::Envelope;
use bazaar_events::catalog::StockReserved;
use bazaar_events::payments::Subject;
use bazaar_testkit::events::{batch, batch_of};
use chrono::{Duration, Utc};
use payments_core::PaymentStatus;

use crate::steps::*;
use crate::support::*;

/// A new order of cust-1 for `amount_minor` EUR whose hold expires in 15 minutes.
fn reserved(amount_minor: i64) -> Envelope<StockReserved> {
    stock_reserved("cust-1", amount_minor, Utc::now() + Duration::minutes(15))
}

#[tokio::test]
async fn manual_mode_creates_a_pending_payment_and_emits_nothing() {
    let app = TestApp::spawn().await;
    let reserved = reserved(4200);
    reserve(&app, &reserved).await;
    let payment = app.payment(&payment_id_of(&reserved)).await.expect("created");
    assert_eq!(payment.status, PaymentStatus::Pending);
    assert_eq!(payment.subject, Subject::order(reserved.data.order_id.clone()));
    assert_eq!(payment.hold_expires_at, reserved.data.hold_expires_at);
    assert_eq!(payment.payer, "cust-1");
    assert_eq!(payment.amount, reserved.data.total);
    assert!(app.outbox().await.is_empty(), "a pending payment emits no event");
}

#[tokio::test]
async fn a_simulated_success_settles_at_once_with_payment_succeeded() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let reserved = reserved(999);
    reserve(&app, &reserved).await;
    let payment = app.payment(&payment_id_of(&reserved)).await.expect("created");
    let event = succeeded_once(&app, &payment.payment_id).await;
    assert_eq!(event.data.subject, Subject::order(reserved.data.order_id.clone()));
    assert_eq!(event.data.customer_id, "cust-1");
    assert_eq!(event.data.amount, reserved.data.total);
    assert!(event.data.provider_ref.starts_with("sim_"));
    assert_eq!(Some(&event.data.provider_ref), payment.provider_ref.as_ref());
    assert_eq!(event.metadata.correlation_id, reserved.metadata.correlation_id, "the flow's correlation id");
}

#[tokio::test]
async fn a_simulated_decline_fails_with_payment_failed() {
    let app = TestApp::spawn_with(&simulated("0")).await;
    let reserved = reserved(999);
    reserve(&app, &reserved).await;
    failed_once(&app, &payment_id_of(&reserved), "declined").await;
}

#[tokio::test]
async fn a_seeded_simulation_decides_by_seed_and_order_id() {
    let app = TestApp::spawn_with(&[
        ("PaymentProviderMode", "simulated"),
        ("PaymentSuccessRate", "0.5"),
        ("PaymentSimulationSeed", "repeatable"),
    ])
    .await;
    let orders: Vec<_> = (0..8).map(|_| reserved(100)).collect();
    let bodies: Vec<String> = orders.iter().map(delivered).collect();
    assert!(app.deliver(batch_of(&bodies)).await.batch_item_failures.is_empty());
    for order in &orders {
        let expected = payments_core::simulate::succeeds(0.5, Some("repeatable"), &order.data.order_id);
        let payment = app.payment(&payment_id_of(order)).await.expect("created");
        let want = if expected { PaymentStatus::Succeeded } else { PaymentStatus::Failed };
        assert_eq!(payment.status, want, "order {}", order.data.order_id);
    }
}

#[tokio::test]
async fn a_reservation_whose_hold_already_expired_fails_the_payment_as_expired() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let reserved = stock_reserved("cust-1", 500, Utc::now() - Duration::seconds(1));
    reserve(&app, &reserved).await;
    failed_once(&app, &payment_id_of(&reserved), "expired").await;
}

#[tokio::test]
async fn a_redelivered_batch_creates_one_payment_and_one_event() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let reserved = reserved(1234);
    reserve(&app, &reserved).await;
    let after_first = app.snapshot().await;
    reserve(&app, &reserved).await;
    assert_eq!(app.snapshot().await, after_first, "the redelivery changed nothing");
    assert_eq!(app.outbox().await.len(), 1, "one event in the outbox");
    assert_eq!(app.payment(&payment_id_of(&reserved)).await.expect("payment").status, PaymentStatus::Succeeded);
}

#[tokio::test]
async fn the_same_order_reserved_again_under_a_new_event_id_keeps_its_one_payment() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let reserved = reserved(1234);
    let mut again = reserved.clone();
    again.metadata.event_id = uuid::Uuid::new_v4();
    reserve(&app, &reserved).await;
    reserve(&app, &again).await;
    assert_eq!(app.outbox().await.len(), 1, "the order is charged once");
}

#[tokio::test]
async fn a_poison_message_is_the_only_failure_of_its_batch() {
    let app = TestApp::spawn().await;
    let orders: Vec<_> = (0..9).map(|_| reserved(100)).collect();
    let mut bodies: Vec<String> = orders.iter().map(delivered).collect();
    bodies
        .insert(4, r#"{"detail-type": "StockReserved", "source": "bazaar.catalog", "detail": {"nope": true}}"#.into());
    let event = batch(bodies.into_iter().enumerate().map(|(i, body)| (format!("msg-{i}"), body)));
    assert_eq!(event.records.len(), 10);
    let response = app.deliver(event).await;
    assert_eq!(failed_sorted(&response), ["msg-4"]);
    for order in &orders {
        assert!(app.payment(&payment_id_of(order)).await.is_some(), "the 9 good messages were applied");
    }
}

#[tokio::test]
async fn a_message_that_is_not_stock_reserved_or_not_json_fails() {
    let app = TestApp::spawn().await;
    let other = r#"{"detail-type": "StockRejected", "source": "bazaar.catalog", "detail": {}}"#;
    let response = app.deliver(sqs_event(&[("a", "not json"), ("b", other)])).await;
    assert_eq!(failed_sorted(&response), ["a", "b"]);
    assert!(app.snapshot().await.is_empty());
}

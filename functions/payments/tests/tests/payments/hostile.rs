//! The consumers under hostile messages: each one fails alone (it ends in the DLQ), and the
//! valid events around it in the batch are applied.

use bazaar_events::orders::CancelReason;
use bazaar_testkit::events::hostile::HostileBatch;
use chrono::{Duration, Utc};
use payments_core::PaymentStatus;

use crate::support::*;

/// Asserts the first and the last payment exist with `status`, the hostile template's not.
async fn payments(app: &TestApp, [first, hostile, last]: &[String; 3], status: PaymentStatus) {
    for id in [first, last] {
        assert_eq!(app.payment(id).await.map(|p| p.status), Some(status), "{id}");
    }
    assert_eq!(app.payment(hostile).await, None, "no hostile message made a payment");
}

#[tokio::test]
async fn on_stock_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let reserved = [(); 3].map(|()| stock_reserved(&new_customer(), 4200, Utc::now() + Duration::minutes(15)));
    let [first, hostile, last] = reserved.each_ref().map(delivered);
    let mut batch = HostileBatch::new(&first, &hostile, &last);
    let received = app.received("payments-on-stock", &mut batch.batch).await.expect("through the queue");
    batch.assert_only_hostile_failed(&app.deliver(batch.batch.clone()).await);
    received.assert_only_these_return(&batch.hostile).await;
    payments(&app, &reserved.each_ref().map(payment_id_of), PaymentStatus::Pending).await;
}

#[tokio::test]
async fn on_order_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let reserved = [(); 3].map(|()| stock_reserved(&new_customer(), 4200, Utc::now() + Duration::minutes(15)));
    let [first, hostile, last] =
        reserved.each_ref().map(|r| delivered(&order_cancelled(r, CancelReason::CustomerRequest)));
    let mut batch = HostileBatch::new(&first, &hostile, &last);
    let received = app.received("payments-on-order", &mut batch.batch).await.expect("through the queue");
    batch.assert_only_hostile_failed(&app.deliver_order(batch.batch.clone()).await);
    received.assert_only_these_return(&batch.hostile).await;
    // A cancellation before any payment leaves a FAILED tombstone.
    payments(&app, &reserved.each_ref().map(payment_id_of), PaymentStatus::Failed).await;
}

#[tokio::test]
async fn on_reservation_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let bookings = [(); 3].map(|()| booking(&new_customer(), 3000));
    let expires_at = Utc::now() + Duration::minutes(20);
    let [first, hostile, last] = bookings.each_ref().map(|b| delivered(&reservation_requested(b, expires_at)));
    let mut batch = HostileBatch::new(&first, &hostile, &last);
    let received = app.received("payments-on-reservation", &mut batch.batch).await.expect("through the queue");
    batch.assert_only_hostile_failed(&app.deliver_reservation(batch.batch.clone()).await);
    received.assert_only_these_return(&batch.hostile).await;
    payments(&app, &bookings.each_ref().map(reservation_payment_id), PaymentStatus::Pending).await;
}

//! `payments-on-reservation`: a reservation's payment is created once (settled at once when
//! simulated), failed while PENDING or refunded once SUCCEEDED when the reservation is
//! cancelled, and a cancellation that overtakes the request leaves a tombstone. The HTTP
//! routes and the webhook work on reservation payments as on order payments.

use bazaar_events::payments::{Cancellation, MoneyOutcome, PaymentRefunded, Subject};
use chrono::{Duration, Utc};
use payments_core::{Payment, PaymentStatus};
use serde_json::json;

use crate::steps::*;
use crate::support::*;

/// A reservation of a new customer whose payment was created (and settled per the app's mode).
async fn requested(app: &TestApp) -> bazaar_events::reservations::Booking {
    let booking = booking(&new_customer(), 3000);
    let expires_at = Utc::now() + Duration::minutes(20);
    app.reservation_events(&[delivered(&reservation_requested(&booking, expires_at))]).await;
    booking
}

async fn payment_of(app: &TestApp, booking: &bazaar_events::reservations::Booking) -> Payment {
    app.payment(&reservation_payment_id(booking)).await.expect("payment exists")
}

#[tokio::test]
async fn a_simulated_success_settles_a_reservation_payment_with_payment_succeeded() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let booking = booking("cust-r", 3000);
    let expires_at = Utc::now() + Duration::minutes(20);
    let event = reservation_requested(&booking, expires_at);
    app.reservation_events(&[delivered(&event)]).await;

    let payment = payment_of(&app, &booking).await;
    assert_eq!(payment.subject, Subject::reservation(booking.reservation_id.clone()));
    assert_eq!((payment.payer.as_str(), &payment.amount), ("cust-r", &booking.amount));
    assert_eq!(payment.hold_expires_at, expires_at);
    let succeeded = succeeded_once(&app, &payment.payment_id).await;
    assert_eq!(succeeded.data.subject, Subject::reservation(booking.reservation_id.clone()));
    assert_eq!(succeeded.data.amount, booking.amount);
    assert_eq!(succeeded.metadata.correlation_id, event.metadata.correlation_id);
}

#[tokio::test]
async fn a_simulated_decline_fails_a_reservation_payment_with_payment_failed() {
    let app = TestApp::spawn_with(&simulated("0")).await;
    let booking = requested(&app).await;
    let event = failed_once(&app, &reservation_payment_id(&booking), "declined").await;
    assert_eq!(event.data.subject, Subject::reservation(booking.reservation_id.clone()));
}

#[tokio::test]
async fn a_redelivered_request_creates_one_payment_and_one_event() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let booking = booking(&new_customer(), 3000);
    let body = delivered(&reservation_requested(&booking, Utc::now() + Duration::minutes(20)));
    app.reservation_events(std::slice::from_ref(&body)).await;
    let after_first = app.snapshot().await;
    app.reservation_events(&[body.clone(), body]).await;
    assert_eq!(app.snapshot().await, after_first, "the redeliveries changed nothing");
    assert_eq!(app.outbox().await.len(), 1);
}

#[tokio::test]
async fn an_order_and_a_reservation_with_the_same_id_have_distinct_payments() {
    let app = TestApp::spawn().await;
    let reserved = stock_reserved("cust-1", 4200, Utc::now() + Duration::minutes(15));
    let mut booking = booking("cust-1", 3000);
    booking.reservation_id = reserved.data.order_id.clone();
    reserve(&app, &reserved).await;
    app.reservation_events(&[delivered(&reservation_requested(&booking, Utc::now() + Duration::minutes(20)))]).await;
    assert_eq!(app.payment(&payment_id_of(&reserved)).await.expect("order's").amount.amount_minor, 4200);
    assert_eq!(payment_of(&app, &booking).await.amount.amount_minor, 3000);
}

#[tokio::test]
async fn completing_a_reservation_payment_by_hand_succeeds_with_its_subject() {
    let app = TestApp::sandbox().await;
    let booking = requested(&app).await;
    let payment = payment_of(&app, &booking).await;
    assert_eq!(payment.status, PaymentStatus::Pending, "the sandbox mode waits for the payer");
    assert!(app.outbox().await.is_empty());

    let payer = customer(&booking.customer_id);
    let body = ok_body(&get(&app, &payment.payment_id, Some(&payer)).await);
    assert_eq!(body["subject"], json!({"kind": "reservation", "id": booking.reservation_id}));

    let body = ok_body(&complete(&app, &payment.payment_id, &payer, "corr-res-complete").await);
    assert_eq!(body["status"], "SUCCEEDED");
    let succeeded = succeeded_once(&app, &payment.payment_id).await;
    assert_eq!(succeeded.data.subject, Subject::reservation(booking.reservation_id.clone()));
    assert_eq!(succeeded.metadata.correlation_id, "corr-res-complete");
    assert_problem(&get(&app, &payment.payment_id, Some(&customer("stranger"))).await, 404);
}

#[tokio::test]
async fn a_reservation_payment_is_payable_until_the_reservation_expires_not_the_order_window() {
    let app = TestApp::sandbox().await;
    let subject = Subject::reservation(uuid::Uuid::new_v4().to_string());
    // Older than the order payment window (PAYMENT_WINDOW_SECONDS, 900).
    let (_, r) = complete_created_ago(&app, subject, Duration::seconds(901)).await;
    ok_body(&r);
}

#[tokio::test]
async fn the_payer_may_cancel_a_pending_reservation_payment() {
    let app = TestApp::spawn().await;
    let booking = requested(&app).await;
    let payment = payment_of(&app, &booking).await;
    let body = ok_body(&cancel(&app, &payment.payment_id, &customer(&booking.customer_id), "c").await);
    assert_eq!(body["failure_reason"], "cancelled_by_payer");
    let event = failed_once(&app, &payment.payment_id, "cancelled_by_payer").await;
    assert_eq!(event.data.subject.kind, bazaar_events::payments::SubjectKind::Reservation);
}

#[tokio::test]
async fn a_webhook_settles_a_reservation_payment() {
    let app = TestApp::spawn().await;
    let booking = requested(&app).await;
    let payment = payment_of(&app, &booking).await;
    let body = json!({"event_id": "evt_res_1", "payment_id": payment.payment_id, "outcome": "succeeded"}).to_string();
    let r =
        payments_webhook::handler(&deps!(app, payments_webhook), webhook_request(&body, Some(&signed(&body)))).await;
    assert_eq!(body_json(&r), json!({"status": "applied", "payment_status": "SUCCEEDED"}));
    let succeeded = succeeded_once(&app, &payment.payment_id).await;
    assert_eq!(succeeded.data.subject, Subject::reservation(booking.reservation_id.clone()));
}

#[tokio::test]
async fn cancelling_a_paid_reservation_with_a_refund_refunds_once_under_redelivery() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let booking = requested(&app).await;
    assert_eq!(payment_of(&app, &booking).await.status, PaymentStatus::Succeeded);
    let cancelled = reservation_cancelled(&booking, true, true);
    let body = delivered(&cancelled);

    // Twice in one batch (handled concurrently), then redelivered once more.
    app.reservation_events(&[body.clone(), body.clone()]).await;
    let after_first = app.snapshot().await;
    app.reservation_events(std::slice::from_ref(&body)).await;
    assert_eq!(app.snapshot().await, after_first, "the redelivery changed nothing");

    let payment = payment_of(&app, &booking).await;
    assert_eq!(payment.status, PaymentStatus::Refunded);
    let refund_ref = payment.refund_ref.clone().expect("a refund reference");
    assert!(refund_ref.starts_with("refund-"), "{refund_ref}");
    assert!(payment.provider_ref.is_some(), "the charge's reference is kept");
    let refunds = app.events::<PaymentRefunded>().await;
    assert_eq!(refunds.len(), 1, "exactly one PaymentRefunded");
    let settled = settled_once(&app, MoneyOutcome::Refunded).await;
    assert_eq!(settled.data.cancellation, Cancellation::Reservation(cancelled.data.clone()));
    let refund = &refunds[0];
    assert_eq!(refund.data.subject, Subject::reservation(booking.reservation_id.clone()));
    assert_eq!((&refund.data.customer_id, &refund.data.amount), (&booking.customer_id, &booking.amount));
    assert_eq!(refund.data.provider_ref, refund_ref);
    assert_eq!(refund.metadata.correlation_id, cancelled.metadata.correlation_id);

    let r = body_json(&get(&app, &payment.payment_id, Some(&admin())).await);
    assert_eq!((r["status"].clone(), r["refund_ref"].clone()), (json!("REFUNDED"), json!(refund_ref)));
}

#[tokio::test]
async fn a_paid_confirmed_reservation_cancelled_without_a_refund_keeps_its_payment() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let booking = requested(&app).await;
    let before = app.snapshot().await;
    app.reservation_events(&[delivered(&reservation_cancelled(&booking, true, false))]).await;
    assert_eq!(payment_of(&app, &booking).await.status, PaymentStatus::Succeeded);
    assert!(app.events::<PaymentRefunded>().await.is_empty());
    settled_once(&app, MoneyOutcome::Charged).await; // the customer is told the money is kept
    // Apart from that event and the inbox marker, nothing changed.
    let after = app.snapshot().await;
    let added: Vec<&String> = after.iter().filter(|i| !before.contains(i)).collect();
    assert_eq!(added.len(), 2, "{added:?}");
    assert!(added.iter().any(|i| i.contains("OUTBOX#")) && added.iter().any(|i| i.contains("PROCESSED#")));
}

#[tokio::test]
async fn a_payment_that_succeeded_for_a_never_confirmed_reservation_is_refunded() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let booking = requested(&app).await;
    // The reservation expired before it saw the payment: it was never confirmed.
    app.reservation_events(&[delivered(&reservation_cancelled(&booking, false, false))]).await;
    assert_eq!(payment_of(&app, &booking).await.status, PaymentStatus::Refunded);
    assert_eq!(app.events::<PaymentRefunded>().await.len(), 1);
}

#[tokio::test]
async fn cancelling_a_reservation_with_a_pending_payment_fails_it_as_cancelled_once() {
    let app = TestApp::sandbox().await;
    let booking = requested(&app).await;
    let body = delivered(&reservation_cancelled(&booking, false, true));
    app.reservation_events(&[body.clone(), body.clone()]).await;
    app.reservation_events(&[body]).await;

    let payment_id = reservation_payment_id(&booking);
    let event = failed_once(&app, &payment_id, "cancelled").await;
    assert_eq!(event.data.subject, Subject::reservation(booking.reservation_id.clone()));
    assert!(app.events::<PaymentRefunded>().await.is_empty(), "nothing was charged");
    settled_once(&app, MoneyOutcome::NothingCharged).await; // one word to the customer
    // The payer can no longer pay it.
    assert_problem(&complete(&app, &payment_id, &customer(&booking.customer_id), "c").await, 409);
}

#[tokio::test]
async fn a_cancellation_that_overtakes_the_request_leaves_a_tombstone_and_no_charge() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let booking = booking(&new_customer(), 3000);
    app.reservation_events(&[delivered(&reservation_cancelled(&booking, false, false))]).await;
    let tombstone = payment_of(&app, &booking).await;
    assert_eq!((tombstone.status, tombstone.failure_reason.as_deref()), (PaymentStatus::Failed, Some("cancelled")));
    settled_once(&app, MoneyOutcome::NothingCharged).await;
    assert_eq!(app.outbox().await.len(), 1, "only CancellationSettled: no payment event for one that never existed");

    app.reservation_events(&[delivered(&reservation_requested(&booking, Utc::now() + Duration::minutes(20)))]).await;
    assert_eq!(payment_of(&app, &booking).await, tombstone, "the late request created nothing");
    assert_eq!(app.outbox().await.len(), 1, "and charged nothing");
}

#[tokio::test]
async fn poison_and_foreign_messages_fail_alone() {
    let app = TestApp::spawn().await;
    let good = booking(&new_customer(), 3000);
    let good_body = delivered(&reservation_requested(&good, Utc::now() + Duration::minutes(20)));
    let wrong = delivered(&stock_reserved("cust-1", 100, Utc::now() + Duration::minutes(15)));
    let broken = r#"{"detail-type": "ReservationCancelled", "source": "bazaar.reservations", "detail": {"data": {}}}"#;
    let response =
        app.deliver_reservation(sqs_event(&[("a", "not json"), ("b", &wrong), ("c", broken), ("d", &good_body)])).await;
    assert_eq!(failed_sorted(&response), ["a", "b", "c"]);
    assert_eq!(payment_of(&app, &good).await.status, PaymentStatus::Pending);
}

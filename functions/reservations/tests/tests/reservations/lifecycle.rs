//! A reservation's life: paid → confirmed → checked in; unpaid → expired; cancelled by its
//! customer or its owner (with the refund rule); reminders; and every step exactly once
//! under redelivery and repetition.

use bazaar_events::reservations::{
    ReservationCancelReason, ReservationCancelled, ReservationCheckedIn, ReservationConfirmed, ReservationReminderDue,
    ReservationRequested,
};
use bazaar_events::{Envelope, Money};
use chrono::{Duration, Utc};
use reservations_core::{Clock, ReservationStatus};
use serde_json::json;

use crate::steps::*;
use crate::support::*;

/// Asserts reservation `id` is CANCELLED for `reason`, with exactly one
/// `ReservationCancelled`, for `cancel_reason`; returns that event.
async fn cancelled_once(
    app: &TestApp,
    id: &str,
    reason: &str,
    cancel_reason: ReservationCancelReason,
) -> Envelope<ReservationCancelled> {
    let stored = app.reservation(id).await;
    assert_eq!((stored.status, stored.status_reason.as_deref()), (ReservationStatus::Cancelled, Some(reason)));
    let mut events = app.events_of::<ReservationCancelled>(id).await;
    assert_eq!(events.len(), 1, "exactly one ReservationCancelled: {events:?}");
    assert_eq!(events[0].data.reason, cancel_reason);
    events.remove(0)
}

/// A resource of a new owner and a PENDING reservation of it tomorrow 10:00–12:00.
async fn pending(app: &TestApp) -> (bazaar_runtime::Identity, bazaar_runtime::Identity, String, String) {
    let boss = owner();
    let ana = customer();
    let resource = app.resource(&boss).await;
    let id = app.booked(&ana, &resource, at(tomorrow(), 10), at(tomorrow(), 12)).await;
    (boss, ana, resource, id)
}

#[tokio::test]
async fn a_paid_reservation_is_confirmed_and_checked_in_on_its_day_only() {
    let app = TestApp::spawn().await;
    let (_, ana, _, id) = pending(&app).await;
    let desk = front_desk();
    assert_eq!(app.events_of::<ReservationRequested>(&id).await.len(), 1);
    let on_the_day = Clock::Fixed(at(tomorrow(), 9));

    assert_problem(&app.check_in_as(&desk, &id, on_the_day).await, 409);

    app.pay(&id).await;
    let confirmed = app.reservation(&id).await;
    assert_eq!(confirmed.status, ReservationStatus::Confirmed);
    let events = app.events_of::<ReservationConfirmed>(&id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.payment_id, confirmed.payment_id);
    assert_eq!(events[0].metadata.correlation_id, "corr-pay");

    assert_problem(&app.check_in_as(&desk, &id, Clock::System).await, 409);
    assert_problem(&app.check_in_as(&ana, &id, on_the_day).await, 403);
    assert_eq!(expect_status(&app.check_in_as(&desk, &id, on_the_day).await, 200)["status"], "CHECKED_IN");
    let checked_in = app.events_of::<ReservationCheckedIn>(&id).await;
    assert_eq!(checked_in.len(), 1);
    assert_eq!(checked_in[0].data.checked_in_by, desk.sub);
    assert_problem(&app.check_in_as(&desk, &id, on_the_day).await, 409);
    assert_eq!(app.events_of::<ReservationCheckedIn>(&id).await.len(), 1);
}

#[tokio::test]
async fn an_unpaid_reservation_expires_and_frees_its_slots() {
    let app = TestApp::spawn().await;
    let (_, _, resource, id) = pending(&app).await;
    assert_eq!(app.taken(&resource, tomorrow()).await.len(), 2);

    assert_eq!(app.run_expire(Utc::now()).await, 0, "the hold has not run out");
    assert_eq!(app.run_expire(Utc::now() + Duration::minutes(16)).await, 1);
    assert_eq!(app.run_expire(Utc::now() + Duration::minutes(17)).await, 0, "expired once");

    let expired = cancelled_once(&app, &id, "expired", ReservationCancelReason::Expired).await;
    assert!(!expired.data.refund && !expired.data.was_confirmed);
    assert!(app.taken(&resource, tomorrow()).await.is_empty());
    app.booked(&customer(), &resource, at(tomorrow(), 10), at(tomorrow(), 12)).await;

    // A payment that arrives for the expired reservation is acknowledged and changes nothing.
    app.pay(&id).await;
    assert_eq!(app.reservation(&id).await.status, ReservationStatus::Cancelled);
    assert!(app.events_of::<ReservationConfirmed>(&id).await.is_empty());
}

#[tokio::test]
async fn a_failed_payment_cancels_once_under_redelivery() {
    let app = TestApp::spawn().await;
    let (_, ana, resource, id) = pending(&app).await;
    let amount = app.reservation(&id).await.amount;
    let message = delivered(&failed(&id, amount));

    assert!(app.on_payment(std::slice::from_ref(&message)).await.is_empty());
    let fresh = app.booked(&customer(), &resource, at(tomorrow(), 10), at(tomorrow(), 11)).await;
    assert!(app.on_payment(&[message]).await.is_empty(), "the redelivery is acknowledged");

    cancelled_once(&app, &id, "payment_failed", ReservationCancelReason::PaymentFailed).await;
    assert_eq!(app.reservation(&fresh).await.status, ReservationStatus::Pending, "its slot was not released twice");
    assert_eq!(app.taken(&resource, tomorrow()).await, vec![key(at(tomorrow(), 10))]);
    assert_problem(&app.cancel_as(&ana, &id, Clock::System).await, 409);
    assert_eq!(app.events_of::<ReservationCancelled>(&id).await.len(), 1);
}

#[tokio::test]
async fn a_customer_cancels_once_and_is_refunded_only_early_enough() {
    let app = TestApp::spawn().await;
    let (_, ana, resource, early) = pending(&app).await;
    let late = app.booked(&ana, &resource, at(tomorrow(), 14), at(tomorrow(), 15)).await;
    app.pay(&early).await;
    app.pay(&late).await;

    let r = app.cancel_as(&ana, &early, Clock::Fixed(at(tomorrow(), 10) - Duration::hours(30))).await;
    assert_eq!(expect_status(&r, 200)["status"], "CANCELLED");
    assert_problem(&app.cancel_as(&ana, &early, Clock::System).await, 409);
    let r = app.cancel_as(&ana, &late, Clock::Fixed(at(tomorrow(), 14) - Duration::hours(2))).await;
    expect_status(&r, 200);

    let by_customer = ReservationCancelReason::CustomerRequest;
    let early_event = cancelled_once(&app, &early, "customer_request", by_customer).await;
    assert!(early_event.data.was_confirmed && early_event.data.refund);
    let late_event = cancelled_once(&app, &late, "customer_request", by_customer).await;
    assert!(late_event.data.was_confirmed && !late_event.data.refund, "less than 24 h before");
    assert!(app.taken(&resource, tomorrow()).await.is_empty());
}

#[tokio::test]
async fn a_customer_cannot_cancel_after_the_start_but_the_owner_can_until_the_end() {
    let app = TestApp::spawn().await;
    let (boss, ana, _, id) = pending(&app).await;
    app.pay(&id).await;
    let during = Clock::Fixed(at(tomorrow(), 11));

    assert_problem(&app.cancel_as(&ana, &id, during).await, 409);
    assert_problem(&app.cancel_as(&customer(), &id, during).await, 404);
    assert_problem(&app.cancel_as(&front_desk(), &id, during).await, 403);
    assert_problem(&app.cancel_as(&owner(), &id, during).await, 404);
    let r = app.cancel_as(&boss, &id, during).await;

    assert_eq!(expect_status(&r, 200)["status_reason"], "owner_request");
    let event = cancelled_once(&app, &id, "owner_request", ReservationCancelReason::OwnerRequest).await;
    assert!(event.data.was_confirmed && event.data.refund, "an owner's cancel is refunded");
}

#[tokio::test]
async fn a_reminder_is_due_once_for_tomorrows_confirmed_reservations() {
    let app = TestApp::spawn().await;
    let (_, ana, resource, tomorrows) = pending(&app).await;
    let later = app
        .booked(&ana, &resource, at(tomorrow() + Duration::days(2), 10), at(tomorrow() + Duration::days(2), 11))
        .await;
    let unpaid = app.booked(&ana, &resource, at(tomorrow(), 15), at(tomorrow(), 16)).await;
    app.pay(&tomorrows).await;
    app.pay(&later).await;

    let first = app.run_remind(Utc::now()).await;
    let second = app.run_remind(Utc::now()).await;

    assert_eq!((first, second), (1, 0));
    assert!(app.reservation(&tomorrows).await.reminded);
    let events = app.events_of::<ReservationReminderDue>(&tomorrows).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.reservation.local_date, tomorrow().to_string());
    assert!(app.events_of::<ReservationReminderDue>(&later).await.is_empty(), "not tomorrow");
    assert!(app.events_of::<ReservationReminderDue>(&unpaid).await.is_empty(), "not confirmed");
}

#[tokio::test]
async fn payments_of_orders_are_ignored_and_poison_fails_alone() {
    let app = TestApp::spawn().await;
    let (_, _, _, id) = pending(&app).await;
    let mut order_payment = succeeded(&id, Money::new(5000, "EUR"));
    order_payment.data.subject = bazaar_events::payments::Subject::order(&id);
    let bodies = vec![
        delivered(&order_payment),
        "not json".to_owned(),
        json!({ "detail-type": "OrderPlaced", "source": "bazaar.orders", "detail": {} }).to_string(),
        delivered(&succeeded("no-such-reservation", Money::new(1, "EUR"))),
    ];

    assert_eq!(app.on_payment(&bodies).await, vec!["m1", "m2"]);
    assert_eq!(app.reservation(&id).await.status, ReservationStatus::Pending, "an order's payment is not ours");
}

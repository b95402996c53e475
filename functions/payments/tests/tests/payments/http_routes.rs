//! `GET /payments/{id}`, `POST /payments/{id}/complete` and `/cancel`: who may see and act
//! on a payment, the PENDING-only state machine, and the payment window.

use bazaar_events::Money;
use bazaar_events::payments::{PaymentFailed, PaymentSucceeded, Subject};
use chrono::{Duration, Utc};
use payments_core::{Payment, PaymentStatus};

use crate::support::*;

#[tokio::test]
async fn the_payer_and_an_admin_read_a_payment_and_anyone_else_gets_404() {
    let app = TestApp::spawn().await;
    let payer = new_customer();
    let payment = app.pending_payment(&payer).await;
    let r = payments_get::handler(&deps!(app, payments_get), get_payment(&payment.payment_id, Some(&customer(&payer))))
        .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let body = body_json(&r);
    assert_eq!(body["id"], payment.payment_id);
    assert_eq!(body["subject"], serde_json::json!({"kind": "order", "id": payment.subject.id}));
    assert!(body.get("order_id").is_none());
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["amount"], serde_json::json!({"amount_minor": 4200, "currency": "EUR"}));
    assert!(body["created_at"].is_string() && body["updated_at"].is_string());
    assert!(body.get("payer").is_none() && body.get("provider_ref").is_none());

    let r = payments_get::handler(&deps!(app, payments_get), get_payment(&payment.payment_id, Some(&admin()))).await;
    assert_eq!(r.status(), 200);
    let r = payments_get::handler(
        &deps!(app, payments_get),
        get_payment(&payment.payment_id, Some(&customer("someone-else"))),
    )
    .await;
    assert_problem(&r, 404);
    let r = payments_get::handler(
        &deps!(app, payments_get),
        get_payment("00000000-0000-4000-8000-000000000000", Some(&admin())),
    )
    .await;
    assert_problem(&r, 404);
    let r = payments_get::handler(&deps!(app, payments_get), get_payment(&"x".repeat(3000), Some(&admin()))).await;
    assert_problem(&r, 404);
    let r = payments_get::handler(&deps!(app, payments_get), get_payment(&payment.payment_id, None)).await;
    assert_problem(&r, 401);
}

#[tokio::test]
async fn completing_a_pending_payment_succeeds_once_with_its_event() {
    let app = TestApp::spawn().await;
    let payer = new_customer();
    let payment = app.pending_payment(&payer).await;
    let r = payments_complete::handler(
        &deps!(app, payments_complete),
        post_action(&payment.payment_id, "complete", &customer(&payer), "corr-complete"),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["status"], "SUCCEEDED");
    assert!(body_json(&r)["provider_ref"].is_string());
    let events = app.events::<PaymentSucceeded>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.subject, payment.subject);
    assert_eq!(events[0].metadata.correlation_id, "corr-complete");

    for action in ["complete", "cancel"] {
        let req = post_action(&payment.payment_id, action, &customer(&payer), "c");
        let r = if action == "complete" {
            payments_complete::handler(&deps!(app, payments_complete), req).await
        } else {
            payments_cancel::handler(&deps!(app, payments_cancel), req).await
        };
        assert_problem(&r, 409);
    }
    assert_eq!(app.outbox().await.len(), 1, "no second event");
    assert_eq!(app.payment(&payment.payment_id).await.expect("payment").status, PaymentStatus::Succeeded);
}

#[tokio::test]
async fn cancelling_a_pending_payment_fails_it_as_cancelled_by_payer() {
    let app = TestApp::spawn().await;
    let payer = new_customer();
    let payment = app.pending_payment(&payer).await;
    let r = payments_cancel::handler(
        &deps!(app, payments_cancel),
        post_action(&payment.payment_id, "cancel", &customer(&payer), "corr-x"),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["status"], "FAILED");
    assert_eq!(body_json(&r)["failure_reason"], "cancelled_by_payer");
    let events = app.events::<PaymentFailed>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.reason, "cancelled_by_payer");
    assert_eq!(events[0].metadata.correlation_id, "corr-x");
    let r = payments_complete::handler(
        &deps!(app, payments_complete),
        post_action(&payment.payment_id, "complete", &customer(&payer), "c"),
    )
    .await;
    assert_problem(&r, 409);
}

#[tokio::test]
async fn another_customer_cannot_complete_or_cancel_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let before = app.snapshot().await;
    let intruder = customer("intruder");
    let r = payments_complete::handler(
        &deps!(app, payments_complete),
        post_action(&payment.payment_id, "complete", &intruder, "c"),
    )
    .await;
    assert_problem(&r, 404);
    let r = payments_cancel::handler(
        &deps!(app, payments_cancel),
        post_action(&payment.payment_id, "cancel", &intruder, "c"),
    )
    .await;
    assert_problem(&r, 404);
    let unknown = post_action("no-such-payment", "complete", &admin(), "c");
    assert_problem(&payments_complete::handler(&deps!(app, payments_complete), unknown).await, 404);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn actions_without_an_identity_are_401() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let path = format!("/payments/{}/complete", payment.payment_id);
    let req = request("POST", &path, "/payments/{id}/complete", Some(&payment.payment_id), None, &[], None);
    assert_problem(&payments_complete::handler(&deps!(app, payments_complete), req).await, 401);
    let path = format!("/payments/{}/cancel", payment.payment_id);
    let req = request("POST", &path, "/payments/{id}/cancel", Some(&payment.payment_id), None, &[], None);
    assert_problem(&payments_cancel::handler(&deps!(app, payments_cancel), req).await, 401);
}

#[tokio::test]
async fn an_admin_may_complete_a_customers_payment() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let r = payments_complete::handler(
        &deps!(app, payments_complete),
        post_action(&payment.payment_id, "complete", &admin(), "c"),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["status"], "SUCCEEDED");
}

/// A PENDING payment created `age` ago whose hold is still valid for a while.
pub fn old_pending_payment(payer: &str, age: Duration) -> Payment {
    let created = Utc::now() - age;
    let subject = Subject::order(uuid::Uuid::new_v4().to_string());
    Payment {
        payment_id: subject.payment_id(),
        subject,
        payer: payer.to_owned(),
        status: PaymentStatus::Pending,
        amount: Money::new(700, "EUR"),
        created_at: created,
        updated_at: created,
        hold_expires_at: Utc::now() + Duration::minutes(10),
        provider_ref: None,
        failure_reason: None,
        refund_ref: None,
    }
}

#[tokio::test]
async fn completing_after_the_payment_window_fails_the_payment_as_expired_with_409() {
    let app = TestApp::spawn().await;
    let payer = new_customer();
    // Older than PAYMENT_WINDOW_SECONDS (the template's StockHoldTtlSeconds, 900).
    let payment = old_pending_payment(&payer, Duration::seconds(901));
    app.insert_payment(&payment).await;
    let r = payments_complete::handler(
        &deps!(app, payments_complete),
        post_action(&payment.payment_id, "complete", &customer(&payer), "c"),
    )
    .await;
    assert_problem(&r, 409);
    assert_eq!(body_json(&r)["type"], "urn:bazaar:problem:payment-expired");
    let stored = app.payment(&payment.payment_id).await.expect("payment");
    assert_eq!((stored.status, stored.failure_reason.as_deref()), (PaymentStatus::Failed, Some("expired")));
    let events = app.events::<PaymentFailed>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.reason, "expired");
    assert!(app.events::<PaymentSucceeded>().await.is_empty());
}

#[tokio::test]
async fn a_payment_inside_its_window_still_completes() {
    let app = TestApp::spawn().await;
    let payer = new_customer();
    let payment = old_pending_payment(&payer, Duration::seconds(880));
    app.insert_payment(&payment).await;
    let r = payments_complete::handler(
        &deps!(app, payments_complete),
        post_action(&payment.payment_id, "complete", &customer(&payer), "c"),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
}

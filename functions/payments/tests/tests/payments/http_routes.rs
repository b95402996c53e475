//! `GET /payments/{id}`, `POST /payments/{id}/complete` and `/cancel`: who may see and act
//! on a payment, the PENDING-only state machine, and the payment window.

use bazaar_runtime::Identity;
use chrono::Duration;
use payments_core::{Payment, PaymentStatus};

use crate::steps::*;
use crate::support::*;

/// A PENDING payment of a new customer, and that customer.
async fn pending_of_a_new_payer(app: &TestApp) -> (Payment, Identity) {
    let payer = new_customer();
    (app.pending_payment(&payer).await, customer(&payer))
}

#[tokio::test]
async fn the_payer_and_an_admin_read_a_payment_and_anyone_else_gets_404() {
    let app = TestApp::spawn().await;
    let (payment, payer) = pending_of_a_new_payer(&app).await;
    let body = ok_body(&get(&app, &payment.payment_id, Some(&payer)).await);
    assert_eq!(body["id"], payment.payment_id);
    assert_eq!(body["subject"], serde_json::json!({"kind": "order", "id": payment.subject.id}));
    assert!(body.get("order_id").is_none());
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["amount"], serde_json::json!({"amount_minor": 4200, "currency": "EUR"}));
    assert!(body["created_at"].is_string() && body["updated_at"].is_string());
    assert!(body.get("payer").is_none() && body.get("provider_ref").is_none());

    assert_eq!(get(&app, &payment.payment_id, Some(&admin())).await.status(), 200);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let too_long = "x".repeat(3000);
    for (id, who, status) in [
        (payment.payment_id.as_str(), Some(customer("someone-else")), 404),
        (unknown, Some(admin()), 404),
        (too_long.as_str(), Some(admin()), 404),
        (payment.payment_id.as_str(), None, 401),
    ] {
        assert_problem(&get(&app, id, who.as_ref()).await, status);
    }
}

#[tokio::test]
async fn completing_a_pending_payment_succeeds_once_with_its_event() {
    let app = TestApp::sandbox().await;
    let (payment, payer) = pending_of_a_new_payer(&app).await;
    let body = ok_body(&complete(&app, &payment.payment_id, &payer, "corr-complete").await);
    assert_eq!(body["status"], "SUCCEEDED");
    assert!(body["provider_ref"].is_string());
    let succeeded = succeeded_once(&app, &payment.payment_id).await;
    assert_eq!(succeeded.data.subject, payment.subject);
    assert_eq!(succeeded.metadata.correlation_id, "corr-complete");

    assert_problem(&complete(&app, &payment.payment_id, &payer, "c").await, 409);
    assert_problem(&cancel(&app, &payment.payment_id, &payer, "c").await, 409);
    assert_eq!(app.outbox().await.len(), 1, "no second event");
    assert_eq!(app.payment(&payment.payment_id).await.expect("payment").status, PaymentStatus::Succeeded);
}

#[tokio::test]
async fn cancelling_a_pending_payment_fails_it_as_cancelled_by_payer() {
    let app = TestApp::sandbox().await;
    let (payment, payer) = pending_of_a_new_payer(&app).await;
    let body = ok_body(&cancel(&app, &payment.payment_id, &payer, "corr-x").await);
    assert_eq!(body["status"], "FAILED");
    assert_eq!(body["failure_reason"], "cancelled_by_payer");
    let event = failed_once(&app, &payment.payment_id, "cancelled_by_payer").await;
    assert_eq!(event.metadata.correlation_id, "corr-x");
    assert_problem(&complete(&app, &payment.payment_id, &payer, "c").await, 409);
}

#[tokio::test]
async fn another_customer_cannot_complete_or_cancel_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let before = app.snapshot().await;
    let intruder = customer("intruder");
    assert_problem(&complete(&app, &payment.payment_id, &intruder, "c").await, 404);
    assert_problem(&cancel(&app, &payment.payment_id, &intruder, "c").await, 404);
    assert_problem(&complete(&app, "no-such-payment", &admin(), "c").await, 404);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn actions_without_an_identity_are_401() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let anonymous = |action: &str| {
        let path = format!("/payments/{}/{action}", payment.payment_id);
        let route = format!("/payments/{{id}}/{action}");
        request("POST", &path, &route, Some(&payment.payment_id), None, &[], None)
    };
    assert_problem(&payments_complete::handler(&deps!(app, payments_complete), anonymous("complete")).await, 401);
    assert_problem(&payments_cancel::handler(&deps!(app, payments_cancel), anonymous("cancel")).await, 401);
}

#[tokio::test]
async fn an_operator_holding_payments_settle_completes_a_customers_payment_with_a_real_provider() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let body = ok_body(&complete(&app, &payment.payment_id, &admin(), "c").await);
    assert_eq!(body["status"], "SUCCEEDED");
    assert!(body["provider_ref"].as_str().is_some_and(|r| r.starts_with("operator_")), "{body}");
}

#[tokio::test]
async fn with_a_real_provider_the_payer_cannot_pay_by_saying_so_but_may_give_up() {
    let app = TestApp::spawn().await;
    let (payment, payer) = pending_of_a_new_payer(&app).await;
    let before = app.snapshot().await;
    let refused = complete(&app, &payment.payment_id, &payer, "c").await;
    assert_problem(&refused, 403);
    assert_eq!(app.snapshot().await, before, "nothing changed, nothing emitted");
    assert_eq!(app.payment(&payment.payment_id).await.expect("payment").status, PaymentStatus::Pending);
    let body = ok_body(&cancel(&app, &payment.payment_id, &payer, "c").await);
    assert_eq!(body["status"], "FAILED");
}

#[tokio::test]
async fn reading_every_payment_is_not_settling_any() {
    for app in [TestApp::spawn().await, TestApp::sandbox().await] {
        let payment = app.pending_payment(&new_customer()).await;
        let before = app.snapshot().await;
        assert_eq!(get(&app, &payment.payment_id, Some(&auditor())).await.status(), 200);
        assert_problem(&complete(&app, &payment.payment_id, &auditor(), "c").await, 403);
        assert_problem(&cancel(&app, &payment.payment_id, &auditor(), "c").await, 403);
        assert_eq!(app.snapshot().await, before);
    }
}

#[tokio::test]
async fn completing_after_the_payment_window_fails_the_payment_as_expired_with_409() {
    let app = TestApp::sandbox().await;
    // Older than PAYMENT_WINDOW_SECONDS (the template's StockHoldTtlSeconds, 900).
    let (payment, r) = complete_created_ago(&app, new_order(), Duration::seconds(901)).await;
    assert_problem(&r, 409);
    assert_eq!(body_json(&r)["type"], "urn:bazaar:problem:payment-expired");
    failed_once(&app, &payment.payment_id, "expired").await;
}

#[tokio::test]
async fn a_payment_inside_its_window_still_completes() {
    let app = TestApp::sandbox().await;
    let (_, r) = complete_created_ago(&app, new_order(), Duration::seconds(880)).await;
    ok_body(&r);
}

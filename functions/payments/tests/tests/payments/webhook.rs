//! `POST /payments/webhook`: HMAC-signed provider notifications, applied once per event id;
//! a missing, bad or stale signature is 401 and changes nothing.

use chrono::{Duration, Utc};
use payments_core::PaymentStatus;
use payments_core::signature::sign;
use serde_json::json;

use crate::steps::*;
use crate::support::*;

fn notice(payment_id: &str, outcome: &str) -> String {
    json!({
        "event_id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "payment_id": payment_id,
        "outcome": outcome,
        "provider_ref": "ch_123",
    })
    .to_string()
}

/// A PENDING payment (manual mode) of a new customer and a notice that it succeeded.
async fn pending_with_success_notice(app: &TestApp) -> (payments_core::Payment, String) {
    let payment = app.pending_payment(&new_customer()).await;
    let body = notice(&payment.payment_id, "succeeded");
    (payment, body)
}

async fn post(app: &TestApp, body: &str, signature: Option<&str>) -> lambda_http::Response<lambda_http::Body> {
    payments_webhook::handler(&deps!(app, payments_webhook), webhook_request(body, signature)).await
}

/// [`post`] with `body` signed now with the shared secret.
async fn post_signed(app: &TestApp, body: &str) -> lambda_http::Response<lambda_http::Body> {
    post(app, body, Some(&signed(body))).await
}

/// Posts `body` under each of `signatures` (`None`: no header) and asserts each is a 401
/// invalid-signature that changed nothing.
async fn assert_rejected(app: &TestApp, body: &str, signatures: &[Option<String>]) {
    let before = app.snapshot().await;
    for signature in signatures {
        let r = post(app, body, signature.as_deref()).await;
        assert_problem(&r, 401);
        assert_eq!(body_json(&r)["type"], "urn:bazaar:problem:invalid-signature", "{signature:?}");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn a_valid_notification_applies_once_even_if_sent_twice() {
    let app = TestApp::spawn().await;
    let (payment, body) = pending_with_success_notice(&app).await;

    assert_eq!(ok_body(&post_signed(&app, &body).await), json!({"status": "applied", "payment_status": "SUCCEEDED"}));
    let after_first = app.snapshot().await;

    assert_eq!(ok_body(&post_signed(&app, &body).await), json!({"status": "duplicate"}));
    assert_eq!(app.snapshot().await, after_first, "the repeat changed nothing");

    let stored = app.payment(&payment.payment_id).await.expect("payment");
    assert_eq!(stored.provider_ref.as_deref(), Some("ch_123"));
    assert_eq!(succeeded_once(&app, &payment.payment_id).await.data.provider_ref, "ch_123");
}

#[tokio::test]
async fn a_bad_signature_is_401_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (payment, body) = pending_with_success_notice(&app).await;
    let now = Utc::now().timestamp();
    let signatures = [
        Some(sign(b"not-the-shared-secret", now, body.as_bytes())),
        Some(sign(SECRET.as_bytes(), now, br#"{"event_id":"x","payment_id":"y","outcome":"failed"}"#)),
        Some("t=abc,v1=zz".to_owned()),
        Some(format!("t={now}")),
        None,
    ];
    assert_rejected(&app, &body, &signatures).await;
    // A tampered body under a valid signature of the original.
    assert_rejected(&app, &body.replace("succeeded", "failed"), &[Some(signed(&body))]).await;
    assert_eq!(app.payment(&payment.payment_id).await.expect("payment").status, PaymentStatus::Pending);
}

#[tokio::test]
async fn a_stale_or_future_timestamp_is_401_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, body) = pending_with_success_notice(&app).await;
    // Well outside the 300 s tolerance, so a slow machine cannot carry "the future" into it
    // (the boundary itself is payments-core's signature unit test).
    let now = Utc::now().timestamp();
    let stale_or_future = [now - 360, now - 3600, now + 360].map(|t| Some(sign(SECRET.as_bytes(), t, body.as_bytes())));
    assert_rejected(&app, &body, &stale_or_future).await;
    // The same body signed now is accepted: only the timestamp was wrong.
    assert_eq!(post_signed(&app, &body).await.status(), 200);
}

#[tokio::test]
async fn a_failed_outcome_fails_the_payment_with_its_reason() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let body = json!({"event_id": "evt_f1", "payment_id": payment.payment_id, "outcome": "failed", "reason": "insufficient_funds"})
        .to_string();
    let r = post_signed(&app, &body).await;
    assert_eq!(body_json(&r), json!({"status": "applied", "payment_status": "FAILED"}));
    failed_once(&app, &payment.payment_id, "insufficient_funds").await;
}

#[tokio::test]
async fn a_notification_for_a_settled_payment_is_ignored() {
    let app = TestApp::spawn().await;
    let (payment, first) = pending_with_success_notice(&app).await;
    assert_eq!(post_signed(&app, &first).await.status(), 200);
    let after = app.snapshot().await;
    let late = notice(&payment.payment_id, "failed");
    assert_eq!(ok_body(&post_signed(&app, &late).await), json!({"status": "ignored", "payment_status": "SUCCEEDED"}));
    assert_eq!(app.snapshot().await, after);
}

#[tokio::test]
async fn a_success_after_the_window_fails_the_payment_as_expired() {
    let app = TestApp::spawn().await;
    let payment = old_pending_payment(new_order(), &new_customer(), Duration::seconds(901));
    app.insert_payment(&payment).await;
    let body = notice(&payment.payment_id, "succeeded");
    assert_eq!(ok_body(&post_signed(&app, &body).await), json!({"status": "expired"}));
    failed_once(&app, &payment.payment_id, "expired").await;
    // The provider retries: a duplicate now.
    assert_eq!(body_json(&post_signed(&app, &body).await), json!({"status": "duplicate"}));
}

#[tokio::test]
async fn unknown_payments_and_bad_bodies_get_their_4xx() {
    let app = TestApp::spawn().await;
    let cases = [
        (notice("00000000-0000-4000-8000-000000000000", "succeeded"), 404),
        ("{not json".to_owned(), 400),
        (json!({"event_id": "e1", "payment_id": "p", "outcome": "maybe"}).to_string(), 400),
        (json!({"event_id": "", "payment_id": "p", "outcome": "failed"}).to_string(), 422),
    ];
    for (body, status) in cases {
        assert_problem(&post_signed(&app, &body).await, status);
    }
    assert!(app.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_missing_secret_parameter_is_503_not_a_crash() {
    let app = TestApp::spawn().await;
    aws_sdk_ssm::Client::new(&app.config).delete_parameter().name(&app.secret_parameter).send().await.expect("deleted");
    let body = notice("p", "succeeded");
    let r = post_signed(&app, &body).await;
    assert_problem(&r, 503);
}

/// What the header alone refuses costs no AWS call: with the function's SSM and DynamoDB
/// clients pointed at a port nobody listens on, a missing, malformed or stale signature is
/// still the 401 it always is, while a fresh well-formed one (whose check needs the secret)
/// cannot be answered (503).
#[tokio::test]
async fn a_signature_refused_by_its_header_alone_is_refused_before_the_secret_is_read() {
    let app = TestApp::spawn().await;
    let offline = Offline::of(&app.stack).await;
    let deps = deps!(offline, payments_webhook);
    let body = notice("pay_unknown", "succeeded");
    let stale = sign(SECRET.as_bytes(), Utc::now().timestamp() - 3600, body.as_bytes());
    for signature in [None, Some("garbage"), Some(stale.as_str())] {
        let r = payments_webhook::handler(&deps, webhook_request(&body, signature)).await;
        assert_problem(&r, 401);
        assert_eq!(body_json(&r)["type"], "urn:bazaar:problem:invalid-signature", "{signature:?}");
    }
    let fresh = payments_webhook::handler(&deps, webhook_request(&body, Some(&signed(&body)))).await;
    assert_problem(&fresh, 503);
}

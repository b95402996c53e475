//! `POST /payments/webhook`: HMAC-signed provider notifications, applied once per event id;
//! a missing, bad or stale signature is 401 and changes nothing.

use bazaar_events::payments::{PaymentFailed, PaymentSucceeded};
use chrono::{Duration, Utc};
use payments_core::PaymentStatus;
use payments_core::signature::sign;
use serde_json::json;

use crate::http_routes::old_pending_payment;
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

async fn post(app: &TestApp, body: &str, signature: Option<&str>) -> lambda_http::Response<lambda_http::Body> {
    payments_webhook::handler(&deps!(app, payments_webhook), webhook_request(body, signature)).await
}

#[tokio::test]
async fn a_valid_notification_applies_once_even_if_sent_twice() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let body = notice(&payment.payment_id, "succeeded");
    let signature = signed(&body);

    let r = post(&app, &body, Some(&signature)).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r), json!({"status": "applied", "payment_status": "SUCCEEDED"}));
    let after_first = app.snapshot().await;

    let r = post(&app, &body, Some(&signature)).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r), json!({"status": "duplicate"}));
    assert_eq!(app.snapshot().await, after_first, "the repeat changed nothing");

    let stored = app.payment(&payment.payment_id).await.expect("payment");
    assert_eq!((stored.status, stored.provider_ref.as_deref()), (PaymentStatus::Succeeded, Some("ch_123")));
    let events = app.events::<PaymentSucceeded>().await;
    assert_eq!(events.len(), 1, "one PaymentSucceeded");
    assert_eq!(events[0].data.provider_ref, "ch_123");
}

#[tokio::test]
async fn a_bad_signature_is_401_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let before = app.snapshot().await;
    let body = notice(&payment.payment_id, "succeeded");
    let now = Utc::now().timestamp();
    let wrong_secret = sign(b"not-the-shared-secret", now, body.as_bytes());
    let other_body = sign(SECRET.as_bytes(), now, br#"{"event_id":"x","payment_id":"y","outcome":"failed"}"#);
    let garbage = "t=abc,v1=zz".to_owned();
    let no_v1 = format!("t={now}");
    for signature in
        [Some(wrong_secret.as_str()), Some(other_body.as_str()), Some(garbage.as_str()), Some(no_v1.as_str()), None]
    {
        let r = post(&app, &body, signature).await;
        assert_problem(&r, 401);
        assert_eq!(body_json(&r)["type"], "urn:bazaar:problem:invalid-signature");
    }
    // A tampered body under a valid signature of the original.
    let tampered = body.replace("succeeded", "failed");
    assert_problem(&post(&app, &tampered, Some(&signed(&body))).await, 401);
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(app.payment(&payment.payment_id).await.expect("payment").status, PaymentStatus::Pending);
}

#[tokio::test]
async fn a_stale_or_future_timestamp_is_401_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let before = app.snapshot().await;
    let body = notice(&payment.payment_id, "succeeded");
    // Well outside the 300 s tolerance, so a slow machine cannot carry "the future" into it
    // (the boundary itself is payments-core's signature unit test).
    let now = Utc::now().timestamp();
    for t in [now - 360, now - 3600, now + 360] {
        let r = post(&app, &body, Some(&sign(SECRET.as_bytes(), t, body.as_bytes()))).await;
        assert_problem(&r, 401);
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    // The same body signed now is accepted: only the timestamp was wrong.
    assert_eq!(post(&app, &body, Some(&signed(&body))).await.status(), 200);
}

#[tokio::test]
async fn a_failed_outcome_fails_the_payment_with_its_reason() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let body = json!({"event_id": "evt_f1", "payment_id": payment.payment_id, "outcome": "failed", "reason": "insufficient_funds"})
        .to_string();
    let r = post(&app, &body, Some(&signed(&body))).await;
    assert_eq!(body_json(&r), json!({"status": "applied", "payment_status": "FAILED"}));
    let stored = app.payment(&payment.payment_id).await.expect("payment");
    assert_eq!(stored.failure_reason.as_deref(), Some("insufficient_funds"));
    let events = app.events::<PaymentFailed>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.reason, "insufficient_funds");
}

#[tokio::test]
async fn a_notification_for_a_settled_payment_is_ignored() {
    let app = TestApp::spawn().await;
    let payment = app.pending_payment(&new_customer()).await;
    let first = notice(&payment.payment_id, "succeeded");
    assert_eq!(post(&app, &first, Some(&signed(&first))).await.status(), 200);
    let after = app.snapshot().await;
    let late = notice(&payment.payment_id, "failed");
    let r = post(&app, &late, Some(&signed(&late))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r), json!({"status": "ignored", "payment_status": "SUCCEEDED"}));
    assert_eq!(app.snapshot().await, after);
}

#[tokio::test]
async fn a_success_after_the_window_fails_the_payment_as_expired() {
    let app = TestApp::spawn().await;
    let payment = old_pending_payment(&new_customer(), Duration::seconds(901));
    app.insert_payment(&payment).await;
    let body = notice(&payment.payment_id, "succeeded");
    let r = post(&app, &body, Some(&signed(&body))).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r), json!({"status": "expired"}));
    let stored = app.payment(&payment.payment_id).await.expect("payment");
    assert_eq!((stored.status, stored.failure_reason.as_deref()), (PaymentStatus::Failed, Some("expired")));
    assert_eq!(app.events::<PaymentFailed>().await.len(), 1);
    assert!(app.events::<PaymentSucceeded>().await.is_empty());
    // The provider retries: a duplicate now.
    assert_eq!(body_json(&post(&app, &body, Some(&signed(&body))).await), json!({"status": "duplicate"}));
}

#[tokio::test]
async fn unknown_payments_and_bad_bodies_get_their_4xx() {
    let app = TestApp::spawn().await;
    let unknown = notice("00000000-0000-4000-8000-000000000000", "succeeded");
    assert_problem(&post(&app, &unknown, Some(&signed(&unknown))).await, 404);
    let malformed = "{not json";
    assert_problem(&post(&app, malformed, Some(&signed(malformed))).await, 400);
    let bad_outcome = json!({"event_id": "e1", "payment_id": "p", "outcome": "maybe"}).to_string();
    assert_problem(&post(&app, &bad_outcome, Some(&signed(&bad_outcome))).await, 400);
    let invalid = json!({"event_id": "", "payment_id": "p", "outcome": "failed"}).to_string();
    assert_problem(&post(&app, &invalid, Some(&signed(&invalid))).await, 422);
    assert!(app.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_missing_secret_parameter_is_503_not_a_crash() {
    let app = TestApp::spawn().await;
    aws_sdk_ssm::Client::new(&app.config).delete_parameter().name(&app.secret_parameter).send().await.expect("deleted");
    let body = notice("p", "succeeded");
    let r = post(&app, &body, Some(&signed(&body))).await;
    assert_problem(&r, 503);
}

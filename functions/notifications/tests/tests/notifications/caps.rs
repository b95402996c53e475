//! Daily send caps: counted atomically per user, channel and day; a send over a cap is
//! skipped for good and written in the delivery log; an unverified address gets only a few
//! emails a day; the links a user asked for always go.

use bazaar_events::Envelope;
use bazaar_events::auth::{EmailVerified, LinkRef, PasswordResetRequested};
use notifications_core::caps::SendCaps;
use serde_json::Value;

use crate::support::*;

/// notifications-on-event with these caps.
fn capped(app: &TestApp, emails: u64, unverified: u64, sms: u64) -> notifications_on_event::Deps {
    let mut deps = deps!(app, notifications_on_event);
    deps.caps = SendCaps { emails_per_day: emails, unverified_emails_per_day: unverified, sms_per_day: sms };
    deps
}

fn paid(user_id: &str, email: &str) -> String {
    delivered_body(&order_paid(user_id, email))
}

fn reset(user_id: &str, email: &str) -> String {
    let reset = LinkRef { id: uuid::Uuid::new_v4().to_string(), expires_at: chrono::Utc::now() };
    delivered_body(&Envelope::new(PasswordResetRequested { user_id: user_id.into(), email: email.into(), reset }, "c"))
}

/// The statuses (and reasons) of `user`'s delivery log.
async fn log_of(app: &TestApp, user: &str, email: &str) -> Vec<(String, Option<String>)> {
    let r = notifications_list::handler(
        &deps!(app, notifications_list),
        request("GET", "/notifications", Some(("limit", "100")), None, Some(&customer(user, email))),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let items = body_json(&r)["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|d| (d["status"].as_str().unwrap_or_default().to_owned(), d["reason"].as_str().map(str::to_owned)))
        .collect()
}

fn count(log: &[(String, Option<String>)], status: &str, reason: Option<&str>) -> usize {
    log.iter().filter(|(s, r)| s == status && r.as_deref() == reason).count()
}

#[tokio::test]
async fn an_unverified_address_gets_a_few_emails_a_day_until_it_is_verified() {
    let app = TestApp::spawn().await;
    let deps = capped(&app, 5, 2, 10);
    let (id, email) = (uuid::Uuid::new_v4().to_string(), unique_email());
    let orders: Vec<String> = (0..4).map(|_| paid(&id, &email)).collect();
    let failed = app.deliver(&deps, &batch(&orders)).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(app.emails_to(&email).await.len(), 2);
    let log = log_of(&app, &id, &email).await;
    assert_eq!(count(&log, "SENT", None), 2, "{log:?}");
    assert_eq!(count(&log, "SKIPPED", Some("unverified_address_cap")), 2, "{log:?}");
    // Skipped for good: a redelivery sends nothing more.
    assert!(app.deliver(&deps, &batch(&orders)).await.is_empty());
    assert_eq!(app.emails_to(&email).await.len(), 2);

    // Once the address is verified, the user's own cap applies.
    let verified = delivered_body(&Envelope::new(EmailVerified { user_id: id.clone(), email: email.clone() }, "c"));
    assert!(app.deliver(&deps, &batch(&[verified])).await.is_empty());
    let more: Vec<String> = (0..4).map(|_| paid(&id, &email)).collect();
    assert!(app.deliver(&deps, &batch(&more)).await.is_empty());
    assert_eq!(app.emails_to(&email).await.len(), 5, "two before, three more up to the cap of five");
    assert_eq!(count(&log_of(&app, &id, &email).await, "SKIPPED", Some("daily_cap")), 1);
}

#[tokio::test]
async fn concurrent_sends_never_exceed_the_cap() {
    let app = TestApp::spawn().await;
    let deps = capped(&app, 3, 3, 10);
    let (id, email) = (uuid::Uuid::new_v4().to_string(), unique_email());
    let orders: Vec<String> = (0..10).map(|_| paid(&id, &email)).collect();
    // Two deliveries of the batch race each other, each handling several messages at once.
    let (first, second) = (batch(&orders), batch(&orders));
    let (a, b) = tokio::join!(app.deliver(&deps, &first), app.deliver(&deps, &second));
    let retried: Vec<String> = a.into_iter().chain(b).collect();
    let again: Vec<String> =
        orders.iter().enumerate().filter(|(i, _)| retried.contains(&format!("m{i}"))).map(|(_, o)| o.clone()).collect();
    if !again.is_empty() {
        assert!(app.deliver(&deps, &batch(&again)).await.is_empty());
    }
    assert_eq!(app.emails_to(&email).await.len(), 3);
    let log = log_of(&app, &id, &email).await;
    assert_eq!((count(&log, "SENT", None), count(&log, "SKIPPED", Some("unverified_address_cap"))), (3, 7), "{log:?}");
}

#[tokio::test]
async fn the_links_a_user_asked_for_always_go_and_are_not_counted() {
    let app = TestApp::spawn().await;
    let deps = capped(&app, 1, 1, 1);
    let (id, email) = (uuid::Uuid::new_v4().to_string(), unique_email());
    let resets: Vec<String> = (0..3).map(|_| reset(&id, &email)).collect();
    assert!(app.deliver(&deps, &batch(&resets)).await.is_empty());
    assert_eq!(app.emails_to(&email).await.len(), 3);
    // The day's one counted email is still there.
    assert!(app.deliver(&deps, &batch(&[paid(&id, &email), paid(&id, &email)])).await.is_empty());
    let emails: Vec<Value> = app.emails_to(&email).await;
    assert_eq!(emails.len(), 4, "three resets and one order: {emails:?}");
}

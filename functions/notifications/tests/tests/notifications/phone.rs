//! Phone numbers: stored unverified and texted a one-time code; SMS notifications go only to
//! a number its user verified with that code; codes are capped, expire and die after five
//! wrong attempts.

use bazaar_runtime::Identity;
use notifications_core::caps::SendCaps;
use serde_json::{Value, json};

use crate::support::*;

fn paid(user: &Identity) -> String {
    delivered_body(&order_paid(&user.sub, &user.email))
}

fn someone() -> Identity {
    customer(&uuid::Uuid::new_v4().to_string(), &unique_email())
}

fn texts_to(number: &str) -> Value {
    json!({ "email": true, "sms": true, "phone_number": number })
}

async fn put(app: &TestApp, user: &Identity, body: &Value) -> lambda_http::Response<lambda_http::Body> {
    let req = request("PUT", "/notifications/preferences", None, Some(&body.to_string()), Some(user));
    notifications_preferences_put::handler(&deps!(app, notifications_preferences_put), req).await
}

async fn delivery_log(app: &TestApp, user: &Identity) -> Vec<Value> {
    let req = request("GET", "/notifications", None, None, Some(user));
    let r = notifications_list::handler(&deps!(app, notifications_list), req).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    body_json(&r)["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn order_sms_never_reach_an_unverified_number_and_go_once_it_is_verified() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (ana, phone) = (someone(), unique_phone());
    let r = put(&app, &ana, &texts_to(&phone)).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["phone_verified"], false);
    let code = app.code_texted_to(&phone).await.expect("a code is texted to the new number");

    assert!(app.deliver(&deps, &batch(&[paid(&ana)])).await.is_empty());
    assert!(app.notifications_texted_to(&phone).await.is_empty(), "no order SMS to an unverified number");
    let log = delivery_log(&app, &ana).await;
    let sms: Vec<&Value> = log.iter().filter(|d| d["channel"] == "sms").collect();
    assert_eq!(sms.len(), 1, "{log:?}");
    assert_eq!((&sms[0]["status"], &sms[0]["reason"]), (&json!("SKIPPED"), &json!("phone_unverified")));

    let r = app.verify_phone(&ana, &code).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["phone_verified"], true);
    assert!(app.deliver(&deps, &batch(&[paid(&ana)])).await.is_empty());
    let texted = app.notifications_texted_to(&phone).await;
    assert_eq!(texted.len(), 1, "{texted:?}");
    assert!(texted[0]["message"].as_str().unwrap_or_default().contains("25.00 EUR"));
    assert_problem(&app.verify_phone(&ana, &code).await, 400); // the code is used up
}

#[tokio::test]
async fn a_verified_number_stays_verified_until_it_changes() {
    let app = TestApp::spawn().await;
    let (ana, phone) = (someone(), unique_phone());
    app.set_verified_phone(&ana, texts_to(&phone)).await;
    // Other preferences change; the number stays verified and is texted no new code.
    let r = put(&app, &ana, &json!({ "email": false, "sms": true, "phone_number": phone })).await;
    assert_eq!(body_json(&r)["phone_verified"], true, "{}", text(&r));
    assert_eq!(app.sms_to(&phone).await.len(), 1, "one code only");
    // A new number starts unverified.
    let other = unique_phone();
    let r = put(&app, &ana, &texts_to(&other)).await;
    assert_eq!(body_json(&r)["phone_verified"], false);
    assert!(app.code_texted_to(&other).await.is_some());
    // The client cannot say it is verified.
    let forged = json!({ "email": true, "sms": true, "phone_number": other, "phone_verified": true });
    assert_problem(&put(&app, &ana, &forged).await, 400);
}

#[tokio::test]
async fn five_wrong_codes_kill_the_code_and_the_number_is_texted_a_new_one() {
    let app = TestApp::spawn().await;
    let (ana, phone) = (someone(), unique_phone());
    assert_eq!(put(&app, &ana, &texts_to(&phone)).await.status(), 200);
    let code = app.code_texted_to(&phone).await.expect("code");
    let wrong = format!("{:06}", (code.parse::<u32>().expect("digits") + 1) % 1_000_000);
    for _ in 0..notifications_core::phone::MAX_ATTEMPTS {
        assert_problem(&app.verify_phone(&ana, &wrong).await, 422);
    }
    assert_problem(&app.verify_phone(&ana, &code).await, 429);
    assert_problem(&app.verify_phone(&ana, "12ab56").await, 422);
    // Storing the number again texts a new code, which works.
    assert_eq!(put(&app, &ana, &texts_to(&phone)).await.status(), 200);
    let fresh = app.code_texted_to(&phone).await.expect("a new code");
    assert_eq!(app.sms_to(&phone).await.len(), 2);
    assert_eq!(app.verify_phone(&ana, &fresh).await.status(), 200);
}

#[tokio::test]
async fn codes_are_capped_per_user_and_day_and_nothing_is_stored_over_the_cap() {
    let app = TestApp::spawn().await;
    let ana = someone();
    let cap = deps!(app, notifications_preferences_put).phone.codes_per_day;
    let numbers: Vec<String> = (0..=cap).map(|_| unique_phone()).collect();
    for number in &numbers[..cap as usize] {
        assert_eq!(put(&app, &ana, &texts_to(number)).await.status(), 200);
    }
    let capped = put(&app, &ana, &texts_to(&numbers[cap as usize])).await;
    assert_problem(&capped, 429);
    assert!(capped.headers().contains_key("retry-after"));
    assert!(app.sms_to(&numbers[cap as usize]).await.is_empty());
    let req = request("GET", "/notifications/preferences", None, None, Some(&ana));
    let stored =
        body_json(&notifications_preferences_get::handler(&deps!(app, notifications_preferences_get), req).await);
    assert_eq!(stored["phone_number"], numbers[cap as usize - 1].as_str(), "the last number texted stays");
}

#[tokio::test]
async fn sms_are_capped_per_user_and_day() {
    let app = TestApp::spawn().await;
    let mut deps = deps!(app, notifications_on_event);
    deps.caps = SendCaps { emails_per_day: 50, unverified_emails_per_day: 50, sms_per_day: 2 };
    let (ana, phone) = (someone(), unique_phone());
    app.set_verified_phone(&ana, texts_to(&phone)).await;
    let orders: Vec<String> = (0..3).map(|_| paid(&ana)).collect();
    assert!(app.deliver(&deps, &batch(&orders)).await.is_empty());
    assert_eq!(app.notifications_texted_to(&phone).await.len(), 2);
    let log = delivery_log(&app, &ana).await;
    let skipped: Vec<&Value> = log.iter().filter(|d| d["status"] == "SKIPPED").collect();
    assert_eq!(skipped.len(), 1, "{log:?}");
    assert_eq!((&skipped[0]["channel"], &skipped[0]["reason"]), (&json!("sms"), &json!("daily_cap")));
    assert_eq!(app.emails_to(&ana.email).await.len(), 3, "email has its own cap");
}

//! notifications-on-event: once-only sends, channels from preferences, custom templates,
//! permanent failures and poison messages.

use bazaar_events::auth::{EmailVerificationRequested, EmailVerified, LinkRef, PasswordResetRequested, UserRegistered};
use bazaar_events::orders::{CancelReason, OrderCancelled};
use bazaar_events::payments::{Cancellation, CancellationSettled, MoneyOutcome};
use bazaar_events::{Envelope, Money};
use bazaar_runtime::links::{LinkKey, LinkPurpose};
use serde_json::{Value, json};

use crate::support::*;

fn registered(user_id: &str, email: &str) -> Envelope<UserRegistered> {
    Envelope::new(
        UserRegistered {
            user_id: user_id.into(),
            email: email.into(),
            roles: vec!["customer".into()],
            verification: None,
        },
        "corr",
    )
}

/// Payments' word on a cancelled order: the event notifications tells the customer from.
fn cancelled(user_id: &str, email: &str, reason: CancelReason, money: MoneyOutcome) -> Envelope<CancellationSettled> {
    let order = OrderCancelled {
        order_id: "ord-c".into(),
        customer_id: user_id.into(),
        customer_email: email.into(),
        reason,
        total: Money::new(999, "EUR"),
    };
    let cancellation = Cancellation::Order(order);
    let subject = cancellation.subject();
    Envelope::new(
        CancellationSettled {
            payment_id: subject.payment_id(),
            subject,
            customer_id: user_id.into(),
            amount: Money::new(999, "EUR"),
            money,
            cancellation,
        },
        "corr",
    )
}

fn user() -> (String, String) {
    (uuid::Uuid::new_v4().to_string(), unique_email())
}

/// A new user who set `preferences`: (id, email).
async fn user_preferring(app: &TestApp, preferences: Value) -> (String, String) {
    let (id, email) = user();
    app.set_preferences(&customer(&id, &email), preferences).await;
    (id, email)
}

/// Delivers one batch of `bodies` (ids m0, m1, …) and asserts none failed.
async fn acknowledged(app: &TestApp, deps: &notifications_on_event::Deps, bodies: &[String]) {
    let failed = app.deliver(deps, &batch(bodies)).await;
    assert!(failed.is_empty(), "{failed:?}");
}

async fn deliveries(app: &TestApp, user_id: &str, email: &str) -> Vec<Value> {
    let r = notifications_list::handler(
        &deps!(app, notifications_list),
        request("GET", "/notifications", None, None, Some(&customer(user_id, email))),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    body_json(&r)["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_redelivered_event_sends_exactly_one_email() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (id, email) = user();
    let body = [delivered_body(&registered(&id, &email))];
    acknowledged(&app, &deps, &body).await;
    acknowledged(&app, &deps, &body).await; // a redelivery is acknowledged
    let emails = app.emails_to(&email).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["subject"], "Welcome to Bazaar");
    let log = deliveries(&app, &id, &email).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["status"], "SENT");
    assert_eq!(log[0]["channel"], "email");
    assert_eq!(log[0]["template"], "welcome");
    assert!(!log[0]["to"].as_str().unwrap_or_default().contains(&email[1..]), "the log masks the recipient");
}

#[tokio::test]
async fn the_same_event_twice_in_one_batch_still_sends_one_email() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (id, email) = user();
    let body = delivered_body(&order_paid(&id, &email));
    // Both copies race for the claim: the loser is either skipped or retried later.
    let failed = app.deliver(&deps, &batch(&[body.clone(), body.clone()])).await;
    assert!(failed.len() <= 1, "{failed:?}");
    acknowledged(&app, &deps, &[body]).await;
    assert_eq!(app.emails_to(&email).await.len(), 1);
}

#[tokio::test]
async fn sms_is_sent_only_with_opt_in_and_an_e164_number() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);

    let (phone_in, phone_off) = (unique_phone(), unique_phone());
    let (opted_in, email_in) = user();
    app.set_verified_phone(
        &customer(&opted_in, &email_in),
        json!({ "email": true, "sms": true, "phone_number": phone_in }),
    )
    .await;
    let (number_only, email_off) =
        user_preferring(&app, json!({ "email": true, "sms": false, "phone_number": phone_off })).await;

    let events =
        [delivered_body(&order_paid(&opted_in, &email_in)), delivered_body(&order_paid(&number_only, &email_off))];
    acknowledged(&app, &deps, &events).await;
    acknowledged(&app, &deps, &events).await;

    let sms = app.notifications_texted_to(&phone_in).await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert!(sms[0]["message"].as_str().unwrap_or_default().contains("25.00 EUR"), "{sms:?}");
    assert!(app.notifications_texted_to(&phone_off).await.is_empty(), "no SMS without opt-in");
    assert_eq!(app.emails_to(&email_in).await.len(), 1);
    assert_eq!(app.emails_to(&email_off).await.len(), 1);
    let log = deliveries(&app, &opted_in, &email_in).await;
    let mut channels: Vec<_> = log.iter().map(|d| d["channel"].as_str().unwrap_or_default().to_owned()).collect();
    channels.sort();
    assert_eq!(channels, ["email", "sms"]);
}

#[tokio::test]
async fn a_password_reset_goes_by_email_only_and_its_link_is_stored_nowhere() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let phone = unique_phone();
    // Email off and SMS on: a reset link still goes by email, and never by SMS.
    let (id, email) = user();
    app.set_verified_phone(&customer(&id, &email), json!({ "email": false, "sms": true, "phone_number": phone })).await;
    let reset_id = uuid::Uuid::new_v4().to_string();
    let event = Envelope::new(
        PasswordResetRequested {
            user_id: id.clone(),
            email: email.clone(),
            reset: LinkRef { id: reset_id.clone(), expires_at: chrono::Utc::now() },
        },
        "corr",
    );
    let body = delivered_body(&event);
    acknowledged(&app, &deps, std::slice::from_ref(&body)).await;
    let emails = app.emails_to(&email).await;
    assert_eq!(emails.len(), 1);
    // The email carries the reset page with a token of the link key that opens to the reset's id.
    let sent = emails[0]["body"].as_str().unwrap_or_default();
    let page = format!("{}?token=", deps.pages.password_reset);
    let token = link_token(sent, &page).expect("the email carries the link");
    let key = LinkKey::parse(&app.secret("LinkKeyParameter").await.expect("link key")).expect("a link key");
    assert_eq!(key.open(LinkPurpose::PasswordReset, &token), Some(reset_id.as_str()));
    assert!(!body.contains(&token), "the event never held the token");
    assert!(app.notifications_texted_to(&phone).await.is_empty());
    let items = aws_sdk_dynamodb::Client::new(&app.config).scan().table_name(&app.table).send().await.expect("scan");
    assert!(!format!("{:?}", items.items()).contains(&token), "the reset link must not be stored");
}

#[tokio::test]
async fn email_off_sends_no_order_email() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (id, email) = user_preferring(&app, json!({ "email": false, "sms": false })).await;
    acknowledged(&app, &deps, &[delivered_body(&order_paid(&id, &email))]).await;
    assert!(app.emails_to(&email).await.is_empty());
}

#[tokio::test]
async fn a_custom_template_is_used_after_put() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let body = json!({ "subject": "Order {{ order_id }}: thanks", "text": "Custom text for {{ email }}." });
    let r = notifications_templates_put::handler(
        &deps!(app, notifications_templates_put),
        request("PUT", "/notifications/templates/order_confirmation", None, Some(&body.to_string()), Some(&admin())),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let (id, email) = user();
    let order = order_paid(&id, &email);
    acknowledged(&app, &deps, &[delivered_body(&order)]).await;
    let emails = app.emails_to(&email).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["subject"], format!("Order {}: thanks", order.data.order_id));
    assert_eq!(emails[0]["body"], format!("Custom text for {email}."), "a text-only custom template");
}

#[tokio::test]
async fn a_cancellation_says_sorry_only_when_the_customer_did_not_ask_for_it_and_where_the_money_is() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (id, failed_email) = user();
    let (_, asked_email) = user();
    let (_, refunded_email) = user();
    let events = [
        delivered_body(&cancelled(&id, &failed_email, CancelReason::PaymentFailed, MoneyOutcome::NothingCharged)),
        delivered_body(&cancelled(&id, &asked_email, CancelReason::CustomerRequest, MoneyOutcome::NothingCharged)),
        delivered_body(&cancelled(&id, &refunded_email, CancelReason::CustomerRequest, MoneyOutcome::Refunded)),
    ];
    acknowledged(&app, &deps, &events).await;
    let body = |emails: &[Value]| emails[0]["body"].as_str().unwrap_or_default().to_owned();
    let sorry = app.emails_to(&failed_email).await;
    assert!(sorry[0]["subject"].as_str().unwrap_or_default().starts_with("Sorry"), "{sorry:?}");
    assert!(body(&sorry).contains("did not go through") && body(&sorry).contains("Nothing was charged"));
    let asked = app.emails_to(&asked_email).await;
    assert!(!asked[0]["subject"].as_str().unwrap_or_default().contains("Sorry"), "{asked:?}");
    assert!(body(&asked).contains("as you asked") && body(&asked).contains("Nothing was charged"));
    let refunded = app.emails_to(&refunded_email).await;
    assert_eq!(refunded.len(), 1, "{refunded:?}");
    assert!(body(&refunded).contains("refunded in full"), "{refunded:?}");
    assert!(!body(&refunded).contains("Nothing was charged"), "{refunded:?}");
}

#[tokio::test]
async fn a_permanent_ses_rejection_is_logged_failed_and_acknowledged() {
    // The stage's own sender, which its role may send from, but whose SES identity is gone:
    // moto rejects mail from an identity that is not verified (MessageRejected).
    let from = format!("unverified-{}@nowhere.invalid", uuid::Uuid::new_v4().simple());
    let app = TestApp::spawn_with(&[("NotificationsFromAddress", &from)]).await;
    let ses = aws_sdk_sesv2::Client::new(&app.config);
    ses.delete_email_identity().email_identity(&from).send().await.expect("the identity is deleted");
    let deps = deps!(app, notifications_on_event);
    let (id, email) = user();
    let body = [delivered_body(&registered(&id, &email))];
    acknowledged(&app, &deps, &body).await; // a permanent failure is not retried
    acknowledged(&app, &deps, &body).await;
    assert!(app.emails_to(&email).await.is_empty());
    let log = deliveries(&app, &id, &email).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["status"], "FAILED");
}

#[tokio::test]
async fn a_poison_message_fails_alone_and_the_other_nine_are_sent() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let users: Vec<(String, String)> = (0..9).map(|_| user()).collect();
    let mut bodies: Vec<String> = users.iter().map(|(id, email)| delivered_body(&registered(id, email))).collect();
    bodies.insert(3, "{\"detail-type\": \"UserRegistered\", \"source\": \"bazaar.auth\", \"detail\": 42".into());
    let failed = app.deliver(&deps, &batch(&bodies)).await;
    assert_eq!(failed, ["m3"]);
    for (_, email) in &users {
        assert_eq!(app.emails_to(email).await.len(), 1, "{email}");
    }
}

/// Writes a SENDING claim for the email of `event_id`, as a send that died after claiming.
async fn leave_claim(app: &TestApp, event_id: &str, claimed_seconds_ago: i64) {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let now = chrono::Utc::now().timestamp();
    aws_sdk_dynamodb::Client::new(&app.config)
        .put_item()
        .table_name(&app.table)
        .item("pk", S(format!("SENT#{event_id}#email")))
        .item("sk", S("SENT".into()))
        .item("status", S("SENDING".into()))
        .item("claim_token", S("crashed-worker".into()))
        .item("claimed_at", N((now - claimed_seconds_ago).to_string()))
        .item("expires_at", N((now + 3600).to_string()))
        .send()
        .await
        .expect("put claim");
}

#[tokio::test]
async fn a_fresh_claim_defers_the_send_and_a_stale_one_is_taken_over() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (id, email) = user();
    let event = registered(&id, &email);
    let event_id = event.metadata.event_id.to_string();
    let body = [delivered_body(&event)];

    leave_claim(&app, &event_id, 5).await;
    assert_eq!(app.deliver(&deps, &batch(&body)).await, ["m0"], "another worker may be sending: retry later");
    assert!(app.emails_to(&email).await.is_empty());

    leave_claim(&app, &event_id, notifications_core::store::STALE_CLAIM_SECONDS + 5).await;
    acknowledged(&app, &deps, &body).await; // a stale claim is taken over
    acknowledged(&app, &deps, &body).await;
    assert_eq!(app.emails_to(&email).await.len(), 1);
}

#[tokio::test]
async fn a_runaway_template_in_the_table_falls_back_to_the_default_and_the_batch_goes_on() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    // Written straight into the table, past the API's checks.
    let runaway =
        notifications_core::Template { subject: "Welcome".into(), text: RUNAWAY.into(), html: None, sms: None };
    store(&app)
        .put_template(notifications_core::TemplateName::Welcome, &runaway, chrono::Utc::now())
        .await
        .expect("stored");
    let users: Vec<(String, String)> = (0..5).map(|_| user()).collect();
    let bodies: Vec<String> = users.iter().map(|(id, email)| delivered_body(&registered(id, email))).collect();
    acknowledged(&app, &deps, &bodies).await;
    for (_, email) in &users {
        let emails = app.emails_to(email).await;
        assert_eq!(emails.len(), 1, "{email}: {emails:?}");
        assert_eq!(emails[0]["subject"], "Welcome to Bazaar", "the default template is sent");
    }
}

#[tokio::test]
async fn a_reset_template_that_links_elsewhere_for_some_recipients_is_not_used_for_them() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    // It shows the sample recipient the real link, so it passes the check at PUT, and sends
    // everyone else's link to another site: the check at send time catches it.
    let sneaky = json!({
        "subject": "Reset your password",
        "text": "{% if email == 'ana@example.com' %}{{ reset_url }}{% else %}https://evil.example/?{{ reset_url }}{% endif %}",
    });
    let r = notifications_templates_put::handler(
        &deps!(app, notifications_templates_put),
        request("PUT", "/notifications/templates/password_reset", None, Some(&sneaky.to_string()), Some(&admin())),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let (id, email) = user();
    let event = Envelope::new(
        PasswordResetRequested {
            user_id: id,
            email: email.clone(),
            reset: LinkRef { id: uuid::Uuid::new_v4().to_string(), expires_at: chrono::Utc::now() },
        },
        "corr",
    );
    acknowledged(&app, &deps, &[delivered_body(&event)]).await;
    let emails = app.emails_to(&email).await;
    assert_eq!(emails.len(), 1);
    let body = emails[0]["body"].as_str().unwrap_or_default();
    assert!(!body.contains("evil.example"), "{body}");
    assert!(link_token(body, &format!("{}?token=", deps.pages.password_reset)).is_some(), "{body}");
}

#[tokio::test]
async fn the_welcome_email_carries_a_working_link_to_the_verification_page() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (id, email) = user();
    let verification_id = uuid::Uuid::new_v4().to_string();
    let mut event = registered(&id, &email);
    event.data.verification = Some(LinkRef { id: verification_id.clone(), expires_at: chrono::Utc::now() });
    let body = delivered_body(&event);
    acknowledged(&app, &deps, std::slice::from_ref(&body)).await;
    let emails = app.emails_to(&email).await;
    assert_eq!(emails.len(), 1);
    let sent = emails[0]["body"].as_str().unwrap_or_default();
    let token = link_token(sent, &format!("{}?token=", deps.pages.email_verification)).expect("the link");
    let key = LinkKey::parse(&app.secret("LinkKeyParameter").await.expect("link key")).expect("a link key");
    assert_eq!(key.open(LinkPurpose::EmailVerification, &token), Some(verification_id.as_str()));
    assert!(!body.contains(&token), "the event never held the token");
}

#[tokio::test]
async fn a_requested_verification_link_is_mailed_even_with_email_turned_off() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (id, email) = user_preferring(&app, json!({ "email": false, "sms": false })).await;
    let event = Envelope::new(
        EmailVerificationRequested {
            user_id: id,
            email: email.clone(),
            verification: LinkRef { id: uuid::Uuid::new_v4().to_string(), expires_at: chrono::Utc::now() },
        },
        "corr",
    );
    acknowledged(&app, &deps, &[delivered_body(&event)]).await;
    let emails = app.emails_to(&email).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["subject"], "Confirm your Bazaar email address");
    let page = format!("{}?token=", deps.pages.email_verification);
    assert!(link_token(emails[0]["body"].as_str().unwrap_or_default(), &page).is_some());
}

#[tokio::test]
async fn a_verified_address_is_recorded_once_however_often_it_is_told() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let (id, email) = user();
    assert!(!store(&app).is_email_verified(&id, &email).await.expect("read"));
    let event = Envelope::new(EmailVerified { user_id: id.clone(), email: email.clone() }, "corr");
    let body = delivered_body(&event);
    acknowledged(&app, &deps, &[body.clone(), body]).await;
    assert!(store(&app).is_email_verified(&id, &email).await.expect("read"));
    assert!(!store(&app).is_email_verified(&id, "other@example.com").await.expect("read"));
    assert!(app.emails_to(&email).await.is_empty(), "nothing is sent for it");
}

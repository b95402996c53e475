//! Contacts and the links mailed to them, end to end: every function in process behind the
//! devstack's gateway and event sources, against moto. A reset link exists only in the
//! email that carries it. Each test runs its own stage.

use std::time::Duration;

use bazaar_system::{System, SystemOptions, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SETTLE: Duration = Duration::from_secs(60);
const PASSWORD: &str = "correct horse 42";

async fn system() -> System {
    System::start(SystemOptions::default()).await.expect("system starts")
}

/// Registers `email`; its access token.
async fn registered(sys: &System, email: &str) -> String {
    let reply = sys.api.post("/auth/register", None, &json!({ "email": email, "password": PASSWORD })).await;
    let reply = reply.expect("register");
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    sys.api.login(email, PASSWORD).await.expect("login")
}

fn unique_email() -> String {
    format!("c-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Waits until `to` got an email whose subject contains `subject`; the newest such.
async fn email_about(sys: &System, to: &str, subject: &str, count: usize) -> devstack::outbox::Email {
    eventually(SETTLE, &format!("{count} email(s) about {subject:?} to {to}"), || async {
        let emails: Vec<_> = sys.emails_to(to).await?.into_iter().filter(|e| e.subject.contains(subject)).collect();
        Ok((emails.len() >= count).then(|| emails.last().cloned()).flatten())
    })
    .await
    .expect("the email arrives")
}

/// The token of the link to `page` in an email's body (moto keeps the HTML part, where `/`
/// is written `&#x2f;`).
fn link_token(body: &str, page: &str) -> String {
    let body = body.replace("&#x2f;", "/").replace("&amp;", "&");
    let marker = format!("{page}?token=");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no link to {page} in {body}")) + marker.len();
    body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect()
}

/// Every item of every table of the system's stage, as text.
async fn every_item(sys: &System) -> String {
    let ddb = aws_sdk_dynamodb::Client::new(&sys.config);
    let mut dump = String::new();
    for table in &sys.stack.tables {
        let scan = ddb.scan().table_name(&table.name).send().await.expect("scan");
        dump.push_str(&format!("{:?}", scan.items()));
    }
    dump
}

fn reset_page(sys: &System) -> String {
    sys.stack.parameters.get("PasswordResetUrl").cloned().expect("PasswordResetUrl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_link_exists_only_in_the_email_and_a_tampered_one_is_refused() {
    let sys = system().await;
    let email = unique_email();
    registered(&sys, &email).await;
    let reply = sys.api.post("/auth/password/forgot", None, &json!({ "email": email })).await.expect("forgot");
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);

    let mail = email_about(&sys, &email, "Reset", 1).await;
    let token = link_token(&mail.body, &reset_page(&sys));
    let (id, mac) = token.split_once('.').expect("<id>.<mac>");
    // The outbox items are the events as published (and archived): the id, never the token.
    let stored = every_item(&sys).await;
    assert!(stored.contains(id), "the reset is recorded by its id");
    assert!(!stored.contains(mac), "a table (the outbox, say) holds the link's token");

    let tampered = format!("{id}.{}{}", if mac.starts_with('A') { 'B' } else { 'A' }, &mac[1..]);
    let new_password = json!({ "password": "a brand new secret 9" });
    let with = |token: &str| {
        let mut body = new_password.clone();
        body["token"] = Value::String(token.to_owned());
        body
    };
    let refused = sys.api.post("/auth/password/reset", None, &with(&tampered)).await.expect("reset");
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let reset = sys.api.post("/auth/password/reset", None, &with(&token)).await.expect("reset");
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
    sys.api.login(&email, "a brand new secret 9").await.expect("the new password works");
}

fn verification_page(sys: &System) -> String {
    sys.stack.parameters.get("EmailVerificationUrl").cloned().expect("EmailVerificationUrl")
}

/// `GET /auth/me`'s `email_verified` for the holder of `access`.
async fn email_verified(sys: &System, access: &str) -> Value {
    let me = sys.api.get("/auth/me", Some(access)).await.expect("me");
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.body["email_verified"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_welcome_email_verifies_the_address_and_notifications_learns_it() {
    let sys = system().await;
    let email = unique_email();
    let access = registered(&sys, &email).await;
    assert_eq!(email_verified(&sys, &access).await, false);

    let welcome = email_about(&sys, &email, "Welcome", 1).await;
    let token = link_token(&welcome.body, &verification_page(&sys));
    let (id, mac) = token.split_once('.').expect("<id>.<mac>");
    assert!(!every_item(&sys).await.contains(mac), "a table holds the link's token");
    assert!(id.len() > 8);

    for _ in 0..2 {
        let verified = sys.api.post("/auth/email/verify", None, &json!({ "token": token })).await.expect("verify");
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    }
    assert_eq!(email_verified(&sys, &access).await, true);
    let again = sys.api.post("/auth/email/verification", Some(&access), &json!({})).await.expect("ask");
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    // Notifications records the verified address (from EmailVerified).
    let ddb = aws_sdk_dynamodb::Client::new(&sys.config);
    let table = sys.table("NotificationsTable");
    eventually(SETTLE, "notifications to record the verified address", || async {
        let scan = ddb.scan().table_name(&table).send().await?;
        Ok(format!("{:?}", scan.items()).contains(&format!("EMAIL#{email}")).then_some(()))
    })
    .await
    .expect("recorded");

    let admin = sys.api.login(bazaar_system::system::ADMIN_EMAIL, bazaar_system::system::ADMIN_PASSWORD).await;
    assert_eq!(email_verified(&sys, &admin.expect("admin logs in")).await, true, "the seeded admin is verified");
}

/// Every SMS moto recorded to `number`.
async fn sms_to(sys: &System, number: &str) -> Vec<String> {
    let data = bazaar_testkit::moto_state(&sys.moto_endpoint).await;
    let outbox = devstack::outbox::from_moto_data(&data);
    outbox.sms.into_iter().filter(|s| s.phone_number == number).map(|s| s.message).collect()
}

/// The caller's delivery log, newest first.
async fn delivery_log(sys: &System, access: &str) -> Vec<Value> {
    let reply = sys.api.get("/notifications?limit=100", Some(access)).await.expect("log");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["items"].as_array().cloned().unwrap_or_default()
}

/// Places an order of one `product` and waits until it is paid and notifications logged
/// `lines` deliveries of order confirmations in all: those lines of the log (waiting for
/// them, not for a while, tells when a send did not happen).
async fn paid_order(sys: &System, access: &str, product: &str, lines: usize) -> Vec<Value> {
    let order = eventually(SETTLE, "the product in the orders projection", || async {
        let reply = sys.api.place_order(access, &[(product, 1)]).await?;
        Ok((reply.status == StatusCode::CREATED).then_some(reply.body))
    })
    .await
    .expect("order placed");
    let id = order["id"].as_str().expect("id");
    let paid = sys.api.status_of(&format!("/orders/{id}"), access, &["PAID", "CANCELLED"], SETTLE).await;
    assert_eq!(paid.expect("settles")["status"], "PAID");
    eventually(SETTLE, &format!("the deliveries of order {id}"), || async {
        let log = delivery_log(sys, access).await;
        let logged: Vec<Value> =
            log.into_iter().filter(|d| d["template"] == "order_confirmation" && d["status"] != "SENDING").collect();
        Ok((logged.len() >= lines).then_some(logged))
    })
    .await
    .expect("logged")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customer_is_texted_only_once_the_number_is_verified_and_mailed_little_until_the_address_is() {
    let options = SystemOptions::default().payment_success_rate("1.0").with("UnverifiedEmailsPerDay", "1");
    let sys = System::start(options).await.expect("system starts");
    let admin = sys.api.login(bazaar_system::system::ADMIN_EMAIL, bazaar_system::system::ADMIN_PASSWORD).await;
    let product = sys.api.create_product(&admin.expect("admin"), "Lamp", 2_500, 100).await.expect("product");
    let email = unique_email();
    let access = registered(&sys, &email).await;
    let phone = format!("+1555{:08}", uuid::Uuid::new_v4().as_u128() % 100_000_000);
    let prefs = json!({ "email": true, "sms": true, "phone_number": phone });
    let reply = sys.api.put("/notifications/preferences", Some(&access), &prefs).await.expect("prefs");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["phone_verified"], false);
    let texts = sms_to(&sys, &phone).await;
    assert_eq!(texts.len(), 1, "the code: {texts:?}");

    // Unverified: the first confirmation is mailed (one a day), nothing is texted.
    let first = paid_order(&sys, &access, &product, 2).await;
    let by = |lines: &[Value], channel: &str| -> Vec<(String, String)> {
        lines
            .iter()
            .filter(|d| d["channel"] == channel)
            .map(|d| (d["status"].as_str().unwrap_or("").to_owned(), d["reason"].as_str().unwrap_or("").to_owned()))
            .collect()
    };
    assert_eq!(by(&first, "sms"), [("SKIPPED".to_owned(), "phone_unverified".to_owned())]);
    assert_eq!(by(&first, "email"), [("SENT".to_owned(), String::new())]);
    // The second is over the unverified address's day.
    let second = paid_order(&sys, &access, &product, 4).await;
    assert!(by(&second, "email").contains(&("SKIPPED".to_owned(), "unverified_address_cap".to_owned())));
    assert_eq!(sms_to(&sys, &phone).await.len(), 1, "still only the code");

    // Both verified: the next order is mailed and texted.
    let code: String = texts[0].split("code is ").nth(1).expect("a code").chars().take(6).collect();
    let reply = sys.api.post("/notifications/preferences/phone/verify", Some(&access), &json!({ "code": code })).await;
    assert_eq!(reply.expect("verify").status, StatusCode::OK);
    let welcome = email_about(&sys, &email, "Welcome", 1).await;
    let token = link_token(&welcome.body, &verification_page(&sys));
    let reply = sys.api.post("/auth/email/verify", None, &json!({ "token": token })).await.expect("verify");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    eventually(SETTLE, "notifications to learn the address is verified", || async {
        let scan = aws_sdk_dynamodb::Client::new(&sys.config).scan().table_name(sys.table("NotificationsTable")).send();
        Ok(format!("{:?}", scan.await?.items()).contains(&format!("EMAIL#{email}")).then_some(()))
    })
    .await
    .expect("recorded");
    let third = paid_order(&sys, &access, &product, 6).await;
    assert_eq!(by(&third, "sms").iter().filter(|(s, _)| s == "SENT").count(), 1, "{third:?}");
    assert_eq!(by(&third, "email").iter().filter(|(s, _)| s == "SENT").count(), 2, "{third:?}");
    assert_eq!(sms_to(&sys, &phone).await.len(), 2, "the code and the third order");
}

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

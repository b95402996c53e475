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

//! Email verification: the link registration records, opening it (once or twice), asking for
//! another, and what `GET /auth/me` shows.

use serde_json::{Value, json};

use crate::support::*;

type Response = lambda_http::Response<lambda_http::Body>;

/// The outbox's events of `detail_type`, as JSON.
async fn events(app: &TestApp, detail_type: &str) -> Vec<Value> {
    app.outbox()
        .await
        .into_iter()
        .filter(|o| o.detail_type == detail_type)
        .map(|o| serde_json::from_str(&o.detail).expect("detail"))
        .collect()
}

/// The `UserRegistered` of `email`.
async fn registration_of(app: &TestApp, email: &str) -> Value {
    events(app, "UserRegistered").await.into_iter().find(|e| e["data"]["email"] == email).expect("UserRegistered")
}

/// `POST /auth/email/verify` with `token`.
async fn verify(app: &TestApp, token: &str) -> Response {
    auth_email_verify::handler(&app.email_verify(), post("/auth/email/verify", &json!({ "token": token }))).await
}

/// `POST /auth/email/verification` as the holder of `access`.
async fn ask_for_a_link(app: &TestApp, access: &Value) -> Response {
    let who = identity_of(&claims(access.as_str().expect("access token")));
    let req = request("POST", "/auth/email/verification", None, "203.0.113.1", Some(&who));
    auth_email_verification::handler(&app.email_verification(), req).await
}

/// `GET /auth/me` as the holder of `access`.
async fn me(app: &TestApp, access: &Value) -> Value {
    let who = identity_of(&claims(access.as_str().expect("access token")));
    let r = auth_me::handler(&app.me(), request("GET", "/auth/me", None, "203.0.113.1", Some(&who))).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    body_json(&r)
}

/// The token of the verification link `event` references, as notifications would mail it.
async fn token_of(app: &TestApp, link: &Value) -> String {
    let id = link["id"].as_str().expect("a link id");
    app.link_key().await.token(LinkPurpose::EmailVerification, id)
}

#[tokio::test]
async fn registration_records_a_verification_that_the_welcome_event_references() {
    let app = TestApp::spawn().await;
    let (email, _, pair) = app.signed_up_customer().await;
    assert_eq!(me(&app, &pair["access_token"]).await["email_verified"], false);
    let registered = registration_of(&app, &email).await;
    let link = &registered["data"]["verification"];
    assert!(link["id"].is_string() && link["expires_at"].is_string(), "{registered}");
    assert_eq!(link.as_object().map(|o| o.len()), Some(2), "an id and an expiry, never a token: {registered}");
}

#[tokio::test]
async fn the_link_verifies_the_address_once_and_opening_it_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let (email, _, pair) = app.signed_up_customer().await;
    let token = token_of(&app, &registration_of(&app, &email).await["data"]["verification"]).await;
    for _ in 0..2 {
        let r = verify(&app, &token).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
        assert_eq!(body_json(&r), json!({ "email": email, "email_verified": true }));
    }
    assert_eq!(me(&app, &pair["access_token"]).await["email_verified"], true);
    let verified = events(&app, "EmailVerified").await;
    assert_eq!(verified.len(), 1, "one EmailVerified: {verified:?}");
    assert_eq!(verified[0]["data"]["email"], email.as_str());
    // Verified: no new link is sent.
    assert_problem(&ask_for_a_link(&app, &pair["access_token"]).await, 409);
}

#[tokio::test]
async fn a_tampered_foreign_or_unknown_verification_token_is_a_400() {
    let app = TestApp::spawn().await;
    let (email, _, pair) = app.signed_up_customer().await;
    let link = registration_of(&app, &email).await["data"]["verification"].clone();
    let id = link["id"].as_str().expect("id");
    let key = app.link_key().await;
    for bad in [
        key.token(LinkPurpose::PasswordReset, id),
        LinkKey::parse("some other key of at least 32 bytes").expect("key").token(LinkPurpose::EmailVerification, id),
        key.token(LinkPurpose::EmailVerification, "no-such-verification"),
        id.to_owned(),
        String::new(),
    ] {
        assert_problem(&verify(&app, &bad).await, 400);
    }
    assert_eq!(me(&app, &pair["access_token"]).await["email_verified"], false);
    assert!(events(&app, "EmailVerified").await.is_empty());
}

#[tokio::test]
async fn an_expired_verification_link_is_a_400() {
    let app = TestApp::spawn().await;
    let (email, _, _) = app.signed_up_customer().await;
    let link = registration_of(&app, &email).await["data"]["verification"].clone();
    let id = link["id"].as_str().expect("id");
    app.expire(&format!("VERIFY#{id}"), "VERIFY").await;
    assert_problem(&verify(&app, &token_of(&app, &link).await).await, 400);
}

#[tokio::test]
async fn a_user_may_ask_for_a_few_new_links_a_day_and_each_works() {
    let app = TestApp::spawn().await;
    let (email, _, pair) = app.signed_up_customer().await;
    for _ in 0..VERIFICATIONS_PER_USER_PER_DAY {
        let r = ask_for_a_link(&app, &pair["access_token"]).await;
        assert_eq!(r.status(), 202, "{}", text(&r));
    }
    let capped = ask_for_a_link(&app, &pair["access_token"]).await;
    assert_problem(&capped, 429);
    assert!(capped.headers().contains_key("retry-after"));
    let requested = events(&app, "EmailVerificationRequested").await;
    assert_eq!(requested.len() as u64, VERIFICATIONS_PER_USER_PER_DAY);
    assert!(requested.iter().all(|e| e["data"]["email"] == email.as_str()));
    // The newest link works (and so would the welcome email's).
    let token = token_of(&app, &requested[0]["data"]["verification"]).await;
    assert_eq!(verify(&app, &token).await.status(), 200);
    assert_eq!(me(&app, &pair["access_token"]).await["email_verified"], true);
}

#[tokio::test]
async fn the_seeded_admin_is_verified_and_its_welcome_carries_no_link() {
    let app = TestApp::spawn().await;
    let client = aws_sdk_dynamodb::Client::new(&app.config);
    auth_core::bootstrap::ensure_admin(&client, &app.table, "root@example.com", "admin pass 12345")
        .await
        .expect("admin");
    let user = app.store().user_by_email(&auth_core::Email::parse("root@example.com").expect("email")).await;
    assert!(user.expect("read").expect("the admin").email_verified);
    let registered = registration_of(&app, "root@example.com").await;
    assert!(registered["data"].get("verification").is_none(), "{registered}");
}

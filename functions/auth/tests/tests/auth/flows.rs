//! The account lifecycle through the handlers: register, login, me, refresh with rotation
//! and reuse detection, logout, password reset, permissions, throttling.

use auth_core::settings::RateLimits;
use serde_json::json;

use crate::support::*;

type Response = lambda_http::Response<lambda_http::Body>;

/// `POST /auth/login` with `email` and `password`.
async fn login(app: &TestApp, email: &str, password: &str) -> Response {
    auth_login::handler(&app.login(), post("/auth/login", &json!({ "email": email, "password": password }))).await
}

/// `POST /auth/refresh` with `token`.
async fn refresh(app: &TestApp, token: &str) -> Response {
    auth_refresh::handler(&app.refresh(), post("/auth/refresh", &json!({ "refresh_token": token }))).await
}

/// `GET /auth/users/{id}` as `who`.
async fn get_user(app: &TestApp, id: &str, who: &bazaar_runtime::Identity) -> Response {
    let req = request("GET", &format!("/auth/users/{id}"), None, "203.0.113.1", Some(who));
    let params = std::collections::HashMap::from([("id".to_owned(), id.to_owned())]);
    auth_users_get::handler(&app.users_get(), lambda_http::RequestExt::with_path_parameters(req, params)).await
}

#[tokio::test]
async fn register_login_me_refresh_reuse_and_logout() {
    let app = TestApp::spawn().await;
    let (email, _password, pair) = app.signed_up_customer().await;
    let access = pair["access_token"].as_str().expect("access token");
    let claims = claims(access);
    assert_eq!(claims["email"], email.as_str());
    assert_eq!(claims["roles"], json!(["customer"]));
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 900);

    let me =
        auth_me::handler(&app.me(), request("GET", "/auth/me", None, "203.0.113.1", Some(&identity_of(&claims)))).await;
    assert_eq!(me.status(), 200, "{}", text(&me));
    assert_eq!(body_json(&me)["email"], email.as_str());

    let first = pair["refresh_token"].as_str().expect("refresh").to_owned();
    let r = refresh(&app, &first).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let second = body_json(&r)["refresh_token"].as_str().expect("rotated").to_owned();
    assert_ne!(first, second, "refresh tokens rotate on every use");

    // Reusing the rotated token is refused and kills the whole family, the new token too.
    assert_problem(&refresh(&app, &first).await, 401);
    assert_problem(&refresh(&app, &second).await, 401);

    // A fresh session, then logout ends it.
    let session = login(&app, &email, "correct horse 42").await;
    let token = body_json(&session)["refresh_token"].as_str().expect("refresh").to_owned();
    let out = auth_logout::handler(&app.logout(), post("/auth/logout", &json!({ "refresh_token": token }))).await;
    assert_eq!(out.status(), 204);
    assert_problem(&refresh(&app, &token).await, 401);
}

#[tokio::test]
async fn refresh_tokens_are_stored_only_as_hashes() {
    let app = TestApp::spawn().await;
    let (_, _, pair) = app.signed_up_customer().await;
    let token = pair["refresh_token"].as_str().expect("refresh");
    let scan = aws_sdk_dynamodb::Client::new(&app.config).scan().table_name(&app.table).send().await.expect("scan");
    let dump = format!("{:?}", scan.items());
    assert!(!dump.contains(token), "a refresh token is stored in clear");
    assert!(dump.contains(&auth_core::tokens::hash_token(token)));
    assert!(dump.contains("$argon2id$"), "passwords are argon2id hashes");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let (email, _, _) = app.signed_up_customer().await;
    let wrong = login(&app, &email, "wrong horse 42").await;
    let unknown = login(&app, "no@example.com", "wrong horse 42").await;
    assert_problem(&wrong, 401);
    assert_problem(&unknown, 401);
    let (mut a, mut b) = (body_json(&wrong), body_json(&unknown));
    a["correlation_id"] = json!(null);
    b["correlation_id"] = json!(null);
    assert_eq!(a, b);
}

#[tokio::test]
async fn two_concurrent_registrations_of_one_email_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    for round in 0..5 {
        let body = json!({ "email": format!("race{round}@example.com"), "password": "correct horse 42" });
        let deps = app.register();
        let (a, b) = tokio::join!(
            auth_register::handler(&deps, post("/auth/register", &body)),
            auth_register::handler(&deps, post("/auth/register", &body)),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}: {} / {}", text(&a), text(&b));
    }
    let registered = app.outbox().await.into_iter().filter(|o| o.detail_type == "UserRegistered").count();
    assert_eq!(registered, 5, "one UserRegistered event per account");
}

#[tokio::test]
async fn emails_are_unique_after_normalisation() {
    let app = TestApp::spawn().await;
    let (email, _, _) = app.signed_up_customer().await;
    let shouted = format!("  {}  ", email.to_uppercase());
    let r = auth_register::handler(
        &app.register(),
        post("/auth/register", &json!({ "email": shouted, "password": "correct horse 42" })),
    )
    .await;
    assert_problem(&r, 409);
}

#[tokio::test]
async fn a_customer_gets_403_on_an_admin_route_and_an_admin_gets_the_user() {
    let app = TestApp::spawn().await;
    let (_, _, pair) = app.signed_up_customer().await;
    let customer = identity_of(&claims(pair["access_token"].as_str().expect("token")));
    assert_problem(&get_user(&app, &customer.sub, &customer).await, 403);

    let admin_id = auth_core::bootstrap::ensure_admin(
        &aws_sdk_dynamodb::Client::new(&app.config),
        &app.table,
        "root@example.com",
        "admin pass 12345",
    )
    .await
    .expect("admin");
    let session = login(&app, "root@example.com", "admin pass 12345").await;
    let admin = identity_of(&claims(body_json(&session)["access_token"].as_str().expect("token")));
    assert_eq!(admin.sub, admin_id);
    assert!(admin.has_permission("users:read"));
    let r = get_user(&app, &customer.sub, &admin).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["id"], customer.sub.as_str());
}

#[tokio::test]
async fn login_is_throttled_per_ip_with_retry_after() {
    let app = TestApp::spawn_with(RateLimits { per_ip: 3, window_seconds: 900, login_failures_per_account: 100 }).await;
    let body = json!({ "email": "nobody@example.com", "password": "correct horse 42" });
    let ip = format!("192.0.2.{}", rand_octet());
    let from_ip = |b: &serde_json::Value| request("POST", "/auth/login", Some(&b.to_string()), &ip, None);
    for _ in 0..3 {
        assert_problem(&auth_login::handler(&app.login(), from_ip(&body)).await, 401);
    }
    let limited = auth_login::handler(&app.login(), from_ip(&body)).await;
    assert_problem(&limited, 429);
    let retry: u64 = limited.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=900).contains(&retry));
    // Another client is not affected.
    let other = request("POST", "/auth/login", Some(&body.to_string()), "192.0.2.254", None);
    assert_problem(&auth_login::handler(&app.login(), other).await, 401);
}

#[tokio::test]
async fn failed_logins_throttle_the_account_even_with_the_right_password() {
    let app =
        TestApp::spawn_with(RateLimits { per_ip: 1000, window_seconds: 900, login_failures_per_account: 3 }).await;
    let (email, password, _) = app.signed_up_customer().await;
    for _ in 0..3 {
        assert_problem(&login(&app, &email, "wrong horse 42").await, 401);
    }
    assert_problem(&login(&app, &email, &password).await, 429);
}

/// `POST /auth/password/forgot` for `email`.
async fn forgot(app: &TestApp, email: &str) -> Response {
    auth_password_forgot::handler(&app.forgot(), post("/auth/password/forgot", &json!({ "email": email }))).await
}

/// `POST /auth/password/reset` with `token` and `password`.
async fn reset(app: &TestApp, token: &str, password: &str) -> Response {
    let body = json!({ "token": token, "password": password });
    auth_password_reset::handler(&app.reset(), post("/auth/password/reset", &body)).await
}

/// The `PasswordResetRequested` events in the outbox, oldest first, as JSON.
async fn reset_events(app: &TestApp) -> Vec<serde_json::Value> {
    let mut events: Vec<(String, serde_json::Value)> = app
        .outbox()
        .await
        .into_iter()
        .filter(|o| o.detail_type == "PasswordResetRequested")
        .map(|o| serde_json::from_str::<serde_json::Value>(&o.detail).expect("detail"))
        .map(|d| (d["metadata"]["occurred_at"].as_str().unwrap_or_default().to_owned(), d))
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    events.into_iter().map(|(_, d)| d).collect()
}

/// Asks for a reset of `email` and returns the token of the link notifications would mail.
async fn reset_link_token(app: &TestApp, email: &str) -> String {
    let before = reset_events(app).await.len();
    let r = forgot(app, email).await;
    assert_eq!(r.status(), 202, "{}", text(&r));
    let events = reset_events(app).await;
    assert_eq!(events.len(), before + 1, "one event per request");
    let id = events.last().and_then(|e| e["data"]["reset"]["id"].as_str()).expect("the reset's id").to_owned();
    app.link_key().await.token(LinkPurpose::PasswordReset, &id)
}

#[tokio::test]
async fn password_reset_is_single_use_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let (email, _, pair) = app.signed_up_customer().await;
    let token = reset_link_token(&app, &email).await;

    let r = reset(&app, &token, "a brand new secret 9").await;
    assert_eq!(r.status(), 204, "{}", text(&r));
    assert_problem(&reset(&app, &token, "a brand new secret 9").await, 400);

    let old = pair["refresh_token"].as_str().expect("refresh");
    assert_problem(&refresh(&app, old).await, 401);
    assert_problem(&login(&app, &email, "correct horse 42").await, 401);
    assert_eq!(login(&app, &email, "a brand new secret 9").await.status(), 200);
}

#[tokio::test]
async fn a_reset_event_names_the_reset_and_carries_no_link() {
    let app = TestApp::spawn().await;
    let (email, _, _) = app.signed_up_customer().await;
    let token = reset_link_token(&app, &email).await;
    let event = reset_events(&app).await.pop().expect("the event");
    let data = event["data"].as_object().expect("data");
    let mut fields: Vec<&str> = data.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["email", "reset", "user_id"], "{event}");
    assert_eq!(event["metadata"]["version"], 2);
    let mac = token.split_once('.').expect("<id>.<mac>").1;
    assert!(!event.to_string().contains(mac), "the event holds a working token: {event}");
    let scan = aws_sdk_dynamodb::Client::new(&app.config).scan().table_name(&app.table).send().await.expect("scan");
    assert!(!format!("{:?}", scan.items()).contains(mac), "the table holds a working token");
}

#[tokio::test]
async fn a_tampered_or_foreign_reset_token_is_refused_like_an_unknown_one() {
    let app = TestApp::spawn().await;
    let (email, password, _) = app.signed_up_customer().await;
    let token = reset_link_token(&app, &email).await;
    let (id, mac) = token.split_once('.').expect("<id>.<mac>");
    let other_key = LinkKey::parse("some other key of at least 32 bytes").expect("key");
    let first = if mac.starts_with('A') { "B" } else { "A" };
    let flipped = format!("{first}{}", &mac[1..]);
    let tampered = [
        format!("{id}.{flipped}"),
        other_key.token(LinkPurpose::PasswordReset, id),
        app.link_key().await.token(LinkPurpose::EmailVerification, id),
        id.to_owned(),
        "not-a-token".to_owned(),
    ];
    let unknown = reset(&app, &app.link_key().await.token(LinkPurpose::PasswordReset, "no-such-reset"), "x").await;
    assert_problem(&unknown, 400);
    for bad in &tampered {
        let r = reset(&app, bad, "a brand new secret 9").await;
        assert_problem(&r, 400);
        let (mut a, mut b) = (body_json(&r), body_json(&unknown));
        a["correlation_id"] = json!(null);
        b["correlation_id"] = json!(null);
        assert_eq!(a, b, "{bad}: the same answer as an unknown token");
    }
    assert_eq!(login(&app, &email, &password).await.status(), 200, "the password is unchanged");
    assert_eq!(reset(&app, &token, "a brand new secret 9").await.status(), 204, "the real link still works");
}

#[tokio::test]
async fn a_password_reset_consumes_every_reset_link_of_the_user() {
    let app = TestApp::spawn().await;
    let (email, _, _) = app.signed_up_customer().await;
    let first = reset_link_token(&app, &email).await;
    let second = reset_link_token(&app, &email).await;
    assert_eq!(reset(&app, &first, "a brand new secret 9").await.status(), 204);
    assert_problem(&reset(&app, &second, "another new secret 10").await, 400);
    assert_eq!(login(&app, &email, "a brand new secret 9").await.status(), 200);
    // A link asked for after the reset works.
    let third = reset_link_token(&app, &email).await;
    assert_eq!(reset(&app, &third, "a third new secret 11").await.status(), 204);
}

#[tokio::test]
async fn forgot_password_is_capped_per_address_and_day_whether_or_not_the_account_exists() {
    let app = TestApp::spawn().await;
    let (email, _, _) = app.signed_up_customer().await;
    let ghost = format!("ghost-{}@example.com", uuid::Uuid::new_v4().simple());
    for address in [&email, &ghost] {
        for _ in 0..RESETS_PER_EMAIL_PER_DAY {
            assert_eq!(forgot(&app, address).await.status(), 202);
        }
        let capped = forgot(&app, address).await;
        assert_problem(&capped, 429);
        let retry: u64 = capped.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
        assert!((1..=86_400).contains(&retry), "{retry}");
    }
    assert_eq!(reset_events(&app).await.len() as u64, RESETS_PER_EMAIL_PER_DAY, "no event over the cap");
    // Another address is not affected; the address is counted normalised.
    assert_problem(&forgot(&app, &email.to_uppercase()).await, 429);
    let (other, _, _) = app.signed_up_customer().await;
    assert_eq!(forgot(&app, &other).await.status(), 202);
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_unknown_accounts_and_emits_nothing() {
    let app = TestApp::spawn().await;
    let r = forgot(&app, "ghost@example.com").await;
    assert_eq!(r.status(), 202);
    assert!(app.outbox().await.is_empty());
}

fn rand_octet() -> u8 {
    (uuid::Uuid::new_v4().as_bytes()[0] % 200) + 1
}

#[tokio::test]
async fn an_unusable_signing_key_is_a_503_until_it_is_fixed() {
    let app = TestApp::spawn().await;
    let (email, password, _) = app.signed_up_customer().await;
    let body = json!({ "email": email, "password": password });
    let warm = app.login();
    assert_eq!(auth_login::handler(&warm, post("/auth/login", &body)).await.status(), 200);

    app.put_keys("{\"kid\": \"k\", \"private_key_pem\": \"not a key\"}", &fixture("jwks.json")).await;
    let cold = app.login();
    let r = auth_login::handler(&cold, post("/auth/login", &body)).await;
    assert_problem(&r, 503);
    assert!(!text(&r).contains("not a key"), "key material leaked: {}", text(&r));
    // An instance holding the parsed key keeps signing within the cache TTL.
    assert_eq!(auth_login::handler(&warm, post("/auth/login", &body)).await.status(), 200);

    // A bad value is not cached: once the parameter is fixed, the same instance signs again.
    app.put_keys(&fixture("key-a.json"), &fixture("jwks.json")).await;
    assert_eq!(auth_login::handler(&cold, post("/auth/login", &body)).await.status(), 200);
}

#[tokio::test]
async fn concurrent_wrong_guesses_are_counted_before_any_password_is_checked() {
    let limit = 3;
    let app =
        TestApp::spawn_with(RateLimits { per_ip: 1000, window_seconds: 900, login_failures_per_account: limit }).await;
    let (email, _, _) = app.signed_up_customer().await;
    let deps = app.login();
    let guesses = (0..20).map(|i| {
        let body = json!({ "email": email, "password": format!("wrong horse {i}") });
        auth_login::handler(&deps, post("/auth/login", &body))
    });
    let answers = futures::future::join_all(guesses).await;
    let status = |code: u16| answers.iter().filter(|r| r.status() == code).count();
    assert_eq!(status(401) + status(429), 20, "{:?}", answers.iter().map(text).collect::<Vec<_>>());
    assert!(status(401) as u64 <= limit, "{} guesses were checked, the limit is {limit}", status(401));
}

#[tokio::test]
async fn a_successful_login_does_not_count_against_the_account() {
    let app =
        TestApp::spawn_with(RateLimits { per_ip: 1000, window_seconds: 900, login_failures_per_account: 2 }).await;
    let (email, password, _) = app.signed_up_customer().await;
    for _ in 0..4 {
        assert_eq!(login(&app, &email, &password).await.status(), 200);
    }
    assert_problem(&login(&app, &email, "wrong horse 42").await, 401);
    assert_eq!(login(&app, &email, &password).await.status(), 200);
}

#[tokio::test]
async fn refresh_refuses_a_session_past_its_familys_expiry() {
    let app = TestApp::spawn().await;
    let (_, _, pair) = app.signed_up_customer().await;
    let token = pair["refresh_token"].as_str().expect("refresh");
    let r = refresh(&app, token).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let rotated = body_json(&r);
    assert!(
        rotated["refresh_expires_in"].as_i64() <= pair["refresh_expires_in"].as_i64(),
        "a refresh never extends the session: {rotated} after {pair}"
    );
    let token = rotated["refresh_token"].as_str().expect("rotated");

    // The session (its family) ends while its newest token still has time left.
    let record =
        app.store().refresh_record(&auth_core::tokens::hash_token(token)).await.expect("read").expect("record");
    app.expire(&format!("FAMILY#{}", record.family_id), "FAMILY").await;
    assert!(record.expires_at > chrono::Utc::now().timestamp(), "the token itself is still valid");
    assert_problem(&refresh(&app, token).await, 401);
}

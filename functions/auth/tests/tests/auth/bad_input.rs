//! Bad input on every auth route gets a 4xx problem+json, never a 500.

use lambda_http::{Body, Request, Response};
use serde_json::json;

use crate::support::*;

fn raw(path: &str, body: &str, content_type: Option<&str>) -> Request {
    let mut req = request("POST", path, Some(body), "203.0.113.9", None);
    match content_type {
        Some(ct) => {
            req.headers_mut().insert("content-type", ct.parse().expect("header"));
        }
        None => {
            req.headers_mut().remove("content-type");
        }
    }
    req
}

/// Bodies every JSON route must refuse, with the status each gets.
fn bad_bodies() -> Vec<(&'static str, Option<&'static str>, u16)> {
    vec![
        ("", Some("application/json"), 400),
        ("{\"email\": ", Some("application/json"), 400),
        ("[1, 2, 3]", Some("application/json"), 400),
        ("{\"unexpected\": true}", Some("application/json"), 400),
        ("{\"email\": 42, \"password\": []}", Some("application/json"), 400),
        ("email=a&password=b", Some("application/x-www-form-urlencoded"), 415),
        ("{}", None, 415),
    ]
}

async fn check<F, Fut>(route: &str, call: F)
where
    F: Fn(Request) -> Fut,
    Fut: std::future::Future<Output = Response<Body>>,
{
    for (body, ct, status) in bad_bodies() {
        let r = call(raw(route, body, ct)).await;
        assert_problem(&r, status);
        assert!(r.status().is_client_error(), "{route} {body:?}");
    }
    let huge = format!("{{\"email\": \"{}\"}}", "x".repeat(70 * 1024));
    assert_problem(&call(raw(route, &huge, Some("application/json"))).await, 413);
}

#[tokio::test]
async fn every_json_route_refuses_bad_bodies_with_problem_json() {
    let app = TestApp::spawn().await;
    check("/auth/register", |r| async { auth_register::handler(&app.register(), r).await }).await;
    check("/auth/login", |r| async { auth_login::handler(&app.login(), r).await }).await;
    check("/auth/refresh", |r| async { auth_refresh::handler(&app.refresh(), r).await }).await;
    check("/auth/logout", |r| async { auth_logout::handler(&app.logout(), r).await }).await;
    check("/auth/password/forgot", |r| async { auth_password_forgot::handler(&app.forgot(), r).await }).await;
    check("/auth/password/reset", |r| async { auth_password_reset::handler(&app.reset(), r).await }).await;
}

/// A bad body costs no AWS call: with the functions' DynamoDB and SSM clients pointed at a
/// port nobody listens on, each bad body still gets its 4xx, while a well-formed login
/// (which counts the caller's rate limit in DynamoDB first) cannot be answered (5xx).
#[tokio::test]
async fn bad_bodies_are_refused_before_any_aws_call() {
    let app = TestApp::spawn().await;
    let offline = bazaar_testkit::Offline::of(&app.stack).await;
    let (register, login) = (bazaar_testkit::deps!(offline, auth_register), bazaar_testkit::deps!(offline, auth_login));
    let forgot = bazaar_testkit::deps!(offline, auth_password_forgot);
    check("/auth/register", |r| async { auth_register::handler(&register, r).await }).await;
    check("/auth/login", |r| async { auth_login::handler(&login, r).await }).await;
    check("/auth/password/forgot", |r| async { auth_password_forgot::handler(&forgot, r).await }).await;
    let well_formed = post("/auth/login", &json!({ "email": "someone@example.com", "password": "correct horse 42" }));
    assert!(auth_login::handler(&login, well_formed).await.status().is_server_error());
}

#[tokio::test]
async fn register_validates_fields_and_refuses_roles() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({ "email": "not-an-email", "password": "correct horse 42" }), 422, "email"),
        (json!({ "email": "ok@example.com", "password": "short" }), 422, "password"),
        (json!({ "email": "ok@example.com", "password": "nodigitsatallhere" }), 422, "password"),
        (json!({ "email": "ok@example.com", "password": "correct horse 42", "role": "admin" }), 400, "role"),
        (json!({ "email": "ok@example.com", "password": "correct horse 42", "roles": ["admin"] }), 400, "roles"),
    ];
    for (body, status, field) in cases {
        let r = auth_register::handler(&app.register(), post("/auth/register", &body)).await;
        assert_problem(&r, status);
        assert!(text(&r).contains(field), "{body}: {}", text(&r));
    }
    assert!(app.outbox().await.is_empty(), "nothing was registered");
}

#[tokio::test]
async fn protected_routes_without_identity_get_401_and_unknown_users_404() {
    let app = TestApp::spawn().await;
    assert_problem(&auth_me::handler(&app.me(), request("GET", "/auth/me", None, "203.0.113.1", None)).await, 401);
    let r = auth_users_get::handler(&app.users_get(), request("GET", "/auth/users/x", None, "203.0.113.1", None)).await;
    assert_problem(&r, 401);
}

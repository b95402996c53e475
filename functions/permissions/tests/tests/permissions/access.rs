//! Every route requires an identity (401) holding `roles:manage` (403), whatever else it asks.

use bazaar_runtime::Identity;
use lambda_http::{Body, Response};
use serde_json::json;

use crate::support::*;

/// Every route once, as `who`, against an existing user and role.
async fn every_route(app: &TestApp, who: Option<&Identity>, user: &str) -> Vec<(&'static str, Response<Body>)> {
    vec![
        ("GET /roles", app.list_roles(who).await),
        ("POST /roles", app.create_role(who, &role_body("auditor", &["reports:read_all"])).await),
        ("PUT /roles/{name}", app.update_role(who, "owner", &json!({ "permissions": [] })).await),
        ("DELETE /roles/{name}", app.delete_role(who, "owner").await),
        ("GET /users/{id}/roles", app.user_roles(who, user).await),
        ("PUT /users/{id}/roles/{role}", app.grant(who, user, "owner").await),
        ("DELETE /users/{id}/roles/{role}", app.revoke(who, user, "customer").await),
    ]
}

#[tokio::test]
async fn a_caller_without_roles_manage_gets_403_on_every_route_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let user = app.register(&["customer"]).await;
    for (route, r) in every_route(&app, Some(&customer()), &user).await {
        assert_eq!(r.status(), 403, "{route}: {}", text(&r));
        assert_problem(&r, 403);
    }
    assert!(app.outbox().await.is_empty(), "a refused request wrote an event");
    let r = app.user_roles(Some(&admin()), &user).await;
    assert_eq!(body_json(&r)["roles"], json!(["customer"]));
}

#[tokio::test]
async fn an_anonymous_caller_gets_401_on_every_route() {
    let app = TestApp::spawn().await;
    let user = app.register(&["customer"]).await;
    for (route, r) in every_route(&app, None, &user).await {
        assert_eq!(r.status(), 401, "{route}: {}", text(&r));
        assert_problem(&r, 401);
    }
    assert!(app.outbox().await.is_empty());
}

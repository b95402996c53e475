//! auth's projection of the permissions service: `RoleChanged` and `UserRolesChanged`
//! change what the next issued or refreshed token carries (never a token already issued),
//! and redelivered or stale events change nothing.

use bazaar_events::Envelope;
use bazaar_events::permissions::{RoleChanged, UserRolesChanged};
use bazaar_testkit::events::{delivered, failed_ids, lambda_batch_of};
use serde_json::{Value, json};

use crate::support::*;

fn roles_changed(user_id: &str, roles: &[&str], version: u64) -> String {
    let roles = roles.iter().map(|r| (*r).to_owned()).collect();
    delivered(&Envelope::new(UserRolesChanged { user_id: user_id.to_owned(), roles, version }, "t"))
}

fn role_changed(role: &str, permissions: &[&str], deleted: bool, version: u64) -> String {
    let permissions = permissions.iter().map(|p| (*p).to_owned()).collect();
    delivered(&Envelope::new(
        RoleChanged { role: role.to_owned(), permissions, built_in: false, deleted, version },
        "t",
    ))
}

async fn project(app: &TestApp, bodies: &[String]) {
    let r = auth_on_roles::handler(&app.on_roles(), lambda_batch_of(bodies)).await.expect("handler");
    assert!(failed_ids(&r).is_empty(), "nothing fails: {:?}", failed_ids(&r));
}

/// The token pair that refreshing `pair` gives.
async fn refreshed(app: &TestApp, pair: &Value) -> Value {
    let refresh_token = pair["refresh_token"].as_str().expect("refresh");
    let r =
        auth_refresh::handler(&app.refresh(), post("/auth/refresh", &json!({ "refresh_token": refresh_token }))).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    body_json(&r)
}

/// The claims of `pair`'s access token.
fn access_claims(pair: &Value) -> Value {
    claims(pair["access_token"].as_str().expect("access"))
}

#[tokio::test]
async fn a_role_change_reaches_the_next_refreshed_token_not_the_current_one() {
    let app = TestApp::spawn().await;
    let (_, _, pair) = app.signed_up_customer().await;
    let before = access_claims(&pair);
    let user_id = before["sub"].as_str().expect("sub").to_owned();
    assert_eq!(before["permissions"], json!([]));

    project(&app, &[roles_changed(&user_id, &["customer", "front_desk"], 1)]).await;
    // The token already issued is unchanged: it is what the caller holds until refresh.
    assert_eq!(before["roles"], json!(["customer"]));

    let pair = refreshed(&app, &pair).await;
    let after = access_claims(&pair);
    assert_eq!(after["roles"], json!(["customer", "front_desk"]));
    assert_eq!(after["permissions"], json!(["reservations:check_in", "reservations:read_all"]));

    // A custom role: its permissions come from RoleChanged; deleting it takes them away.
    project(
        &app,
        &[role_changed("auditor", &["reports:read_all"], false, 1), roles_changed(&user_id, &["auditor"], 2)],
    )
    .await;
    let pair = refreshed(&app, &pair).await;
    assert_eq!(access_claims(&pair)["permissions"], json!(["reports:read_all"]));
    project(&app, &[role_changed("auditor", &[], true, 2)]).await;
    let pair = refreshed(&app, &pair).await;
    let last = access_claims(&pair);
    assert_eq!(last["roles"], json!(["auditor"]));
    assert_eq!(last["permissions"], json!([]));
}

#[tokio::test]
async fn redelivered_and_stale_events_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, _, pair) = app.signed_up_customer().await;
    let user_id = access_claims(&pair)["sub"].as_str().expect("sub").to_owned();

    let v2 = roles_changed(&user_id, &["owner"], 2);
    project(&app, &[v2.clone(), v2]).await;
    // Version 1 arrives late: it must not undo version 2.
    project(&app, &[roles_changed(&user_id, &["customer"], 1)]).await;
    let user = app.store().user(&user_id).await.expect("read").expect("user");
    assert_eq!(user.roles, vec!["owner".to_owned()]);
    assert_eq!(user.roles_version, 2);

    project(&app, &[role_changed("owner", &["catalog:write"], false, 3)]).await;
    project(&app, &[role_changed("owner", &["catalog:write", "reports:read"], false, 2)]).await;
    let pair = refreshed(&app, &pair).await;
    assert_eq!(access_claims(&pair)["permissions"], json!(["catalog:write"]));

    // Roles of a user auth never registered are not invented.
    project(&app, &[roles_changed("no-such-user", &["admin"], 1)]).await;
    assert!(app.store().user("no-such-user").await.expect("read").is_none());
}

//! Users' roles: reading them with their effective permissions, granting and revoking with
//! `UserRolesChanged`, members counts, and the last admin.

use bazaar_events::permissions::{UserRolesChanged, default_permissions};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_users_roles_come_with_the_union_of_their_permissions() {
    let app = TestApp::spawn().await;
    app.create_role(Some(&admin()), &role_body("auditor", &["reports:read_all", "reservations:check_in"])).await;
    let user = app.register(&["front_desk"]).await;
    app.grant(Some(&admin()), &user, "auditor").await;

    let r = app.user_roles(Some(&admin()), &user).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let view = body_json(&r);
    assert_eq!(view["user_id"], user.as_str());
    assert_eq!(view["roles"], json!(["auditor", "front_desk"]));
    let mut expected = default_permissions("front_desk").expect("defaults");
    expected.push("reports:read_all".into());
    expected.sort();
    expected.dedup();
    assert_eq!(view["permissions"], json!(expected));
    assert_eq!(view["version"], 1);

    assert_problem(&app.user_roles(Some(&admin()), "nobody").await, 404);
}

#[tokio::test]
async fn granting_and_revoking_emit_user_roles_changed_with_growing_versions_and_count_members() {
    let app = TestApp::spawn().await;
    let user = app.register(&["customer"]).await;
    assert_eq!(app.members("customer").await, 1);

    let r = app.grant(Some(&admin()), &user, "owner").await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["roles"], json!(["customer", "owner"]));
    assert_eq!(body_json(&r)["version"], 1);
    assert_eq!(app.members("owner").await, 1);

    let r = app.revoke(Some(&admin()), &user, "customer").await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["roles"], json!(["owner"]));
    assert_eq!(app.members("customer").await, 0);

    assert_eq!(
        app.user_events(&user).await,
        vec![
            UserRolesChanged { user_id: user.clone(), roles: strings(&["customer", "owner"]), version: 1 },
            UserRolesChanged { user_id: user.clone(), roles: strings(&["owner"]), version: 2 },
        ]
    );
}

#[tokio::test]
async fn granting_a_role_already_held_changes_nothing() {
    let app = TestApp::spawn().await;
    let user = app.register(&["customer"]).await;
    let r = app.grant(Some(&admin()), &user, "customer").await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["version"], 0);
    assert!(app.user_events(&user).await.is_empty());
    assert_eq!(app.members("customer").await, 1);
}

#[tokio::test]
async fn unknown_users_and_roles_and_roles_not_held_are_404() {
    let app = TestApp::spawn().await;
    let user = app.register(&["customer"]).await;
    assert_problem(&app.grant(Some(&admin()), "nobody", "owner").await, 404);
    assert_problem(&app.grant(Some(&admin()), &user, "auditor").await, 404);
    assert_problem(&app.grant(Some(&admin()), &user, "Not A Role").await, 404);
    assert_problem(&app.revoke(Some(&admin()), &user, "owner").await, 404);
    assert_problem(&app.revoke(Some(&admin()), "nobody", "customer").await, 404);
    assert!(app.outbox().await.is_empty());
    assert_eq!(app.members("owner").await, 0);
}

#[tokio::test]
async fn the_last_admin_cannot_lose_admin() {
    let app = TestApp::spawn().await;
    let root = app.register(&["admin"]).await;
    let problem = assert_problem(&app.revoke(Some(&admin()), &root, "admin").await, 409);
    assert!(problem["detail"].as_str().unwrap_or_default().contains("last admin"), "{problem}");
    assert_eq!(app.members("admin").await, 1);
    assert!(app.user_events(&root).await.is_empty());

    // With a second admin, the first may step down.
    let second = app.register(&["customer"]).await;
    assert_eq!(app.grant(Some(&admin()), &second, "admin").await.status(), 200);
    assert_eq!(app.revoke(Some(&admin()), &root, "admin").await.status(), 200);
    assert_problem(&app.revoke(Some(&admin()), &second, "admin").await, 409);
    assert_eq!(app.members("admin").await, 1);
}

#[tokio::test]
async fn of_two_admins_revoked_at_once_exactly_one_loses_admin() {
    let app = TestApp::spawn().await;
    let a = app.register(&["admin"]).await;
    let b = app.register(&["admin"]).await;
    assert_eq!(app.members("admin").await, 2);

    let root = admin();
    let (ra, rb) = tokio::join!(app.revoke(Some(&root), &a, "admin"), app.revoke(Some(&root), &b, "admin"));
    let mut statuses = vec![ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 409], "{} / {}", text(&ra), text(&rb));
    assert_eq!(app.members("admin").await, 1);
    let holders = [&a, &b];
    let mut still_admin = 0;
    for user in holders {
        let view = body_json(&app.user_roles(Some(&admin()), user).await);
        still_admin += usize::from(view["roles"] == json!(["admin"]));
    }
    assert_eq!(still_admin, 1);
    assert_eq!(app.events::<UserRolesChanged>().await.len(), 1);
}

#[tokio::test]
async fn concurrent_grants_to_one_user_are_both_applied_one_version_each() {
    let app = TestApp::spawn().await;
    let user = app.register(&["customer"]).await;
    let root = admin();
    let (r1, r2) = tokio::join!(app.grant(Some(&root), &user, "owner"), app.grant(Some(&root), &user, "front_desk"));
    assert_eq!((r1.status().as_u16(), r2.status().as_u16()), (200, 200), "{} / {}", text(&r1), text(&r2));

    let view = body_json(&app.user_roles(Some(&admin()), &user).await);
    assert_eq!(view["roles"], json!(["customer", "front_desk", "owner"]));
    assert_eq!(view["version"], 2);
    let events = app.user_events(&user).await;
    assert_eq!(events.iter().map(|e| e.version).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(events[1].roles, strings(&["customer", "front_desk", "owner"]));
    assert_eq!((app.members("owner").await, app.members("front_desk").await), (1, 1));
}

//! No granting beyond one's own: a holder of `roles:manage` grants, puts into a role, or
//! changes a role holding, only permissions they hold themselves (403
//! `beyond-own-permissions`, nothing written, nothing emitted). Admins hold every permission.

use serde_json::json;

use crate::support::*;

const BEYOND: &str = "urn:bazaar:problem:beyond-own-permissions";

#[tokio::test]
async fn a_manager_cannot_create_a_role_with_a_permission_they_lack() {
    let app = TestApp::spawn().await;
    let staff = manager(&["reports:read_all"]);
    let r = app.create_role(Some(&staff), &role_body("auditor", &["reports:read_all", "payments:settle"])).await;
    let problem = assert_problem(&r, 403);
    assert_eq!(problem["type"], BEYOND);
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("payments:settle")), "{problem}");
    assert!(app.outbox().await.is_empty());

    let r = app.create_role(Some(&staff), &role_body("auditor", &["reports:read_all"])).await;
    assert_eq!(r.status(), 201, "within their own: {}", text(&r));
}

#[tokio::test]
async fn a_manager_cannot_make_themselves_or_anyone_an_admin() {
    let app = TestApp::spawn().await;
    let staff = manager(&[]);
    let me = app.register(&["customer"]).await;
    let r = app.grant(Some(&staff), &me, "admin").await;
    assert_eq!(assert_problem(&r, 403)["type"], BEYOND);
    let r = app.grant(Some(&staff), &me, "owner").await;
    assert_eq!(assert_problem(&r, 403)["type"], BEYOND, "owner grants catalog:write, which staff lacks");
    assert!(app.user_events(&me).await.is_empty());
    assert_eq!(app.members("admin").await, 0);

    let r = app.grant(Some(&admin()), &me, "owner").await;
    assert_eq!(r.status(), 200, "an admin grants anything: {}", text(&r));
}

#[tokio::test]
async fn a_manager_cannot_widen_a_role_change_a_role_beyond_them_or_strip_an_admin() {
    let app = TestApp::spawn().await;
    let staff = manager(&["reports:read_all"]);
    app.create_role(Some(&staff), &role_body("auditor", &["reports:read_all"])).await;
    let widen = json!({ "permissions": ["reports:read_all", "orders:cancel_any"] });
    assert_eq!(assert_problem(&app.update_role(Some(&staff), "auditor", &widen).await, 403)["type"], BEYOND);
    // front_desk grants reservations permissions staff does not hold: staff may not even narrow it.
    let narrow = json!({ "permissions": [] });
    assert_eq!(assert_problem(&app.update_role(Some(&staff), "front_desk", &narrow).await, 403)["type"], BEYOND);
    assert!(app.role_events("front_desk").await.is_empty());

    let boss = app.register(&["admin"]).await;
    let other_admin = app.register(&["admin"]).await;
    assert_eq!(assert_problem(&app.revoke(Some(&staff), &boss, "admin").await, 403)["type"], BEYOND);
    assert!(app.user_events(&boss).await.is_empty());
    assert_eq!(app.members("admin").await, 2, "{other_admin} and the boss keep admin");

    app.create_role(Some(&admin()), &role_body("settler", &["payments:settle"])).await;
    assert_eq!(assert_problem(&app.delete_role(Some(&staff), "settler").await, 403)["type"], BEYOND);
}

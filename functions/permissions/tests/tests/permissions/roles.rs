//! Roles: listing, creation, updates and deletion, and the `RoleChanged` each change emits.

use bazaar_events::permissions::{PERMISSIONS, RoleChanged, default_permissions};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn listing_shows_the_built_in_roles_with_their_defaults_sorted_by_name() {
    let app = TestApp::spawn().await;
    let r = app.list_roles(Some(&admin())).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let roles = body_json(&r)["roles"].as_array().expect("roles").clone();
    let names: Vec<&str> = roles.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, vec!["admin", "customer", "front_desk", "owner"]);
    let owner = &roles[3];
    assert_eq!(owner["permissions"], json!(["catalog:write", "reports:read", "reservations:manage"]));
    assert_eq!(
        (owner["built_in"].clone(), owner["version"].clone(), owner["members"].clone()),
        (json!(true), json!(0), json!(0))
    );
    assert_eq!(roles[0]["permissions"].as_array().expect("admin").len(), PERMISSIONS.len());
}

#[tokio::test]
async fn creating_a_role_answers_201_with_its_location_and_emits_role_changed_version_1() {
    let app = TestApp::spawn().await;
    let body = json!({ "name": "auditor", "permissions": ["reports:read_all", "orders:read_all", "reports:read_all"],
                       "description": " Reads everything " });
    let r = app.create_role(Some(&admin()), &body).await;
    assert_eq!(r.status(), 201, "{}", text(&r));
    assert_eq!(r.headers()["location"], "/roles/auditor");
    let role = body_json(&r);
    assert_eq!(role["permissions"], json!(["orders:read_all", "reports:read_all"]));
    assert_eq!(role["description"], "Reads everything");
    assert_eq!(
        (role["built_in"].clone(), role["version"].clone(), role["members"].clone()),
        (json!(false), json!(1), json!(0))
    );

    let events = app.role_events("auditor").await;
    assert_eq!(
        events,
        vec![RoleChanged {
            role: "auditor".into(),
            permissions: strings(&["orders:read_all", "reports:read_all"]),
            built_in: false,
            deleted: false,
            version: 1,
        }]
    );
    assert_eq!(app.listed_role("auditor").await["version"], 1);
}

#[tokio::test]
async fn a_taken_name_is_409_built_ins_included() {
    let app = TestApp::spawn().await;
    assert_eq!(app.create_role(Some(&admin()), &role_body("auditor", &[])).await.status(), 201);
    for name in ["auditor", "admin", "front_desk"] {
        let r = app.create_role(Some(&admin()), &role_body(name, &["reports:read"])).await;
        assert_problem(&r, 409);
    }
    assert_eq!(app.role_events("auditor").await.len(), 1);
    assert!(app.role_events("admin").await.is_empty());
}

#[tokio::test]
async fn unknown_permissions_and_bad_names_are_422_listing_each_and_unknown_fields_400() {
    let app = TestApp::spawn().await;
    let body = role_body("auditor", &["reports:read", "catalog:destroy", "root"]);
    let problem = assert_problem(&app.create_role(Some(&admin()), &body).await, 422);
    assert_eq!(error_fields(&problem), vec!["permissions[1]", "permissions[2]"]);
    assert!(problem.to_string().contains("catalog:destroy"), "{problem}");

    for name in ["A", "Auditor", "9lives", "night-desk", &"x".repeat(33)] {
        let problem = assert_problem(&app.create_role(Some(&admin()), &role_body(name, &[])).await, 422);
        assert_eq!(error_fields(&problem), vec!["name"], "{name}");
    }
    let extra = json!({ "name": "auditor", "permissions": [], "built_in": true });
    assert_problem(&app.create_role(Some(&admin()), &extra).await, 400);
    let r = app.update_role(Some(&admin()), "owner", &json!({ "permissions": ["root"] })).await;
    assert_eq!(error_fields(&assert_problem(&r, 422)), vec!["permissions[0]"]);
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn updating_a_role_bumps_its_version_and_emits_role_changed_built_ins_included() {
    let app = TestApp::spawn().await;
    app.create_role(Some(&admin()), &role_body("auditor", &["reports:read_all"])).await;
    let r = app.update_role(Some(&admin()), "auditor", &json!({ "permissions": ["orders:read_all"] })).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["version"], 2);

    let desk = json!({ "permissions": ["reservations:check_in"], "description": "Checks guests in" });
    let r = app.update_role(Some(&admin()), "front_desk", &desk).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let role = body_json(&r);
    assert_eq!((role["version"].clone(), role["built_in"].clone()), (json!(1), json!(true)));
    assert_eq!(role["description"], "Checks guests in");
    let r = app.update_role(Some(&admin()), "front_desk", &json!({ "permissions": [] })).await;
    assert_eq!(body_json(&r)["version"], 2);
    assert_eq!(body_json(&r)["description"], "Checks guests in", "a description left out is kept");

    let versions: Vec<u64> = app.role_events("auditor").await.iter().map(|e| e.version).collect();
    assert_eq!(versions, vec![1, 2]);
    let desk_events = app.role_events("front_desk").await;
    assert_eq!(desk_events.iter().map(|e| e.version).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(desk_events[0].permissions, strings(&["reservations:check_in"]));
    assert!(desk_events.iter().all(|e| e.built_in && !e.deleted));
    assert_eq!(app.listed_role("front_desk").await["permissions"], json!([]));
}

#[tokio::test]
async fn an_update_that_changes_nothing_emits_nothing() {
    let app = TestApp::spawn().await;
    // The defaults in another order and with a duplicate are still the defaults.
    let mut same = default_permissions("owner").expect("defaults");
    same.reverse();
    same.push(same[0].clone());
    let same = json!({ "permissions": same });
    let r = app.update_role(Some(&admin()), "owner", &same).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["version"], 0);
    assert!(app.role_events("owner").await.is_empty());
}

#[tokio::test]
async fn admin_keeps_every_permission_and_unknown_roles_are_404() {
    let app = TestApp::spawn().await;
    for narrower in [json!(["users:read"]), json!(["roles:manage"])] {
        let r = app.update_role(Some(&admin()), "admin", &json!({ "permissions": narrower })).await;
        let problem = assert_problem(&r, 422);
        assert!(problem.to_string().contains("every permission"), "{problem}");
    }
    let every: Vec<&str> = PERMISSIONS.iter().map(|(p, _)| *p).collect();
    let described = json!({ "permissions": every, "description": "Runs the marketplace" });
    let r = app.update_role(Some(&admin()), "admin", &described).await;
    assert_eq!(r.status(), 200, "its description may change: {}", text(&r));
    assert_eq!(app.listed_role("admin").await["permissions"].as_array().map(Vec::len), Some(PERMISSIONS.len()));

    for name in ["auditor", "x", "NOPE"] {
        assert_problem(&app.update_role(Some(&admin()), name, &json!({ "permissions": [] })).await, 404);
        assert_problem(&app.delete_role(Some(&admin()), name).await, 404);
    }
    assert_eq!(app.role_events("admin").await.len(), 1);
}

#[tokio::test]
async fn deleting_a_role_answers_204_emits_deleted_and_a_recreated_role_continues_its_versions() {
    let app = TestApp::spawn().await;
    app.create_role(Some(&admin()), &role_body("auditor", &["reports:read_all"])).await;
    let r = app.delete_role(Some(&admin()), "auditor").await;
    assert_eq!(r.status(), 204, "{}", text(&r));
    assert_eq!(app.listed_role("auditor").await, Value::Null);
    assert_problem(&app.delete_role(Some(&admin()), "auditor").await, 404);
    let user = app.register(&["customer"]).await;
    assert_problem(&app.grant(Some(&admin()), &user, "auditor").await, 404);

    let r = app.create_role(Some(&admin()), &role_body("auditor", &["orders:read_all"])).await;
    assert_eq!(r.status(), 201, "{}", text(&r));
    assert_eq!(body_json(&r)["version"], 3);

    let events = app.role_events("auditor").await;
    assert_eq!(
        events.iter().map(|e| (e.version, e.deleted)).collect::<Vec<_>>(),
        vec![(1, false), (2, true), (3, false)]
    );
    assert!(events[1].permissions.is_empty());
}

#[tokio::test]
async fn built_in_roles_and_roles_in_use_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    for name in ["admin", "owner", "front_desk", "customer"] {
        let problem = assert_problem(&app.delete_role(Some(&admin()), name).await, 409);
        assert!(problem["detail"].as_str().unwrap_or_default().contains("built-in"), "{problem}");
    }
    app.create_role(Some(&admin()), &role_body("auditor", &["reports:read_all"])).await;
    let user = app.register(&["customer"]).await;
    assert_eq!(app.grant(Some(&admin()), &user, "auditor").await.status(), 200);
    let problem = assert_problem(&app.delete_role(Some(&admin()), "auditor").await, 409);
    assert!(problem["detail"].as_str().unwrap_or_default().contains("in use"), "{problem}");
    assert_eq!(app.role_events("auditor").await.len(), 1);

    // Once nobody holds it, it can go.
    assert_eq!(app.revoke(Some(&admin()), &user, "auditor").await.status(), 200);
    assert_eq!(app.delete_role(Some(&admin()), "auditor").await.status(), 204);
}

#[tokio::test]
async fn the_publisher_sends_the_outbox_to_the_bus() {
    let app = TestApp::spawn().await;
    app.create_role(Some(&admin()), &role_body("auditor", &["reports:read_all"])).await;
    app.update_role(Some(&admin()), "owner", &json!({ "permissions": ["catalog:write"] })).await;
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 2);
    assert!(outbox.iter().all(|i| i.source == "bazaar.permissions" && i.detail_type == "RoleChanged"));
    let stream = bazaar_testkit::events::stream_of(&outbox);
    let event = lambda_runtime::LambdaEvent::new(stream, lambda_runtime::Context::default());
    let r = permissions_publisher::handler(&deps!(app, permissions_publisher), event).await.expect("handled");
    assert!(r.batch_item_failures.is_empty(), "{:?}", r.batch_item_failures);
}

//! A test app: a stack planned from template.yaml with a unique stage, its permissions
//! part provisioned into the shared moto_server, and every permissions function's `Deps`
//! built from its own template environment. Requests are API Gateway v2 events and
//! messages SQS batches of EventBridge envelopes, as in production.

#![allow(dead_code)]

use bazaar_events::auth::UserRegistered;
use bazaar_events::permissions::{RoleChanged, UserRolesChanged};
use bazaar_events::{Envelope, Event};
use bazaar_runtime::Identity;
pub use bazaar_testkit::apigw::{Req, assert_problem, body_json, text};
pub use bazaar_testkit::deps;
pub use bazaar_testkit::events::{delivered, failed_ids, lambda_batch_of as sqs};
use lambda_http::{Body, Response};
use permissions_core::PermissionsStore;
use serde_json::{Value, json};

devstack::test_app!(permissions);

impl TestApp {
    pub fn store(&self) -> PermissionsStore {
        PermissionsStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    // ── requests ──

    pub async fn list_roles(&self, who: Option<&Identity>) -> Response<Body> {
        permissions_roles_list::handler(
            &deps!(self, permissions_roles_list),
            Req::new("GET", "/roles").identity(who).build(),
        )
        .await
    }

    pub async fn create_role(&self, who: Option<&Identity>, body: &Value) -> Response<Body> {
        let req = Req::new("POST", "/roles").identity(who).json(body).build();
        permissions_roles_create::handler(&deps!(self, permissions_roles_create), req).await
    }

    pub async fn update_role(&self, who: Option<&Identity>, name: &str, body: &Value) -> Response<Body> {
        let req = Req::new("PUT", &format!("/roles/{name}"))
            .route("/roles/{name}")
            .path_param("name", name)
            .identity(who)
            .json(body)
            .build();
        permissions_roles_update::handler(&deps!(self, permissions_roles_update), req).await
    }

    pub async fn delete_role(&self, who: Option<&Identity>, name: &str) -> Response<Body> {
        let req =
            Req::new("DELETE", &format!("/roles/{name}")).route("/roles/{name}").path_param("name", name).identity(who);
        permissions_roles_delete::handler(&deps!(self, permissions_roles_delete), req.build()).await
    }

    pub async fn user_roles(&self, who: Option<&Identity>, user: &str) -> Response<Body> {
        let req = Req::new("GET", &format!("/users/{user}/roles"))
            .route("/users/{id}/roles")
            .path_param("id", user)
            .identity(who);
        permissions_user_roles_get::handler(&deps!(self, permissions_user_roles_get), req.build()).await
    }

    fn user_role_req(method: &str, who: Option<&Identity>, user: &str, role: &str) -> lambda_http::Request {
        Req::new(method, &format!("/users/{user}/roles/{role}"))
            .route("/users/{id}/roles/{role}")
            .path_param("id", user)
            .path_param("role", role)
            .identity(who)
            .build()
    }

    pub async fn grant(&self, who: Option<&Identity>, user: &str, role: &str) -> Response<Body> {
        let req = Self::user_role_req("PUT", who, user, role);
        permissions_user_roles_put::handler(&deps!(self, permissions_user_roles_put), req).await
    }

    pub async fn revoke(&self, who: Option<&Identity>, user: &str, role: &str) -> Response<Body> {
        let req = Self::user_role_req("DELETE", who, user, role);
        permissions_user_roles_delete::handler(&deps!(self, permissions_user_roles_delete), req).await
    }

    // ── events ──

    /// Delivers `UserRegistered` envelopes to permissions-on-user; returns the failed ids.
    pub async fn deliver(&self, events: &[Envelope<UserRegistered>]) -> Vec<String> {
        let bodies: Vec<String> = events.iter().map(delivered).collect();
        let r = permissions_on_user::handler(&deps!(self, permissions_on_user), sqs(&bodies)).await.expect("handled");
        failed_ids(&r)
    }

    /// Records a new user holding `roles` (through permissions-on-user); returns its id.
    pub async fn register(&self, roles: &[&str]) -> String {
        let user = uuid::Uuid::new_v4().to_string();
        let failed = self.deliver(&[registered(&user, roles)]).await;
        assert!(failed.is_empty(), "registration failed: {failed:?}");
        user
    }

    pub async fn outbox(&self) -> Vec<bazaar_aws::outbox::OutboxItem> {
        bazaar_testkit::events::outbox(&self.config, &self.table).await
    }

    /// The outbox events of type `T`, in version order of their `data`.
    pub async fn events<T: Event>(&self) -> Vec<Envelope<T>> {
        bazaar_testkit::events::of_type::<T>(self.outbox().await)
    }

    /// The `RoleChanged` events about `role`, oldest version first.
    pub async fn role_events(&self, role: &str) -> Vec<RoleChanged> {
        let mut events: Vec<RoleChanged> =
            self.events::<RoleChanged>().await.into_iter().map(|e| e.data).filter(|e| e.role == role).collect();
        events.sort_by_key(|e| e.version);
        events
    }

    /// The `UserRolesChanged` events about `user`, oldest version first.
    pub async fn user_events(&self, user: &str) -> Vec<UserRolesChanged> {
        let mut events: Vec<UserRolesChanged> =
            self.events::<UserRolesChanged>().await.into_iter().map(|e| e.data).filter(|e| e.user_id == user).collect();
        events.sort_by_key(|e| e.version);
        events
    }

    /// The role `name` as `GET /roles` shows it.
    pub async fn listed_role(&self, name: &str) -> Value {
        let r = self.list_roles(Some(&admin())).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
        body_json(&r)["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_default()
    }

    pub async fn members(&self, role: &str) -> u64 {
        self.listed_role(role).await["members"].as_u64().expect("members")
    }
}

pub fn registered(user: &str, roles: &[&str]) -> Envelope<UserRegistered> {
    Envelope::new(
        UserRegistered {
            user_id: user.to_owned(),
            email: format!("{}@example.com", &user[..8.min(user.len())]),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            verification: None,
        },
        "test",
    )
}

/// An admin: every permission, `roles:manage` among them.
pub fn admin() -> Identity {
    Identity {
        sub: uuid::Uuid::new_v4().to_string(),
        email: "root@example.com".into(),
        roles: vec!["admin".into()],
        permissions: bazaar_events::permissions::PERMISSIONS.iter().map(|(p, _)| (*p).to_owned()).collect(),
    }
}

/// A role manager who holds `roles:manage` and `also`, nothing more.
pub fn manager(also: &[&str]) -> Identity {
    let mut permissions = strings(also);
    permissions.push("roles:manage".into());
    Identity {
        sub: uuid::Uuid::new_v4().to_string(),
        email: "staff@example.com".into(),
        roles: vec!["staff".into()],
        permissions,
    }
}

/// A caller without `roles:manage`.
pub fn customer() -> Identity {
    Identity {
        sub: uuid::Uuid::new_v4().to_string(),
        email: "ana@example.com".into(),
        roles: vec!["customer".into()],
        permissions: vec!["reports:read".into()],
    }
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The `field`s of a 422 problem's errors.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

pub fn role_body(name: &str, permissions: &[&str]) -> Value {
    json!({ "name": name, "permissions": permissions })
}

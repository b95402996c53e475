//! Roles and permissions across services, end to end: the permissions service decides,
//! auth's projection follows through events, and the next token issued or refreshed (not
//! the one already held) carries the change. Also a reservation's whole life through
//! payments, notifications' sources and reports.

use std::time::Duration;

use bazaar_system::api::{claims, room_open_all_week, zone_with_room_today};
use bazaar_system::{Api, System, SystemOptions, eventually, system::ADMIN_EMAIL, system::ADMIN_PASSWORD};
use chrono::{DurationRound, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SETTLE: Duration = Duration::from_secs(60);

/// A logged-in user: access token, refresh token and id.
struct Session {
    access: String,
    refresh: String,
    id: String,
}

async fn session(api: &Api, email: &str, password: &str) -> Session {
    let reply = api.post("/auth/login", None, &json!({ "email": email, "password": password })).await.expect("login");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let access = reply.body["access_token"].as_str().expect("access").to_owned();
    let refresh = reply.body["refresh_token"].as_str().expect("refresh").to_owned();
    let me = api.get("/auth/me", Some(&access)).await.expect("me");
    Session { access, refresh, id: me.body["id"].as_str().expect("id").to_owned() }
}

async fn refresh(api: &Api, s: &mut Session) {
    let reply = api.post("/auth/refresh", None, &json!({ "refresh_token": s.refresh })).await.expect("refresh");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    s.access = reply.body["access_token"].as_str().expect("access").to_owned();
    s.refresh = reply.body["refresh_token"].as_str().expect("refresh").to_owned();
}

async fn new_user(api: &Api) -> Session {
    let (email, _) = api.new_customer().await.expect("customer");
    session(api, &email, "correct horse 42").await
}

/// Grants `role` once the permissions service has learned of the user (it does so from
/// `UserRegistered`, asynchronously).
async fn grant(api: &Api, admin: &str, user: &str, role: &str) {
    eventually(SETTLE, &format!("{role} granted"), || async {
        let reply = api.send(Method::PUT, &format!("/users/{user}/roles/{role}"), Some(admin), None, &[]).await?;
        match reply.status {
            StatusCode::OK => Ok(Some(())),
            StatusCode::NOT_FOUND => Ok(None),
            other => anyhow::bail!("granting {role}: {other} {}", reply.body),
        }
    })
    .await
    .expect("role granted");
}

/// Refreshes until the token carries `permission` (auth learns of the change through
/// `UserRolesChanged`, asynchronously).
/// Refreshes until the access token itself carries `permission`. (Not `GET /auth/me`: it
/// reads auth's projection, which may change between the refresh and the read, so it can
/// show a permission the token just issued lacks.)
async fn refresh_until(api: &Api, s: &mut Session, permission: &str) {
    for _ in 0..120 {
        refresh(api, s).await;
        if claims(&s.access).expect("claims")["permissions"]
            .as_array()
            .is_some_and(|p| p.iter().any(|v| v == permission))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{permission} never reached a refreshed token");
}

#[tokio::test]
async fn an_owner_promoted_to_front_desk_checks_in_after_the_next_refresh_not_before() {
    let sys = System::start(SystemOptions::default().payment_success_rate("1.0")).await.expect("system");
    let api = &sys.api;
    let admin = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("admin");

    // A customer becomes an owner: the token they hold does not change…
    let mut owner = new_user(api).await;
    grant(api, &admin, &owner.id, "owner").await;
    let (zone, offset) = zone_with_room_today();
    let resource = room_open_all_week("Studio A", zone, 30, 2500);
    let before = api.post("/resources", Some(&owner.access), &resource).await.expect("create");
    assert_eq!(before.status, StatusCode::FORBIDDEN, "the old token must not carry the new role: {}", before.body);
    // …the next refreshed one does.
    refresh_until(api, &mut owner, "reservations:manage").await;
    let created = api.post("/resources", Some(&owner.access), &resource).await.expect("create");
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let resource_id = created.body["id"].as_str().expect("resource id").to_owned();

    // A customer books a slot later today; simulated payment confirms it.
    let customer = new_user(api).await;
    let start = Utc::now().duration_trunc(chrono::Duration::hours(1)).expect("hour") + chrono::Duration::hours(2);
    let end = start + chrono::Duration::minutes(60);
    let booking = json!({ "resource_id": resource_id, "start": start.to_rfc3339(), "end": end.to_rfc3339() });
    let reply = api.reserve(&customer.access, &booking).await.expect("book");
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let path = format!("/reservations/{}", reply.body["id"].as_str().expect("reservation id"));
    api.status_of(&path, &customer.access, &["CONFIRMED"], SETTLE).await.expect("confirmed");
    // The same slot cannot be booked twice.
    let again = api.reserve(&admin, &booking).await.expect("book again");
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    // Owners cannot check in; promoted to front desk, only the refreshed token can.
    let check_in = format!("{path}/check-in");
    let denied = api.send(Method::POST, &check_in, Some(&owner.access), None, &[]).await.expect("check in");
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
    grant(api, &admin, &owner.id, "front_desk").await;
    let still = api.send(Method::POST, &check_in, Some(&owner.access), None, &[]).await.expect("check in");
    assert_eq!(still.status, StatusCode::FORBIDDEN, "a token issued before the change: {}", still.body);
    refresh_until(api, &mut owner, "reservations:check_in").await;
    let done = api.send(Method::POST, &check_in, Some(&owner.access), None, &[]).await.expect("check in");
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let r = api.get(&path, Some(&customer.access)).await.expect("get");
    assert_eq!(r.body["status"], "CHECKED_IN", "{}", r.body);

    // Reports saw it, from events alone: the owner sees their resource's day.
    let day = start.with_timezone(&offset).date_naive().to_string();
    let report = format!("/reports/bookings?from={day}&to={day}");
    eventually(SETTLE, "bookings report", || async {
        let r = api.get(&report, Some(&owner.access)).await?;
        anyhow::ensure!(r.status == StatusCode::OK, "{} {}", r.status, r.body);
        let text = r.body.to_string();
        Ok((text.contains(&resource_id) && text.contains("\"checked_in\":1") && text.contains("\"confirmed\":1"))
            .then_some(()))
    })
    .await
    .expect("report shows the booking");
}

#[tokio::test]
async fn a_customer_reaches_no_admin_route() {
    let sys = System::start(SystemOptions::default()).await.expect("system");
    let api = &sys.api;
    let customer = new_user(api).await;
    let other = "00000000-0000-4000-8000-000000000001";
    let body = json!({ "name": "auditor", "permissions": ["reports:read_all"] });
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/roles".into(), None),
        (Method::POST, "/roles".into(), Some(body.clone())),
        (Method::PUT, "/roles/owner".into(), Some(json!({ "permissions": [] }))),
        (Method::DELETE, "/roles/owner".into(), None),
        (Method::GET, format!("/users/{other}/roles"), None),
        (Method::PUT, format!("/users/{}/roles/admin", customer.id), None),
        (Method::DELETE, format!("/users/{other}/roles/admin"), None),
        (Method::GET, format!("/auth/users/{other}"), None),
        (Method::GET, "/orders?all=true".into(), None),
        (Method::GET, "/reservations?scope=all&date=2026-01-01".into(), None),
        (Method::GET, "/reports/sales?from=2026-01-01&to=2026-01-31".into(), None),
        (Method::GET, "/reports/bookings?from=2026-01-01&to=2026-01-31".into(), None),
        (Method::PUT, "/notifications/templates/welcome".into(), Some(json!({ "subject": "x", "text": "y" }))),
    ];
    for (method, path, body) in routes {
        let reply = api.send(method.clone(), &path, Some(&customer.access), body.as_ref(), &[]).await.expect("send");
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}: {}", reply.body);
        let content_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(content_type, "application/problem+json", "{method} {path}");
    }
    // And the customer did not make themselves an admin.
    let me = api.get("/auth/me", Some(&customer.access)).await.expect("me");
    assert_eq!(me.body["roles"], json!(["customer"]));
}

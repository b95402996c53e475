//! Resources: who may create and edit them, validation, public reads and listing, and
//! what an edit does (and does not do) to reservations.

use serde_json::json;

use crate::steps::*;
use crate::support::*;

async fn get(app: &TestApp, id: &str) -> lambda_http::Response<lambda_http::Body> {
    let req = Req::new("GET", &format!("/resources/{id}")).path_param("id", id).build();
    reservations_resources_get::handler(&deps!(app, reservations_resources_get), req).await
}

async fn list(app: &TestApp, query: &[(&str, &str)]) -> lambda_http::Response<lambda_http::Body> {
    let req = with_query(Req::new("GET", "/resources"), query);
    reservations_resources_list::handler(&deps!(app, reservations_resources_list), req.build()).await
}

#[tokio::test]
async fn an_owner_creates_a_resource_that_anyone_can_read() {
    let app = TestApp::spawn().await;
    let boss = owner();

    let r = app.create_resource(&boss, &room()).await;

    let created = expect_status(&r, 201);
    let id = created["id"].as_str().expect("id");
    assert_eq!(r.headers()["location"], format!("/resources/{id}"));
    assert_eq!(created["owner_id"], boss.sub.as_str());
    assert_eq!(
        (created["capacity"].clone(), created["version"].clone(), created["active"].clone()),
        (json!(1), json!(1), json!(true))
    );
    assert_eq!(expect_status(&get(&app, id).await, 200), created);
    assert_problem(&get(&app, "no-such-resource").await, 404);
    assert_problem(&get(&app, &"x".repeat(3000)).await, 404);
}

#[tokio::test]
async fn a_customer_cannot_create_a_resource() {
    let app = TestApp::spawn().await;
    assert_problem(&app.create_resource(&customer(), &room()).await, 403);
    assert_problem(&app.create_resource(&customer(), &json!({ "nonsense": true })).await, 403);
    let anonymous = Req::new("POST", "/resources").json(&room()).build();
    assert_problem(
        &reservations_resources_create::handler(&deps!(app, reservations_resources_create), anonymous).await,
        401,
    );
}

#[tokio::test]
async fn invalid_resources_are_422_naming_each_field() {
    let app = TestApp::spawn().await;
    let mut bad = room();
    bad["time_zone"] = json!("Europe/Atlantis");
    bad["slot_minutes"] = json!(45);
    bad["capacity"] = json!(3);
    bad["opening_hours"] =
        json!({ "mon": [{ "open": "09:00", "close": "10:00" }, { "open": "09:30", "close": "11:00" }] });

    let body = assert_problem(&app.create_resource(&owner(), &bad).await, 422);

    assert_eq!(error_fields(&body), vec!["time_zone", "capacity", "opening_hours.mon[0]", "opening_hours.mon[1]"]);
    let mut unknown_field = room();
    unknown_field["colour"] = json!("red");
    assert_problem(&app.create_resource(&owner(), &unknown_field).await, 400);
}

#[tokio::test]
async fn only_the_owner_or_an_admin_edits_a_resource() {
    let app = TestApp::spawn().await;
    let boss = owner();
    let id = app.resource(&boss).await;

    for (who, status) in [(owner(), 404), (customer(), 403), (front_desk(), 403)] {
        assert_problem(&app.update_resource(&who, &id, &json!({ "name": "Mine now" })).await, status);
    }
    assert_eq!(body_json(&get(&app, &id).await)["name"], "Room A");

    let patch = json!({ "name": "Room B", "price_per_slot": { "amount_minor": 3000, "currency": "EUR" } });
    let updated = expect_status(&app.update_resource(&boss, &id, &patch).await, 200);
    assert_eq!((updated["name"].clone(), updated["version"].clone()), (json!("Room B"), json!(2)));
    let updated = expect_status(&app.update_resource(&admin(), &id, &json!({ "description": "renovated" })).await, 200);
    assert_eq!(updated["version"], 3);
    assert_eq!(updated["price_per_slot"]["amount_minor"], 3000);
    let r = app.update_resource(&boss, &id, &json!({ "slot_minutes": 7 })).await;
    assert_eq!(error_fields(&assert_problem(&r, 422)).first().map(String::as_str), Some("opening_hours.mon[0]"));
    assert_problem(&app.update_resource(&boss, &id, &json!({ "time_zone": "UTC" })).await, 400);
}

#[tokio::test]
async fn edits_do_not_touch_existing_reservations_and_inactive_resources_cannot_be_booked() {
    let app = TestApp::spawn().await;
    let boss = owner();
    let id = app.resource(&boss).await;
    let booked = app.booked(&customer(), &id, at(tomorrow(), 10), at(tomorrow(), 11)).await;

    let closed =
        json!({ "name": "Closed", "active": false, "price_per_slot": { "amount_minor": 1, "currency": "EUR" } });
    expect_status(&app.update_resource(&boss, &id, &closed).await, 200);

    let kept = app.reservation(&booked).await;
    assert_eq!((kept.resource_name.as_str(), kept.amount.amount_minor), ("Room A", 2500));
    let r = app.book(&customer(), &id, at(tomorrow(), 12), at(tomorrow(), 13)).await;
    assert_eq!(error_fields(&assert_problem(&r, 422)), vec!["resource_id"]);
    assert!(app.availability(&id, tomorrow()).await.iter().all(|s| s["available"] == false));
    let active = body_json(&list(&app, &[]).await);
    assert!(active["items"].as_array().expect("items").iter().all(|r| r["id"] != id.as_str()));
    let owned = body_json(&list(&app, &[("owner", &boss.sub)]).await);
    assert_eq!(owned["items"][0]["id"], id.as_str(), "the owner's listing shows inactive ones");
}

#[tokio::test]
async fn resources_are_listed_in_pages_with_signed_cursors() {
    let app = TestApp::spawn().await;
    let boss = owner();
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(app.resource(&boss).await);
    }
    app.resource(&owner()).await;

    let first = body_json(&list(&app, &[("owner", &boss.sub), ("limit", "2")]).await);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let second = body_json(&list(&app, &[("owner", &boss.sub), ("limit", "2"), ("cursor", &cursor)]).await);

    assert_eq!([ids(&first), ids(&second)].concat(), created, "in creation order, each once");
    assert_eq!(body_json(&list(&app, &[]).await)["items"].as_array().expect("items").len(), 4);
    assert_problem(&list(&app, &[("cursor", &cursor)]).await, 400);
    assert_problem(&list(&app, &[("cursor", "forged")]).await, 400);
    assert_problem(&list(&app, &[("limit", "0")]).await, 400);
}

#[tokio::test]
async fn availability_needs_a_valid_date_and_a_known_resource() {
    let app = TestApp::spawn().await;
    let id = app.resource(&owner()).await;
    for (date, resource, status) in [("2030-02-30", id.as_str(), 400), ("2030-01-01", "nope", 404)] {
        let req = Req::new("GET", &format!("/resources/{resource}/availability"))
            .path_param("id", resource)
            .query("date", date)
            .build();
        assert_problem(&reservations_availability::handler(&deps!(app, reservations_availability), req).await, status);
    }
    let slots = app.availability(&id, tomorrow()).await;
    assert!((23..=25).contains(&slots.len()), "a whole day of hourly slots: {}", slots.len());
    assert_eq!(slots[0]["local_start"], "00:00");
    let past = app.availability(&id, today() - chrono::Duration::days(1)).await;
    assert!(past.iter().all(|s| s["available"] == false));
}

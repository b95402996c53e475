//! `GET /reservations/{id}` and `GET /reservations`: who sees what, the scopes and their
//! permissions, filters, and signed cursors.

use bazaar_runtime::Identity;
use lambda_http::{Body, Response};

use crate::steps::*;
use crate::support::*;

async fn get(app: &TestApp, who: &Identity, id: &str) -> Response<Body> {
    let req = Req::new("GET", &format!("/reservations/{id}")).identity(who).path_param("id", id).build();
    reservations_get::handler(&deps!(app, reservations_get), req).await
}

async fn list(app: &TestApp, who: &Identity, query: &[(&str, &str)]) -> Response<Body> {
    let req = with_query(Req::new("GET", "/reservations").identity(who), query);
    reservations_list::handler(&deps!(app, reservations_list), req.build()).await
}

#[tokio::test]
async fn a_reservation_is_visible_to_its_customer_its_owner_and_the_front_desk_only() {
    let app = TestApp::spawn().await;
    let boss = owner();
    let ana = customer();
    let resource = app.resource(&boss).await;
    let id = app.booked(&ana, &resource, at(tomorrow(), 10), at(tomorrow(), 11)).await;

    for who in [&ana, &boss, &front_desk(), &admin()] {
        assert_eq!(expect_status(&get(&app, who, &id).await, 200)["id"], id.as_str());
    }
    assert_problem(&get(&app, &customer(), &id).await, 404);
    assert_problem(&get(&app, &owner(), &id).await, 404);
    assert_problem(&get(&app, &ana, "no-such-reservation").await, 404);
    assert_problem(&get(&app, &ana, &"x".repeat(3000)).await, 404);
}

#[tokio::test]
async fn the_scopes_list_mine_my_resources_and_everything_by_day_or_resource() {
    let app = TestApp::spawn().await;
    let boss = owner();
    let ana = customer();
    let bob = customer();
    let room = app.resource(&boss).await;
    let desk = app.resource(&boss).await;
    let elsewhere = app.resource(&owner()).await;
    let later = tomorrow() + chrono::Duration::days(1);
    let a1 = app.booked(&ana, &room, at(tomorrow(), 10), at(tomorrow(), 11)).await;
    let a2 = app.booked(&ana, &elsewhere, at(later, 10), at(later, 11)).await;
    let b1 = app.booked(&bob, &desk, at(tomorrow(), 9), at(tomorrow(), 10)).await;
    let b2 = app.booked(&bob, &room, at(later, 8), at(later, 9)).await;

    let mine = body_json(&list(&app, &ana, &[]).await);
    assert_eq!(ids(&mine), vec![a2.clone(), a1.clone()], "latest first");
    assert_problem(&list(&app, &ana, &[("scope", "owned")]).await, 403);
    assert_problem(&list(&app, &ana, &[("scope", "all"), ("date", "2030-01-01")]).await, 403);
    assert_problem(&list(&app, &ana, &[("resource", &room)]).await, 400);
    assert_problem(&list(&app, &ana, &[("scope", "everything")]).await, 400);

    let owned = body_json(&list(&app, &boss, &[("scope", "owned")]).await);
    let mut expected = vec![a1.clone(), b1.clone(), b2.clone()];
    expected.sort();
    let mut got = ids(&owned);
    got.sort();
    assert_eq!(got, expected);
    let room_tomorrow = [("scope", "owned"), ("resource", room.as_str()), ("date", &tomorrow().to_string())];
    assert_eq!(ids(&body_json(&list(&app, &boss, &room_tomorrow).await)), vec![a1.clone()]);
    assert_problem(&list(&app, &boss, &[("scope", "owned"), ("resource", &elsewhere)]).await, 404);
    assert_problem(&list(&app, &boss, &[("scope", "owned"), ("date", &tomorrow().to_string())]).await, 400);

    let desk_staff = front_desk();
    let by_day = body_json(&list(&app, &desk_staff, &[("scope", "all"), ("date", &tomorrow().to_string())]).await);
    assert_eq!(ids(&by_day), vec![b1.clone(), a1.clone()], "by start");
    let by_resource = body_json(&list(&app, &desk_staff, &[("scope", "all"), ("resource", &room)]).await);
    assert_eq!(ids(&by_resource), vec![a1.clone(), b2.clone()]);
    let both = [("scope", "all"), ("resource", room.as_str()), ("date", &later.to_string())];
    assert_eq!(ids(&body_json(&list(&app, &desk_staff, &both).await)), vec![b2]);
    assert_problem(&list(&app, &desk_staff, &[("scope", "all")]).await, 400);
    assert_problem(&list(&app, &desk_staff, &[("scope", "all"), ("date", "tomorrow")]).await, 400);
}

#[tokio::test]
async fn listings_page_with_cursors_that_only_work_for_their_own_listing() {
    // Five pending reservations of one customer: more than the default cap allows.
    let app = TestApp::spawn_with(&[("PendingReservationsPerCustomer", "5")]).await;
    let ana = customer();
    let resource = app.resource(&owner()).await;
    let mut booked = Vec::new();
    for hour in 8..13 {
        booked.push(app.booked(&ana, &resource, at(tomorrow(), hour), at(tomorrow(), hour + 1)).await);
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = body_json(&list(&app, &ana, &query).await);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    booked.reverse();
    assert_eq!(seen, booked);

    let page = body_json(&list(&app, &ana, &[("limit", "2")]).await);
    let cursor = page["next_cursor"].as_str().expect("more").to_owned();
    assert_problem(&list(&app, &customer(), &[("cursor", &cursor)]).await, 400);
    assert_problem(
        &list(&app, &front_desk(), &[("scope", "all"), ("date", &tomorrow().to_string()), ("cursor", &cursor)]).await,
        400,
    );
    assert_problem(&list(&app, &ana, &[("cursor", "AAAA")]).await, 400);
}

//! `GET /orders/{id}` and `GET /orders`: owners see theirs, `orders:read_all` sees all,
//! everyone else gets 404; lists page newest first with signed cursors.

use bazaar_runtime::Identity;
use serde_json::Value;

use crate::steps::*;
use crate::support::*;

async fn get(app: &TestApp, who: &Identity, id: &str) -> lambda_http::Response<lambda_http::Body> {
    let req = Req::new("GET", &format!("/orders/{id}")).identity(who).path_param("id", id).build();
    orders_get::handler(&deps!(app, orders_get), req).await
}

async fn list(app: &TestApp, who: &Identity, query: &[(&str, &str)]) -> lambda_http::Response<lambda_http::Body> {
    let mut req = Req::new("GET", "/orders").identity(who);
    for (k, v) in query {
        req = req.query(k, v);
    }
    orders_list::handler(&deps!(app, orders_list), req.build()).await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().expect("items").iter().map(|o| o["id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn an_order_is_visible_to_its_customer_and_admins_only() {
    let app = TestApp::spawn().await;
    let ana = customer();
    let order = app.placed_order(&ana).await;
    let id = order["id"].as_str().expect("id");

    assert_eq!(expect_status(&get(&app, &ana, id).await, 200), order);
    assert_eq!(get(&app, &admin(), id).await.status(), 200);
    assert_problem(&get(&app, &customer(), id).await, 404);
    assert_problem(&get(&app, &ana, "no-such-order").await, 404);
    let anonymous = Req::new("GET", &format!("/orders/{id}")).path_param("id", id).build();
    assert_problem(&orders_get::handler(&deps!(app, orders_get), anonymous).await, 401);
}

#[tokio::test]
async fn a_customer_lists_their_own_orders_newest_first_in_pages() {
    let app = TestApp::spawn().await;
    let ana = customer();
    let mut placed = Vec::new();
    for _ in 0..5 {
        placed.push(placed_id(&app, &ana).await);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    app.placed_order(&customer()).await;
    placed.reverse();

    let first = expect_status(&list(&app, &ana, &[("limit", "2")]).await, 200);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let second = body_json(&list(&app, &ana, &[("limit", "2"), ("cursor", &cursor)]).await);
    let cursor = second["next_cursor"].as_str().expect("a third page").to_owned();
    let third = body_json(&list(&app, &ana, &[("limit", "2"), ("cursor", &cursor)]).await);

    let seen: Vec<String> = [ids(&first), ids(&second), ids(&third)].concat();
    assert_eq!(seen, placed);
    let all_default = body_json(&list(&app, &ana, &[]).await);
    assert_eq!(ids(&all_default), placed);
    assert!(all_default["next_cursor"].is_null());
}

#[tokio::test]
async fn listing_every_order_needs_orders_read_all() {
    let app = TestApp::spawn().await;
    let ana = customer();
    let a = placed_id(&app, &ana).await;
    let b = placed_id(&app, &customer()).await;

    assert_problem(&list(&app, &ana, &[("all", "true")]).await, 403);
    let seen = ids(&expect_status(&list(&app, &admin(), &[("all", "true")]).await, 200));
    assert!(seen.contains(&a) && seen.contains(&b));
    assert!(ids(&body_json(&list(&app, &admin(), &[]).await)).is_empty(), "without all=true: the admin's own");
    assert_problem(&list(&app, &admin(), &[("all", "yes")]).await, 400);
}

#[tokio::test]
async fn bad_limits_and_tampered_or_foreign_cursors_are_400() {
    let app = TestApp::spawn().await;
    let ana = customer();
    app.placed_order(&ana).await;
    app.placed_order(&ana).await;
    for limit in ["0", "101", "x"] {
        assert_problem(&list(&app, &ana, &[("limit", limit)]).await, 400);
    }
    let page = body_json(&list(&app, &ana, &[("limit", "1")]).await);
    let cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    assert_problem(&list(&app, &ana, &[("cursor", &tampered)]).await, 400);
    assert_problem(&list(&app, &customer(), &[("cursor", &cursor)]).await, 400);
    assert_problem(&list(&app, &admin(), &[("all", "true"), ("cursor", &cursor)]).await, 400);
}

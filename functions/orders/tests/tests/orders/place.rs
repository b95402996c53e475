//! `POST /orders`: pricing from the projection, one transaction with its event, and the
//! `Idempotency-Key` contract.

use bazaar_events::orders::OrderPlaced;
use bazaar_events::payments::payment_id_for_order;
use serde_json::{Value, json};

use crate::steps::*;
use crate::support::*;

/// A new 5.00 EUR product and the body of an order of one of it.
async fn one_lamp(app: &TestApp) -> (String, Value) {
    let lamp = app.product(500, "EUR").await;
    let body = json!({ "lines": [{ "product_id": lamp, "quantity": 1 }] });
    (lamp, body)
}

#[tokio::test]
async fn placing_an_order_prices_it_from_the_projection_and_emits_order_placed() {
    let app = TestApp::spawn().await;
    let lamp = app.product(1999, "EUR").await;
    let bulb = app.product(250, "EUR").await;
    let ana = customer();
    let body = json!({ "lines": [{ "product_id": lamp, "quantity": 2 }, { "product_id": bulb, "quantity": 3 }] });

    let r = app.post_order(&ana, "k-1", &body).await;

    let order = expect_status(&r, 201);
    let id = order["id"].as_str().expect("id").to_owned();
    assert_eq!(r.headers()["location"], format!("/orders/{id}"));
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["customer_id"], ana.sub.as_str());
    assert_eq!(order["payment_id"], payment_id_for_order(&id));
    assert_eq!(order["lines"][0]["line_total"], json!({ "amount_minor": 3998, "currency": "EUR" }));
    assert_eq!(order["lines"][1]["unit_price"], json!({ "amount_minor": 250, "currency": "EUR" }));
    assert_eq!(order["lines"][0]["owner_id"], OWNER, "each line names its product's owner");
    assert_eq!(order["total"], json!({ "amount_minor": 3998 + 750, "currency": "EUR" }));
    assert!(order.get("customer_email").is_none(), "the email is not part of the order JSON");
    assert!(order.get("status_reason").is_none());

    let stored = app.order(&id).await;
    assert_eq!(stored.customer_email, ana.email);
    let events = app.events_of::<OrderPlaced>(&id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.customer_email, ana.email);
    assert_eq!(events[0].data.total.amount_minor, 4748);
    assert_eq!(events[0].data.lines.len(), 2);
    assert!(events[0].data.lines.iter().all(|l| l.owner_id == OWNER), "OrderPlaced lines carry the owner");
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_order() {
    let app = TestApp::spawn().await;
    let (lamp, body) = one_lamp(&app).await;
    let ana = customer();

    let first = app.post_order(&ana, "same-key", &body).await;
    let second = app.post_order(&ana, "same-key", &json!({ "lines": [{ "quantity": 1, "product_id": lamp }] })).await;

    let order = expect_status(&first, 201);
    assert_eq!(expect_status(&second, 201), order);
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    let id = order["id"].as_str().expect("id").to_owned();
    assert_eq!(app.events_of::<OrderPlaced>(&id).await.len(), 1);
    assert_eq!(app.outbox().await.len(), 1, "exactly one order was placed");
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let (lamp, body) = one_lamp(&app).await;
    let ana = customer();
    expect_status(&app.post_order(&ana, "k", &body).await, 201);

    let r = app.post_order(&ana, "k", &json!({ "lines": [{ "product_id": lamp, "quantity": 2 }] })).await;

    let problem = assert_problem(&r, 422);
    assert_eq!(problem["type"], "urn:bazaar:problem:idempotency-key-reused");
    assert_eq!(app.outbox().await.len(), 1);
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let (_, body) = one_lamp(&app).await;
    let a = expect_status(&app.post_order(&customer(), "shared", &body).await, 201);
    let b = expect_status(&app.post_order(&customer(), "shared", &body).await, 201);
    assert_ne!(a["id"], b["id"]);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_place_one_order() {
    let app = TestApp::spawn().await;
    let (_, body) = one_lamp(&app).await;
    let ana = customer();

    let responses = futures::future::join_all((0..5).map(|_| app.post_order(&ana, "race", &body))).await;

    let ids: Vec<_> = responses.iter().map(|r| expect_status(r, 201)["id"].clone()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(app.outbox().await.len(), 1);
}

#[tokio::test]
async fn the_idempotency_key_header_is_required_and_bounded() {
    let app = TestApp::spawn().await;
    let (_, body) = one_lamp(&app).await;
    let ana = customer();

    let missing = Req::new("POST", "/orders").identity(&ana).json(&body).build();
    assert_problem(&orders_place::handler(&deps!(app, orders_place), missing).await, 400);
    assert_problem(&app.post_order(&ana, &"k".repeat(101), &body).await, 400);
    assert_eq!(app.post_order(&ana, &"k".repeat(100), &body).await.status(), 201);
}

#[tokio::test]
async fn malformed_or_non_json_bodies_and_anonymous_callers_are_refused() {
    let app = TestApp::spawn().await;
    let ana = customer();
    let post = |req: Req| async { orders_place::handler(&deps!(app, orders_place), req.build()).await };

    let keyed = || Req::new("POST", "/orders").header("idempotency-key", "k");
    for (req, status) in [
        (keyed().identity(&ana).json_text("{\"lines\": ["), 400),
        (keyed().identity(&ana).body("lines"), 415),
        (keyed().identity(&ana).json(&json!({ "lines": [], "total": 1 })), 400),
        (keyed().json(&json!({ "lines": [] })), 401),
    ] {
        assert_problem(&post(req).await, status);
    }
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn invalid_lines_get_a_422_naming_the_line() {
    let app = TestApp::spawn().await;
    let eur = app.product(500, "EUR").await;
    let usd = app.product(500, "USD").await;
    let gone = uuid::Uuid::new_v4().to_string();
    app.project(&[product_changed(&gone, 100, "EUR", true, 1), product_changed(&gone, 100, "EUR", false, 2)]).await;
    let ana = customer();
    let cases = [
        (json!({ "lines": [] }), vec!["lines"]),
        (json!({ "lines": vec![json!({ "product_id": eur, "quantity": 1 }); 26] }), vec!["lines"]),
        (json!({ "lines": [{ "product_id": eur, "quantity": 0 }] }), vec!["lines[0].quantity"]),
        (
            json!({ "lines": [{ "product_id": eur, "quantity": 1 }, { "product_id": eur, "quantity": 1001 }] }),
            vec!["lines[1].quantity"],
        ),
        (
            json!({ "lines": [{ "product_id": eur, "quantity": 1 }, { "product_id": "no-such-product", "quantity": 1 }] }),
            vec!["lines[1].product_id"],
        ),
        (json!({ "lines": [{ "product_id": gone, "quantity": 1 }] }), vec!["lines[0].product_id"]),
        (
            json!({ "lines": [{ "product_id": eur, "quantity": 1 }, { "product_id": usd, "quantity": 1 }] }),
            vec!["lines[1].product_id"],
        ),
    ];
    for (i, (body, fields)) in cases.iter().enumerate() {
        let r = app.post_order(&ana, &format!("k{i}"), body).await;
        let problem = assert_problem(&r, 422);
        assert_eq!(error_fields(&problem), *fields, "case {i}: {problem}");
    }
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn twenty_five_lines_are_accepted() {
    let app = TestApp::spawn().await;
    let lamp = app.product(100, "EUR").await;
    let body = json!({ "lines": vec![json!({ "product_id": lamp, "quantity": 4 }); 25] });
    let order = expect_status(&app.post_order(&customer(), "k", &body).await, 201);
    assert_eq!(order["total"]["amount_minor"], 25 * 4 * 100);
}

#[tokio::test]
async fn an_order_holds_at_most_the_configured_units_and_lines() {
    let app = TestApp::spawn_with(&[("OrderMaxUnits", "10"), ("OrderMaxLines", "2")]).await;
    let lamp = app.product(100, "EUR").await;
    let (ana, bo) = (customer(), customer());
    // Today's shop let anyone hold 25 lines of 1000 units.
    let hoard = json!({ "lines": vec![json!({ "product_id": lamp, "quantity": 1000 }); 25] });
    assert_eq!(error_fields(&assert_problem(&app.post_order(&ana, "a", &hoard).await, 422)), vec!["lines"]);
    let eleven = json!({ "lines": [{ "product_id": lamp, "quantity": 6 }, { "product_id": lamp, "quantity": 5 }] });
    let problem = assert_problem(&app.post_order(&ana, "b", &eleven).await, 422);
    assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| m.contains("at most 10 units")), "{problem}");
    let three = json!({ "lines": vec![json!({ "product_id": lamp, "quantity": 1 }); 3] });
    assert_problem(&app.post_order(&ana, "c", &three).await, 422);
    assert!(app.outbox().await.is_empty());
    let ten = json!({ "lines": [{ "product_id": lamp, "quantity": 6 }, { "product_id": lamp, "quantity": 4 }] });
    expect_status(&app.post_order(&bo, "d", &ten).await, 201);
}

#[tokio::test]
async fn a_customer_holds_at_most_the_configured_open_orders_until_one_closes() {
    let app = TestApp::spawn_with(&[("OpenOrdersPerCustomer", "2")]).await;
    let lamp = app.product(100, "EUR").await;
    let (ana, bo) = (customer(), customer());
    let one = json!({ "lines": [{ "product_id": lamp, "quantity": 1 }] });
    let first = expect_status(&app.post_order(&ana, "1", &one).await, 201)["id"].as_str().expect("id").to_owned();
    let second = expect_status(&app.post_order(&ana, "2", &one).await, 201)["id"].as_str().expect("id").to_owned();
    reserve(&app, &second).await;

    let third = app.post_order(&ana, "3", &one).await;
    let problem = assert_problem(&third, 429);
    assert_eq!(problem["type"], "urn:bazaar:problem:too-many-open-orders");
    let retry: u64 = third.headers()["retry-after"].to_str().expect("text").parse().expect("seconds");
    assert!((1..=1200).contains(&retry), "{retry}");
    // The replay of an order already placed is no new order.
    assert_eq!(app.post_order(&ana, "1", &one).await.status(), 201);
    // Another customer is not held back.
    expect_status(&app.post_order(&bo, "b1", &one).await, 201);

    // A paid order and a cancelled one are no longer open.
    pay(&app, &second).await;
    expect_status(&app.post_order(&ana, "4", &one).await, 201);
    let cancel = Req::new("POST", &format!("/orders/{first}/cancel")).identity(&ana).path_param("id", &first).build();
    assert_eq!(orders_cancel::handler(&deps!(app, orders_cancel), cancel).await.status(), 200);
    expect_status(&app.post_order(&ana, "5", &one).await, 201);
    assert_problem(&app.post_order(&ana, "6", &one).await, 429);
}

#[tokio::test]
async fn concurrent_orders_never_exceed_the_open_order_cap() {
    let app = TestApp::spawn_with(&[("OpenOrdersPerCustomer", "3")]).await;
    let lamp = app.product(100, "EUR").await;
    let ana = customer();
    let one = json!({ "lines": [{ "product_id": lamp, "quantity": 1 }] });
    let tries = (0..10).map(|i| {
        let (app, ana, one) = (&app, &ana, &one);
        async move { app.post_order(ana, &format!("race-{i}"), one).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(tries).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 429), "{statuses:?}");
}

//! The product routes: happy paths, their events, and every 4xx.

use bazaar_events::catalog::ProductChanged;
use serde_json::json;

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn creating_a_product_returns_201_and_emits_product_changed_version_1() {
    let app = TestApp::spawn().await;
    let body = json!({ "name": "Desk lamp", "description": "Warm light", "category": "home",
                       "price": { "amount_minor": 2599, "currency": "EUR" }, "stock": 7 });
    let r = create(&app, &body, Some(&admin())).await;
    let product = expect_status(&r, 201);
    let id = product["id"].as_str().expect("id");
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert_eq!(r.headers()["location"], format!("/products/{id}"));
    assert_eq!(product["price"], json!({ "amount_minor": 2599, "currency": "EUR" }));
    assert_eq!((product["stock"].as_u64(), product["version"].as_u64()), (Some(7), Some(1)));
    assert_eq!(product["active"], true);
    assert_eq!(product["owner_id"], admin().sub, "the creator owns it");
    for field in ["name", "description", "category", "created_at", "updated_at"] {
        assert!(product[field].is_string(), "{field}: {product}");
    }

    let events = app.events::<ProductChanged>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.product_id, id);
    assert_eq!((events[0].data.version, events[0].data.active), (1, true));
    assert_eq!(events[0].data.owner_id, admin().sub);
    assert!(!events[0].metadata.correlation_id.is_empty());

    assert_eq!(expect_status(&get(&app, id).await, 200), product);
}

#[tokio::test]
async fn creating_needs_catalog_write_and_a_valid_json_body() {
    let app = TestApp::spawn().await;
    let valid = json!({ "name": "A", "category": "c", "price": { "amount_minor": 1, "currency": "EUR" } });
    assert_problem(&create(&app, &valid, None).await, 401);
    assert_problem(&create(&app, &valid, Some(&customer())).await, 403);

    let deps = deps!(app, catalog_products_create);

    let malformed = request("POST", "/products", "/products", &[], Some("{\"name\": "), Some(&admin()));
    assert_problem(&catalog_products_create::handler(&deps, malformed).await, 400);
    let mut not_json = request("POST", "/products", "/products", &[], Some("name=A"), Some(&admin()));
    not_json.headers_mut().insert("content-type", "text/plain".parse().expect("header"));
    assert_problem(&catalog_products_create::handler(&deps, not_json).await, 415);
    let unknown_field =
        json!({ "name": "A", "category": "c", "price": { "amount_minor": 1, "currency": "EUR" }, "active": false });
    assert_problem(&create(&app, &unknown_field, Some(&admin())).await, 400);

    let invalid =
        json!({ "name": " ", "category": "c", "price": { "amount_minor": -5, "currency": "euro" }, "stock": -1 });
    let r = create(&app, &invalid, Some(&admin())).await;
    assert_problem(&r, 422);
    let fields: Vec<_> =
        body_json(&r)["errors"].as_array().expect("errors").iter().map(|e| e["field"].clone()).collect();
    assert_eq!(fields, [json!("name"), json!("price.amount_minor"), json!("price.currency"), json!("stock")]);
    assert!(app.events::<ProductChanged>().await.is_empty(), "nothing may be written for a refused request");
}

#[tokio::test]
async fn get_of_an_unknown_product_is_404() {
    let app = TestApp::spawn().await;
    assert_problem(&get(&app, "no-such-product").await, 404);
    assert_problem(&get(&app, &"x".repeat(300)).await, 404);
}

#[tokio::test]
async fn updating_changes_only_the_sent_fields_and_emits_the_next_version() {
    let app = TestApp::spawn().await;
    let product = app.product("Mug", "kitchen", 900, 3).await;
    let id = product["id"].as_str().expect("id");
    let patch = json!({ "price": { "amount_minor": 1100, "currency": "EUR" }, "description": "Big" });
    let updated = expect_status(&update(&app, id, &patch, &admin()).await, 200);
    assert_eq!(updated["price"]["amount_minor"], 1100);
    assert_eq!((updated["name"].as_str(), updated["description"].as_str()), (Some("Mug"), Some("Big")));
    assert_eq!((updated["version"].as_u64(), updated["stock"].as_u64()), (Some(2), Some(3)));

    let clear = json!({ "description": null, "category": "cups" });
    let updated = body_json(&update(&app, id, &clear, &admin()).await);
    assert_eq!(updated["description"], serde_json::Value::Null);
    assert_eq!(updated["version"], 3);

    let mut versions: Vec<_> = app.events::<ProductChanged>().await.iter().map(|e| e.data.version).collect();
    versions.sort();
    assert_eq!(versions, [1, 2, 3]);
    let listed = body_json(&list(&app, &[("category", "cups")]).await);
    assert_eq!(listed["items"][0]["id"], id, "the category index follows the update");
}

#[tokio::test]
async fn updating_refuses_what_it_cannot_apply() {
    let app = TestApp::spawn().await;
    let product = app.product("Mug", "kitchen", 900, 3).await;
    let id = product["id"].as_str().expect("id");
    let name = json!({ "name": "Cup" });
    for (target, patch, who, status) in [
        (id, &name, customer(), 403),
        ("nope", &name, admin(), 404),
        (id, &json!({}), admin(), 422),
        (id, &json!({ "stock": 99 }), admin(), 400),
        (id, &json!({ "price": { "amount_minor": 5, "currency": "eu" } }), admin(), 422),
    ] {
        assert_problem(&update(&app, target, patch, &who).await, status);
    }
    assert_eq!(app.stored(id).await.version, 1, "nothing changed");
}

#[tokio::test]
async fn deleting_hides_the_product_and_emits_an_inactive_version() {
    let app = TestApp::spawn().await;
    let product = app.product("Chair", "home", 4900, 2).await;
    let id = product["id"].as_str().expect("id");
    assert_problem(&delete(&app, id, &customer()).await, 403);
    expect_status(&delete(&app, id, &admin()).await, 204);

    assert_problem(&get(&app, id).await, 404);
    assert_problem(&delete(&app, id, &admin()).await, 404);
    assert_problem(&update(&app, id, &json!({ "name": "Stool" }), &admin()).await, 404);
    assert_problem(&set_stock(&app, id, &json!({"quantity": 1}), &admin()).await, 404);
    assert_eq!(body_json(&list(&app, &[]).await)["items"], json!([]));

    let deleted: Vec<_> = app.events::<ProductChanged>().await.into_iter().filter(|e| !e.data.active).collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].data.version, 2);
    assert!(!app.stored(id).await.active, "soft delete keeps the item");
}

#[tokio::test]
async fn putting_stock_sets_the_available_units_without_a_new_version() {
    let app = TestApp::spawn().await;
    let product = app.product("Pen", "office", 150, 0).await;
    let id = product["id"].as_str().expect("id");
    let put = expect_status(&set_stock(&app, id, &json!({ "quantity": 40 }), &admin()).await, 200);
    assert_eq!((put["stock"].as_u64(), put["version"].as_u64()), (Some(40), Some(1)));
    assert_eq!(app.stock_of(id).await, 40);

    for (target, quantity, who, status) in [
        (id, json!(-1), admin(), 422),
        (id, json!("x"), admin(), 400),
        (id, json!(1), customer(), 403),
        ("nope", json!(1), admin(), 404),
    ] {
        assert_problem(&set_stock(&app, target, &json!({ "quantity": quantity }), &who).await, status);
    }
    assert_eq!(app.stock_of(id).await, 40);
}

#[tokio::test]
async fn listing_pages_through_active_products_in_a_stable_order() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let category = if i % 2 == 0 { "even" } else { "odd" };
        ids.push(app.product(&format!("P{i}"), category, 100 + i, 1).await["id"].as_str().expect("id").to_owned());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let page = expect_status(&list(&app, &query).await, 200);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|p| p["id"].as_str().expect("id").to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids, "creation order, every product once");

    let r = list(&app, &[("category", "odd")]).await;
    let odd: Vec<_> = body_json(&r)["items"].as_array().expect("items").iter().map(|p| p["id"].clone()).collect();
    assert_eq!(odd, [json!(ids[1]), json!(ids[3])]);
    let r = list(&app, &[]).await;
    assert_eq!(body_json(&r)["items"].as_array().map(Vec::len), Some(5), "default limit 20");
}

#[tokio::test]
async fn listing_refuses_bad_limits_and_foreign_or_tampered_cursors() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.product(&format!("P{i}"), "c", 100, 1).await;
    }
    for limit in ["0", "101", "ten", "-1"] {
        assert_problem(&list(&app, &[("limit", limit)]).await, 400);
    }
    let r = list(&app, &[("limit", "1")]).await;
    let cursor = body_json(&r)["next_cursor"].as_str().expect("a next page").to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    assert_problem(&list(&app, &[("cursor", &tampered)]).await, 400);
    assert_problem(&list(&app, &[("cursor", "garbage")]).await, 400);
    let long = "c".repeat(5_000);
    assert_problem(&list(&app, &[("category", &long)]).await, 400);
    let other_listing = [("cursor", cursor.as_str()), ("category", "c")];
    assert_problem(&list(&app, &other_listing).await, 400);
    let r = list(&app, &[("cursor", &cursor)]).await;
    assert_eq!(r.status(), 200, "the untouched cursor works");
}

#[tokio::test]
async fn listing_is_a_503_not_a_500_while_the_cursor_secret_cannot_be_read_and_recovers_when_it_can() {
    let app = TestApp::spawn().await;
    app.product("P", "c", 100, 1).await;
    let parameter = format!("/bazaar/missing-{}/cursor-secret", uuid::Uuid::new_v4().simple());
    let deps = catalog_products_list::Deps {
        cursors: bazaar_aws::cursor::CursorSecret::new(aws_sdk_ssm::Client::new(&app.config), &parameter),
        ..deps!(app, catalog_products_list)
    };
    let r = catalog_products_list::handler(&deps, list_products(&[])).await;
    let problem = assert_problem(&r, 503);
    assert!(r.headers().contains_key("retry-after"), "{problem}");
    assert!(!problem.to_string().contains(&parameter), "no internal detail: {problem}");

    aws_sdk_ssm::Client::new(&app.config)
        .put_parameter()
        .name(&parameter)
        .value("a-fresh-cursor-secret-0123456789")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("put");
    let r = catalog_products_list::handler(&deps, list_products(&[])).await;
    assert_eq!(r.status(), 200, "a failed read is not cached: {}", text(&r));
}

#[tokio::test]
async fn an_owner_cannot_change_another_owners_product_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (ana, bob) = (owner("owner-ana"), owner("owner-bob"));
    let product = app.product_of(&ana, "Ana's lamp", "home", 1000, 5).await;
    let id = product["id"].as_str().expect("id");
    assert_eq!(product["owner_id"], "owner-ana");
    let before = app.stored(id).await;
    let events_before = app.outbox().await.len();

    assert_problem(&update(&app, id, &json!({ "name": "Bob's now" }), &bob).await, 403);
    assert_problem(&delete(&app, id, &bob).await, 403);
    assert_problem(&set_stock(&app, id, &json!({ "quantity": 0 }), &bob).await, 403);

    assert_eq!(app.stored(id).await, before, "the product is unchanged");
    assert_eq!(app.outbox().await.len(), events_before, "no event");
}

#[tokio::test]
async fn an_owner_changes_their_own_product_and_write_all_changes_anyones() {
    let app = TestApp::spawn().await;
    let ana = owner("owner-ana");
    let product = app.product_of(&ana, "Ana's lamp", "home", 1000, 5).await;
    let id = product["id"].as_str().expect("id");

    expect_status(&update(&app, id, &json!({ "name": "Lamp" }), &ana).await, 200);
    expect_status(&set_stock(&app, id, &json!({ "quantity": 9 }), &ana).await, 200);

    // An admin holds catalog:write_all: any product, and the owner stays Ana.
    let price = json!({ "price": { "amount_minor": 1500, "currency": "EUR" } });
    assert_eq!(expect_status(&update(&app, id, &price, &admin()).await, 200)["owner_id"], "owner-ana");
    expect_status(&set_stock(&app, id, &json!({ "quantity": 3 }), &admin()).await, 200);
    let events = app.events::<ProductChanged>().await;
    assert!(events.iter().all(|e| e.data.owner_id == "owner-ana"), "every ProductChanged names the owner");
    assert_eq!(events.iter().map(|e| e.data.version).max(), Some(3));

    expect_status(&delete(&app, id, &admin()).await, 204);
    assert!(!app.stored(id).await.active);
}

#[tokio::test]
async fn write_all_alone_may_change_but_not_create() {
    let app = TestApp::spawn().await;
    let id = app.product_of(&owner("owner-ana"), "Lamp", "home", 1000, 5).await["id"].as_str().expect("id").to_owned();
    let moderator = bazaar_runtime::Identity { permissions: vec!["catalog:write_all".into()], ..owner("moderator") };
    expect_status(&update(&app, &id, &json!({ "name": "Fixed" }), &moderator).await, 200);
    let body = json!({ "name": "A", "category": "c", "price": { "amount_minor": 1, "currency": "EUR" } });
    assert_problem(&create(&app, &body, Some(&moderator)).await, 403);
}

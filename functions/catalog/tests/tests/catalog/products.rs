//! The product routes: happy paths, their events, and every 4xx.

use bazaar_events::catalog::ProductChanged;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn creating_a_product_returns_201_and_emits_product_changed_version_1() {
    let app = TestApp::spawn().await;
    let body = json!({ "name": "Desk lamp", "description": "Warm light", "category": "home",
                       "price": { "amount_minor": 2599, "currency": "EUR" }, "stock": 7 });
    let r = catalog_products_create::handler(
        &deps!(app, catalog_products_create),
        post("/products", &body, Some(&admin())),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", text(&r));
    let product = body_json(&r);
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

    let r = catalog_products_get::handler(&deps!(app, catalog_products_get), get_product(id)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r), product);
}

#[tokio::test]
async fn creating_needs_catalog_write_and_a_valid_json_body() {
    let app = TestApp::spawn().await;
    let valid = json!({ "name": "A", "category": "c", "price": { "amount_minor": 1, "currency": "EUR" } });
    let deps = deps!(app, catalog_products_create);
    assert_problem(&catalog_products_create::handler(&deps, post("/products", &valid, None)).await, 401);
    assert_problem(&catalog_products_create::handler(&deps, post("/products", &valid, Some(&customer()))).await, 403);

    let malformed = request("POST", "/products", "/products", &[], Some("{\"name\": "), Some(&admin()));
    assert_problem(&catalog_products_create::handler(&deps, malformed).await, 400);
    let mut not_json = request("POST", "/products", "/products", &[], Some("name=A"), Some(&admin()));
    not_json.headers_mut().insert("content-type", "text/plain".parse().expect("header"));
    assert_problem(&catalog_products_create::handler(&deps, not_json).await, 415);
    let unknown_field =
        json!({ "name": "A", "category": "c", "price": { "amount_minor": 1, "currency": "EUR" }, "active": false });
    assert_problem(
        &catalog_products_create::handler(&deps, post("/products", &unknown_field, Some(&admin()))).await,
        400,
    );

    let invalid =
        json!({ "name": " ", "category": "c", "price": { "amount_minor": -5, "currency": "euro" }, "stock": -1 });
    let r = catalog_products_create::handler(&deps, post("/products", &invalid, Some(&admin()))).await;
    assert_problem(&r, 422);
    let fields: Vec<_> =
        body_json(&r)["errors"].as_array().expect("errors").iter().map(|e| e["field"].clone()).collect();
    assert_eq!(fields, [json!("name"), json!("price.amount_minor"), json!("price.currency"), json!("stock")]);
    assert!(app.events::<ProductChanged>().await.is_empty(), "nothing may be written for a refused request");
}

#[tokio::test]
async fn get_of_an_unknown_product_is_404() {
    let app = TestApp::spawn().await;
    assert_problem(
        &catalog_products_get::handler(&deps!(app, catalog_products_get), get_product("no-such-product")).await,
        404,
    );
    let long = "x".repeat(300);
    assert_problem(&catalog_products_get::handler(&deps!(app, catalog_products_get), get_product(&long)).await, 404);
}

#[tokio::test]
async fn updating_changes_only_the_sent_fields_and_emits_the_next_version() {
    let app = TestApp::spawn().await;
    let product = app.product("Mug", "kitchen", 900, 3).await;
    let id = product["id"].as_str().expect("id");
    let patch = json!({ "price": { "amount_minor": 1100, "currency": "EUR" }, "description": "Big" });
    let r = catalog_products_update::handler(
        &deps!(app, catalog_products_update),
        patch_product(id, &patch, Some(&admin())),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let updated = body_json(&r);
    assert_eq!(updated["price"]["amount_minor"], 1100);
    assert_eq!((updated["name"].as_str(), updated["description"].as_str()), (Some("Mug"), Some("Big")));
    assert_eq!((updated["version"].as_u64(), updated["stock"].as_u64()), (Some(2), Some(3)));

    let clear = json!({ "description": null, "category": "cups" });
    let r = catalog_products_update::handler(
        &deps!(app, catalog_products_update),
        patch_product(id, &clear, Some(&admin())),
    )
    .await;
    assert_eq!(body_json(&r)["description"], serde_json::Value::Null);
    assert_eq!(body_json(&r)["version"], 3);

    let mut versions: Vec<_> = app.events::<ProductChanged>().await.iter().map(|e| e.data.version).collect();
    versions.sort();
    assert_eq!(versions, [1, 2, 3]);
    let listed = body_json(
        &catalog_products_list::handler(&deps!(app, catalog_products_list), list_products(&[("category", "cups")]))
            .await,
    );
    assert_eq!(listed["items"][0]["id"], id, "the category index follows the update");
}

#[tokio::test]
async fn updating_refuses_what_it_cannot_apply() {
    let app = TestApp::spawn().await;
    let product = app.product("Mug", "kitchen", 900, 3).await;
    let id = product["id"].as_str().expect("id");
    let deps = deps!(app, catalog_products_update);
    let name = json!({ "name": "Cup" });
    assert_problem(&catalog_products_update::handler(&deps, patch_product(id, &name, Some(&customer()))).await, 403);
    assert_problem(&catalog_products_update::handler(&deps, patch_product("nope", &name, Some(&admin()))).await, 404);
    assert_problem(&catalog_products_update::handler(&deps, patch_product(id, &json!({}), Some(&admin()))).await, 422);
    let stock = json!({ "stock": 99 });
    assert_problem(&catalog_products_update::handler(&deps, patch_product(id, &stock, Some(&admin()))).await, 400);
    let bad_price = json!({ "price": { "amount_minor": 5, "currency": "eu" } });
    assert_problem(&catalog_products_update::handler(&deps, patch_product(id, &bad_price, Some(&admin()))).await, 422);
    assert_eq!(app.stored(id).await.version, 1, "nothing changed");
}

#[tokio::test]
async fn deleting_hides_the_product_and_emits_an_inactive_version() {
    let app = TestApp::spawn().await;
    let product = app.product("Chair", "home", 4900, 2).await;
    let id = product["id"].as_str().expect("id");
    assert_problem(
        &catalog_products_delete::handler(&deps!(app, catalog_products_delete), delete_product(id, Some(&customer())))
            .await,
        403,
    );
    let r = catalog_products_delete::handler(&deps!(app, catalog_products_delete), delete_product(id, Some(&admin())))
        .await;
    assert_eq!(r.status(), 204, "{}", text(&r));

    assert_problem(&catalog_products_get::handler(&deps!(app, catalog_products_get), get_product(id)).await, 404);
    assert_problem(
        &catalog_products_delete::handler(&deps!(app, catalog_products_delete), delete_product(id, Some(&admin())))
            .await,
        404,
    );
    let name = json!({ "name": "Stool" });
    assert_problem(
        &catalog_products_update::handler(
            &deps!(app, catalog_products_update),
            patch_product(id, &name, Some(&admin())),
        )
        .await,
        404,
    );
    assert_problem(
        &catalog_stock_put::handler(
            &deps!(app, catalog_stock_put),
            put_stock(id, &json!({"quantity": 1}), Some(&admin())),
        )
        .await,
        404,
    );
    let listed =
        body_json(&catalog_products_list::handler(&deps!(app, catalog_products_list), list_products(&[])).await);
    assert_eq!(listed["items"], json!([]));

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
    let deps = deps!(app, catalog_stock_put);
    let r = catalog_stock_put::handler(&deps, put_stock(id, &json!({ "quantity": 40 }), Some(&admin()))).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!((body_json(&r)["stock"].as_u64(), body_json(&r)["version"].as_u64()), (Some(40), Some(1)));
    assert_eq!(app.stock_of(id).await, 40);

    assert_problem(
        &catalog_stock_put::handler(&deps, put_stock(id, &json!({ "quantity": -1 }), Some(&admin()))).await,
        422,
    );
    assert_problem(
        &catalog_stock_put::handler(&deps, put_stock(id, &json!({ "quantity": "x" }), Some(&admin()))).await,
        400,
    );
    assert_problem(
        &catalog_stock_put::handler(&deps, put_stock(id, &json!({ "quantity": 1 }), Some(&customer()))).await,
        403,
    );
    assert_problem(
        &catalog_stock_put::handler(&deps, put_stock("nope", &json!({ "quantity": 1 }), Some(&admin()))).await,
        404,
    );
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
    let deps = deps!(app, catalog_products_list);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let r = catalog_products_list::handler(&deps, list_products(&query)).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
        let page = body_json(&r);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|p| p["id"].as_str().expect("id").to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids, "creation order, every product once");

    let r = catalog_products_list::handler(&deps, list_products(&[("category", "odd")])).await;
    let odd: Vec<_> = body_json(&r)["items"].as_array().expect("items").iter().map(|p| p["id"].clone()).collect();
    assert_eq!(odd, [json!(ids[1]), json!(ids[3])]);
    let r = catalog_products_list::handler(&deps, list_products(&[])).await;
    assert_eq!(body_json(&r)["items"].as_array().map(Vec::len), Some(5), "default limit 20");
}

#[tokio::test]
async fn listing_refuses_bad_limits_and_foreign_or_tampered_cursors() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.product(&format!("P{i}"), "c", 100, 1).await;
    }
    let deps = deps!(app, catalog_products_list);
    for limit in ["0", "101", "ten", "-1"] {
        assert_problem(&catalog_products_list::handler(&deps, list_products(&[("limit", limit)])).await, 400);
    }
    let r = catalog_products_list::handler(&deps, list_products(&[("limit", "1")])).await;
    let cursor = body_json(&r)["next_cursor"].as_str().expect("a next page").to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    assert_problem(&catalog_products_list::handler(&deps, list_products(&[("cursor", &tampered)])).await, 400);
    assert_problem(&catalog_products_list::handler(&deps, list_products(&[("cursor", "garbage")])).await, 400);
    let long = "c".repeat(5_000);
    assert_problem(&catalog_products_list::handler(&deps, list_products(&[("category", &long)])).await, 400);
    let other_listing = [("cursor", cursor.as_str()), ("category", "c")];
    assert_problem(&catalog_products_list::handler(&deps, list_products(&other_listing)).await, 400);
    let r = catalog_products_list::handler(&deps, list_products(&[("cursor", &cursor)])).await;
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

    let patch = json!({ "name": "Bob's now" });
    let r =
        catalog_products_update::handler(&deps!(app, catalog_products_update), patch_product(id, &patch, Some(&bob)))
            .await;
    assert_problem(&r, 403);
    let r =
        catalog_products_delete::handler(&deps!(app, catalog_products_delete), delete_product(id, Some(&bob))).await;
    assert_problem(&r, 403);
    let r = catalog_stock_put::handler(
        &deps!(app, catalog_stock_put),
        put_stock(id, &json!({ "quantity": 0 }), Some(&bob)),
    )
    .await;
    assert_problem(&r, 403);

    assert_eq!(app.stored(id).await, before, "the product is unchanged");
    assert_eq!(app.outbox().await.len(), events_before, "no event");
}

#[tokio::test]
async fn an_owner_changes_their_own_product_and_write_all_changes_anyones() {
    let app = TestApp::spawn().await;
    let ana = owner("owner-ana");
    let product = app.product_of(&ana, "Ana's lamp", "home", 1000, 5).await;
    let id = product["id"].as_str().expect("id");

    let r = catalog_products_update::handler(
        &deps!(app, catalog_products_update),
        patch_product(id, &json!({ "name": "Lamp" }), Some(&ana)),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let r = catalog_stock_put::handler(
        &deps!(app, catalog_stock_put),
        put_stock(id, &json!({ "quantity": 9 }), Some(&ana)),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));

    // An admin holds catalog:write_all: any product, and the owner stays Ana.
    let r = catalog_products_update::handler(
        &deps!(app, catalog_products_update),
        patch_product(id, &json!({ "price": { "amount_minor": 1500, "currency": "EUR" } }), Some(&admin())),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["owner_id"], "owner-ana");
    let r = catalog_stock_put::handler(
        &deps!(app, catalog_stock_put),
        put_stock(id, &json!({ "quantity": 3 }), Some(&admin())),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let events = app.events::<ProductChanged>().await;
    assert!(events.iter().all(|e| e.data.owner_id == "owner-ana"), "every ProductChanged names the owner");
    assert_eq!(events.iter().map(|e| e.data.version).max(), Some(3));

    let r = catalog_products_delete::handler(&deps!(app, catalog_products_delete), delete_product(id, Some(&admin())))
        .await;
    assert_eq!(r.status(), 204, "{}", text(&r));
    assert!(!app.stored(id).await.active);
}

#[tokio::test]
async fn write_all_alone_may_change_but_not_create() {
    let app = TestApp::spawn().await;
    let id = app.product_of(&owner("owner-ana"), "Lamp", "home", 1000, 5).await["id"].as_str().expect("id").to_owned();
    let moderator = bazaar_runtime::Identity { permissions: vec!["catalog:write_all".into()], ..owner("moderator") };
    let r = catalog_products_update::handler(
        &deps!(app, catalog_products_update),
        patch_product(&id, &json!({ "name": "Fixed" }), Some(&moderator)),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let body = json!({ "name": "A", "category": "c", "price": { "amount_minor": 1, "currency": "EUR" } });
    let r = catalog_products_create::handler(
        &deps!(app, catalog_products_create),
        post("/products", &body, Some(&moderator)),
    )
    .await;
    assert_problem(&r, 403);
}

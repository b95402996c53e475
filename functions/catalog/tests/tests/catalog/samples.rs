//! Every sample event in events/catalog is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use lambda_runtime::{Context, LambdaEvent};

use crate::support::*;

/// `<function>/<case>.json` → expected outcome: an HTTP status; for SQS consumers and the
/// publisher 200 = no failed record, 207 = some records reported failed; for the schedule
/// 200 = it ran.
fn expectations() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("holds-expire/scheduled.json", 200),
        ("on-order/order-cancelled.json", 200),
        ("on-order/order-paid.json", 200),
        ("on-order/order-placed-unknown-product.json", 200),
        ("on-order/payment-failed.json", 200),
        ("on-order/poison.json", 207),
        ("products-create/as-customer.json", 403),
        ("products-create/invalid-price.json", 422),
        ("products-create/malformed-json.json", 400),
        ("products-create/valid.json", 201),
        ("products-delete/unknown-product.json", 404),
        ("products-get/unknown-product.json", 404),
        ("products-list/by-category.json", 200),
        ("products-list/first-page.json", 200),
        ("products-list/limit-too-large.json", 400),
        ("products-list/tampered-cursor.json", 400),
        ("products-update/as-customer.json", 403),
        ("products-update/unknown-product.json", 404),
        ("publisher/outbox-insert.json", 200),
        ("stock-put/negative-quantity.json", 422),
        ("stock-put/unknown-product.json", 404),
    ])
}

fn samples() -> Vec<(String, String)> {
    let root = bazaar_testkit::workspace_root().join("events/catalog");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).expect("events/catalog").flatten() {
        for file in std::fs::read_dir(dir.path()).expect("function dir").flatten() {
            let name = format!("{}/{}", dir.file_name().to_string_lossy(), file.file_name().to_string_lossy());
            found.push((name, std::fs::read_to_string(file.path()).expect("sample")));
        }
    }
    found.sort();
    found
}

fn lambda_event<T: serde::de::DeserializeOwned>(json: &str) -> LambdaEvent<T> {
    LambdaEvent::new(serde_json::from_str(json).expect("sample event"), Context::default())
}

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let function = name.split('/').next().unwrap_or_default();
    let http = || lambda_http::request::from_str(json).expect("an API Gateway v2 event");
    let response = match function {
        "products-list" => catalog_products_list::handler(&app.list(), http()).await,
        "products-get" => catalog_products_get::handler(&app.get(), http()).await,
        "products-create" => catalog_products_create::handler(&app.create(), http()).await,
        "products-update" => catalog_products_update::handler(&app.update(), http()).await,
        "products-delete" => catalog_products_delete::handler(&app.delete(), http()).await,
        "stock-put" => catalog_stock_put::handler(&app.stock(), http()).await,
        "on-order" => {
            let r = catalog_on_order::handler(&app.on_order(), lambda_event(json)).await.expect("handled");
            return if r.batch_item_failures.is_empty() { 200 } else { 207 };
        }
        "holds-expire" => {
            let r = catalog_holds_expire::handler(&app.holds_expire(), lambda_event(json)).await.expect("handled");
            assert!(r["released"].is_u64(), "{r}");
            return 200;
        }
        "publisher" => {
            let r = catalog_publisher::handler(&app.publisher(), lambda_event(json)).await.expect("handled");
            return if r.batch_item_failures.is_empty() { 200 } else { 207 };
        }
        other => panic!("no handler for sample folder {other}"),
    };
    if response.status().is_client_error() {
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{name}");
    }
    response.status().as_u16()
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let app = TestApp::spawn().await;
    let expected = expectations();
    let found = samples();
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, expected.keys().copied().collect::<Vec<_>>(), "samples and expectations differ");
    for (name, json) in &found {
        assert_eq!(run(&app, name, json).await, expected[name.as_str()], "{name}");
    }
}

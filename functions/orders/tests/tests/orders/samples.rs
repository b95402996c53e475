//! Every sample event in events/orders is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use lambda_runtime::{Context, LambdaEvent};

use crate::support::*;

/// `<function>/<case>.json` → expected HTTP status (consumers and publisher: 200 = no failed
/// message or record, 500 = some failed).
fn expectations() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("cancel/unknown-order.json", 404),
        ("get/no-identity.json", 401),
        ("get/unknown-order.json", 404),
        ("list/all-as-customer.json", 403),
        ("list/mine.json", 200),
        ("list/tampered-cursor.json", 400),
        ("on-payment/payment-failed.json", 200),
        ("on-payment/payment-succeeded.json", 200),
        ("on-product/product-changed.json", 200),
        ("on-stock/stock-rejected.json", 200),
        ("on-stock/stock-reserved.json", 200),
        ("place/malformed-json.json", 400),
        ("place/missing-idempotency-key.json", 400),
        ("place/no-identity.json", 401),
        ("place/unknown-product.json", 422),
        ("place/valid.json", 201),
        ("publisher/outbox-insert.json", 200),
    ])
}

fn samples() -> Vec<(String, String)> {
    let root = bazaar_testkit::workspace_root().join("events/orders");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).expect("events/orders").flatten() {
        for file in std::fs::read_dir(dir.path()).expect("function dir").flatten() {
            let name = format!("{}/{}", dir.file_name().to_string_lossy(), file.file_name().to_string_lossy());
            found.push((name, std::fs::read_to_string(file.path()).expect("sample")));
        }
    }
    found.sort();
    found
}

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let function = name.split('/').next().unwrap_or_default();
    let http = || lambda_http::request::from_str(json).expect("an API Gateway v2 event");
    let sqs = || LambdaEvent::new(serde_json::from_str(json).expect("an SQS event"), Context::default());
    let batch = |failures: usize| if failures == 0 { 200 } else { 500 };
    let response = match function {
        "place" => orders_place::handler(&app.place(), http()).await,
        "get" => orders_get::handler(&app.get(), http()).await,
        "list" => orders_list::handler(&app.list(), http()).await,
        "cancel" => orders_cancel::handler(&app.cancel(), http()).await,
        "on-product" => {
            let r = orders_on_product::handler(&app.on_product(), sqs()).await.expect("handled");
            return batch(r.batch_item_failures.len());
        }
        "on-stock" => {
            let r = orders_on_stock::handler(&app.on_stock(), sqs()).await.expect("handled");
            return batch(r.batch_item_failures.len());
        }
        "on-payment" => {
            let r = orders_on_payment::handler(&app.on_payment(), sqs()).await.expect("handled");
            return batch(r.batch_item_failures.len());
        }
        "publisher" => {
            let event = LambdaEvent::new(serde_json::from_str(json).expect("stream event"), Context::default());
            let r = orders_publisher::handler(&app.publisher(), event).await.expect("handled");
            return batch(r.batch_item_failures.len());
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
    // The valid order sample needs its product in the projection: the projection sample seeds it.
    let (seed_name, seed) = found.iter().find(|(n, _)| n == "on-product/product-changed.json").expect("seed sample");
    assert_eq!(run(&app, seed_name, seed).await, 200);
    for (name, json) in &found {
        assert_eq!(run(&app, name, json).await, expected[name.as_str()], "{name}");
    }
}

//! Every sample event in events/payments is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use lambda_runtime::{Context, LambdaEvent};

use crate::support::*;

/// `<function>/<case>.json` → expected outcome: the HTTP status; for consumers and the
/// publisher 200 = no failed message/record, 207 = some reported failed.
fn expectations() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("cancel/no-identity.json", 401),
        ("cancel/unknown-payment.json", 404),
        ("complete/unknown-payment.json", 404),
        ("get/as-admin-unknown-payment.json", 404),
        ("get/no-identity.json", 401),
        ("on-stock/poison-and-valid.json", 207),
        ("on-stock/stock-reserved.json", 200),
        ("publisher/outbox-insert.json", 200),
        ("webhook/malformed-signature.json", 401),
        ("webhook/no-signature.json", 401),
        ("webhook/stale-signature.json", 401),
    ])
}

fn samples() -> Vec<(String, String)> {
    let root = bazaar_testkit::workspace_root().join("events/payments");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).expect("events/payments").flatten() {
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
    let response = match function {
        "get" => payments_get::handler(&app.get(), http()).await,
        "complete" => payments_complete::handler(&app.complete(), http()).await,
        "cancel" => payments_cancel::handler(&app.cancel(), http()).await,
        "webhook" => payments_webhook::handler(&app.webhook(), http()).await,
        "on-stock" => {
            let event = LambdaEvent::new(serde_json::from_str(json).expect("SQS event"), Context::default());
            let r = payments_on_stock::handler(&app.on_stock(), event).await.expect("handled");
            return if r.batch_item_failures.is_empty() { 200 } else { 207 };
        }
        "publisher" => {
            let event = LambdaEvent::new(serde_json::from_str(json).expect("stream event"), Context::default());
            let r = payments_publisher::handler(&app.publisher(), event).await.expect("handled");
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

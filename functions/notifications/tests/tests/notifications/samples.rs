//! Every sample event in events/notifications is accepted by its function's handler, with
//! the outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use lambda_runtime::{Context, LambdaEvent};

use crate::support::*;

/// `<function>/<case>.json` → expected HTTP status (on-event: 200 = no failed message,
/// 207 = some messages reported failed).
fn expectations() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("list/customer.json", 200),
        ("list/tampered-cursor.json", 400),
        ("on-event/order-cancelled-payment-failed.json", 200),
        ("on-event/order-paid.json", 200),
        ("on-event/password-reset-requested.json", 200),
        ("on-event/poison-body.json", 207),
        ("on-event/user-registered.json", 200),
        ("preferences-get/customer.json", 200),
        ("preferences-get/no-identity.json", 401),
        ("preferences-put/no-content-type.json", 415),
        ("preferences-put/sms-opt-in.json", 200),
        ("preferences-put/sms-without-phone.json", 422),
        ("templates-get/as-admin.json", 200),
        ("templates-get/as-customer.json", 403),
        ("templates-get/unknown-name.json", 404),
        ("templates-put/malformed-json.json", 400),
        ("templates-put/syntax-error.json", 422),
        ("templates-put/valid.json", 200),
    ])
}

fn samples() -> Vec<(String, String)> {
    let root = bazaar_testkit::workspace_root().join("events/notifications");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).expect("events/notifications").flatten() {
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
        "templates-get" => notifications_templates_get::handler(&app.templates_get(), http()).await,
        "templates-put" => notifications_templates_put::handler(&app.templates_put(), http()).await,
        "preferences-get" => notifications_preferences_get::handler(&app.preferences_get(), http()).await,
        "preferences-put" => notifications_preferences_put::handler(&app.preferences_put(), http()).await,
        "list" => notifications_list::handler(&app.list(), http()).await,
        "on-event" => {
            let event = LambdaEvent::new(serde_json::from_str(json).expect("an SQS event"), Context::default());
            let r = notifications_on_event::handler(&app.on_event(), event).await.expect("handled");
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

//! Every sample event in events/payments is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use bazaar_testkit::samples;

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

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let response = match samples::function(name) {
        "get" => payments_get::handler(&app.get(), samples::request(json)).await,
        "complete" => payments_complete::handler(&app.complete(), samples::request(json)).await,
        "cancel" => payments_cancel::handler(&app.cancel(), samples::request(json)).await,
        "webhook" => payments_webhook::handler(&app.webhook(), samples::request(json)).await,
        "on-stock" => {
            let event = samples::event(json);
            let r = payments_on_stock::handler(&app.on_stock(), event).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 207);
        }
        "publisher" => {
            let event = samples::event(json);
            let r = payments_publisher::handler(&app.publisher(), event).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 207);
        }
        other => panic!("no handler for sample folder {other}"),
    };
    outcome(name, &response)
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let app = TestApp::spawn().await;
    samples::check("payments", &expectations(), async |name, json| run(&app, name, json).await).await;
}

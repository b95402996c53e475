//! Every sample event in events/orders is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use bazaar_testkit::samples;

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
        ("on-payment/payment-succeeded-for-a-reservation.json", 200),
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

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let response = match samples::function(name) {
        "place" => orders_place::handler(&app.place(), samples::request(json)).await,
        "get" => orders_get::handler(&app.get(), samples::request(json)).await,
        "list" => orders_list::handler(&app.list(), samples::request(json)).await,
        "cancel" => orders_cancel::handler(&app.cancel(), samples::request(json)).await,
        "on-product" => {
            let r = orders_on_product::handler(&app.on_product(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        "on-stock" => {
            let r = orders_on_stock::handler(&app.on_stock(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        "on-payment" => {
            let r = orders_on_payment::handler(&app.on_payment(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        "publisher" => {
            let event = samples::event(json);
            let r = orders_publisher::handler(&app.publisher(), event).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        other => panic!("no handler for sample folder {other}"),
    };
    outcome(name, &response)
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let app = TestApp::spawn().await;
    let expected = expectations();
    let found = samples::load("orders");
    samples::assert_covered(&found, &expected);
    // The valid order sample needs its product in the projection: the projection sample seeds it.
    let (seed_name, seed) = found.iter().find(|(n, _)| n == "on-product/product-changed.json").expect("seed sample");
    assert_eq!(run(&app, seed_name, seed).await, 200);
    samples::assert_outcomes(&found, &expected, async |name, json| run(&app, name, json).await).await;
}

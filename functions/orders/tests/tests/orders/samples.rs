//! Every sample event in events/orders is accepted by its function's handler, with the
//! outcome the sample is named for. The outcomes are events/orders/outcomes.json; a sample without one fails this test.

use bazaar_testkit::samples;

use crate::support::*;

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
    let expected = samples::outcomes("orders");
    let found = samples::load("orders");
    samples::assert_covered(&found, &expected);
    // The valid order sample needs its product in the projection: the projection sample seeds it.
    let (seed_name, seed) = found.iter().find(|(n, _)| n == "on-product/product-changed.json").expect("seed sample");
    assert_eq!(run(&app, seed_name, seed).await, 200);
    samples::assert_outcomes(&found, &expected, async |name, json| run(&app, name, json).await).await;
}

//! Every sample event in events/catalog is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use bazaar_testkit::samples;

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
        ("on-order/payment-failed-for-a-reservation.json", 200),
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

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let response = match samples::function(name) {
        "products-list" => catalog_products_list::handler(&app.list(), samples::request(json)).await,
        "products-get" => catalog_products_get::handler(&app.get(), samples::request(json)).await,
        "products-create" => catalog_products_create::handler(&app.create(), samples::request(json)).await,
        "products-update" => catalog_products_update::handler(&app.update(), samples::request(json)).await,
        "products-delete" => catalog_products_delete::handler(&app.delete(), samples::request(json)).await,
        "stock-put" => catalog_stock_put::handler(&app.stock(), samples::request(json)).await,
        "on-order" => {
            let r = catalog_on_order::handler(&app.on_order(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 207);
        }
        "holds-expire" => {
            let r = catalog_holds_expire::handler(&app.holds_expire(), samples::event(json)).await.expect("handled");
            assert!(r["released"].is_u64(), "{r}");
            return 200;
        }
        "publisher" => {
            let r = catalog_publisher::handler(&app.publisher(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 207);
        }
        other => panic!("no handler for sample folder {other}"),
    };
    outcome(name, &response)
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let app = TestApp::spawn().await;
    samples::check("catalog", &expectations(), async |name, json| run(&app, name, json).await).await;
}

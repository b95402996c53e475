//! Every sample event in events/catalog is accepted by its function's handler, with the
//! outcome the sample is named for. The outcomes are events/catalog/outcomes.json; a sample without one fails this test.

use bazaar_testkit::samples;

use crate::support::*;

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
    samples::check("catalog", async |name, json| run(&app, name, json).await).await;
}

//! Every sample event in events/reports is accepted by its function's handler, with the
//! outcome the sample is named for. The outcomes are events/reports/outcomes.json; a sample without one fails this test.

use bazaar_testkit::samples;
use reports_rebuild::RebuildError;

use crate::support::*;

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let response = match samples::function(name) {
        "sales" => reports_sales::handler(&app.sales_deps(), samples::request(json)).await,
        "bookings" => reports_bookings::handler(&app.bookings_deps(), samples::request(json)).await,
        "on-event" => {
            let r = reports_on_event::handler(&app.on_event(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        "rebuild" => {
            return match reports_rebuild::handler(&app.rebuild_deps(), samples::event(json)).await {
                Ok(_) => 200,
                Err(e) if matches!(e.downcast_ref::<RebuildError>(), Some(RebuildError::Invalid(_))) => 400,
                Err(_) => 500,
            };
        }
        other => panic!("no handler for sample folder {other}"),
    };
    outcome(name, &response)
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let mut app = TestApp::spawn().await;
    app.bus().await;
    samples::check("reports", async |name, json| run(&app, name, json).await).await;
}

//! Every sample event in events/reports is accepted by its function's handler, with the
//! outcome events/reports/outcomes.json names for it; a sample without one fails this test.
//! (The reports tests build their table by hand, so the functions are called here directly;
//! a rebuild refused as invalid is a 400.)

use bazaar_testkit::samples;
use reports_rebuild::RebuildError;

use crate::support::*;

async fn run(app: &TestApp, binary: &str, json: &str) -> u16 {
    let response = match binary {
        "reports-sales" => reports_sales::handler(&app.sales_deps(), samples::request(json)).await,
        "reports-bookings" => reports_bookings::handler(&app.bookings_deps(), samples::request(json)).await,
        "reports-on-event" => {
            let r = reports_on_event::handler(&app.on_event(), samples::event(json)).await.expect("handled");
            return if r.batch_item_failures.is_empty() { 200 } else { 207 };
        }
        "reports-rebuild" => {
            return match reports_rebuild::handler(&app.rebuild_deps(), samples::event(json)).await {
                Ok(_) => 200,
                Err(e) if matches!(e.downcast_ref::<RebuildError>(), Some(RebuildError::Invalid(_))) => 400,
                Err(_) => 500,
            };
        }
        other => panic!("no handler for {other}"),
    };
    outcome(binary, &response)
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let mut app = TestApp::spawn().await;
    app.bus().await;
    samples::check("reports", async |binary, json| run(&app, binary, json).await).await;
}

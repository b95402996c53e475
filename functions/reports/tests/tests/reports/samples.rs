//! Every sample event in events/reports is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use bazaar_testkit::samples;
use reports_rebuild::RebuildError;

use crate::support::*;

/// `<function>/<case>.json` → expected status (on-event: 200 = no failed message, 500 =
/// some failed; rebuild: 200 = rebuilt, 400 = refused payload, 500 = failed).
fn expectations() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("bookings/by-resource.json", 200),
        ("bookings/span-too-long.json", 422),
        ("on-event/ignored-order-placed.json", 200),
        ("on-event/order-paid.json", 200),
        ("on-event/payment-refunded.json", 200),
        ("on-event/poison.json", 500),
        ("on-event/reservation-cancelled.json", 200),
        ("rebuild/bad-payload.json", 400),
        ("rebuild/period.json", 200),
        ("sales/admin-month.json", 200),
        ("sales/customer-forbidden.json", 403),
        ("sales/missing-from.json", 400),
        ("sales/owner-own.json", 200),
        ("sales/reversed-period.json", 422),
    ])
}

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
    samples::check("reports", &expectations(), async |name, json| run(&app, name, json).await).await;
}

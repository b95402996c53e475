//! Every sample event in events/notifications is accepted by its function's handler, with
//! the outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use bazaar_testkit::samples;

use crate::support::*;

/// `<function>/<case>.json` → expected HTTP status (on-event: 200 = no failed message,
/// 207 = some messages reported failed).
fn expectations() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("list/customer.json", 200),
        ("list/tampered-cursor.json", 400),
        ("on-event/cancellation-settled-order-refunded.json", 200),
        ("on-event/order-paid.json", 200),
        ("on-event/password-reset-requested.json", 200),
        ("on-event/poison-body.json", 207),
        ("on-event/cancellation-settled-reservation-refunded.json", 200),
        ("on-event/reservation-confirmed.json", 200),
        ("on-event/reservation-reminder-due.json", 200),
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

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let response = match samples::function(name) {
        "templates-get" => notifications_templates_get::handler(&app.templates_get(), samples::request(json)).await,
        "templates-put" => notifications_templates_put::handler(&app.templates_put(), samples::request(json)).await,
        "preferences-get" => {
            notifications_preferences_get::handler(&app.preferences_get(), samples::request(json)).await
        }
        "preferences-put" => {
            notifications_preferences_put::handler(&app.preferences_put(), samples::request(json)).await
        }
        "list" => notifications_list::handler(&app.list(), samples::request(json)).await,
        "on-event" => {
            let event = samples::event(json);
            let r = notifications_on_event::handler(&app.on_event(), event).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 207);
        }
        other => panic!("no handler for sample folder {other}"),
    };
    outcome(name, &response)
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let app = TestApp::spawn().await;
    samples::check("notifications", &expectations(), async |name, json| run(&app, name, json).await).await;
}

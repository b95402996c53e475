//! Every sample event in events/notifications is accepted by its function's handler, with
//! the outcome the sample is named for. The outcomes are events/notifications/outcomes.json; a sample without one fails this test.

use bazaar_testkit::samples;

use crate::support::*;

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
    samples::check("notifications", async |name, json| run(&app, name, json).await).await;
}

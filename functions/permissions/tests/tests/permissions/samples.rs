//! Every sample event in events/permissions is accepted by its function's handler, with the
//! outcome the sample is named for. The outcomes are events/permissions/outcomes.json; a sample without one fails this test.
//!
//! Samples run in name order against one fresh table, and some build on earlier ones: the
//! on-user samples record the users the user-roles samples address, and roles-create/valid
//! creates the role roles-delete/valid deletes.

use bazaar_testkit::samples;

use crate::support::*;

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let response = match samples::function(name) {
        "roles-list" => permissions_roles_list::handler(&app.roles_list(), samples::request(json)).await,
        "roles-create" => permissions_roles_create::handler(&app.roles_create(), samples::request(json)).await,
        "roles-update" => permissions_roles_update::handler(&app.roles_update(), samples::request(json)).await,
        "roles-delete" => permissions_roles_delete::handler(&app.roles_delete(), samples::request(json)).await,
        "user-roles-get" => permissions_user_roles_get::handler(&app.user_roles_get(), samples::request(json)).await,
        "user-roles-put" => permissions_user_roles_put::handler(&app.user_roles_put(), samples::request(json)).await,
        "user-roles-delete" => {
            permissions_user_roles_delete::handler(&app.user_roles_delete(), samples::request(json)).await
        }
        "on-user" => {
            let r = permissions_on_user::handler(&app.on_user(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        "publisher" => {
            let r = permissions_publisher::handler(&app.publisher(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        other => panic!("no handler for sample folder {other}"),
    };
    outcome(name, &response)
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let app = TestApp::spawn().await;
    samples::check("permissions", async |name, json| run(&app, name, json).await).await;
}

//! Every sample event in events/permissions is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.
//!
//! Samples run in name order against one fresh table, and some build on earlier ones: the
//! on-user samples record the users the user-roles samples address, and roles-create/valid
//! creates the role roles-delete/valid deletes.

use std::collections::BTreeMap;

use bazaar_testkit::samples;

use crate::support::*;

/// `<function>/<case>.json` → expected HTTP status (consumer and publisher: 200 = no failed
/// message or record, 500 = some failed).
fn expectations() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("on-user/admin-registered.json", 200),
        ("on-user/poison.json", 500),
        ("on-user/user-registered.json", 200),
        ("publisher/outbox-insert.json", 200),
        ("roles-create/built-in-name.json", 409),
        ("roles-create/unknown-permission.json", 422),
        ("roles-create/valid.json", 201),
        ("roles-delete/built-in.json", 409),
        ("roles-delete/unknown-role.json", 404),
        ("roles-delete/valid.json", 204),
        ("roles-list/as-admin.json", 200),
        ("roles-list/as-customer.json", 403),
        ("roles-update/admin-without-roles-manage.json", 422),
        ("roles-update/unknown-role.json", 404),
        ("roles-update/valid.json", 200),
        ("user-roles-delete/last-admin.json", 409),
        ("user-roles-delete/not-held.json", 404),
        ("user-roles-delete/valid.json", 200),
        ("user-roles-get/known-user.json", 200),
        ("user-roles-get/no-identity.json", 401),
        ("user-roles-get/unknown-user.json", 404),
        ("user-roles-put/unknown-role.json", 404),
        ("user-roles-put/valid.json", 200),
    ])
}

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
    samples::check("permissions", &expectations(), async |name, json| run(&app, name, json).await).await;
}

//! Every sample event in events/auth is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use bazaar_testkit::samples;

use crate::support::*;

/// `<function>/<case>.json` → expected HTTP status (authorizer: 200 = authorized, 401 =
/// "Unauthorized"; publisher: 200 = no failed record).
fn expectations() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("authorizer/alg-none.json", 401),
        ("authorizer/garbage-token.json", 401),
        ("authorizer/no-token.json", 401),
        ("health/get.json", 200),
        ("jwks/get.json", 200),
        ("login/missing-password.json", 400),
        ("login/unknown-account.json", 401),
        ("logout/unknown-token.json", 204),
        ("me/customer.json", 404),
        ("me/no-identity.json", 401),
        ("on-roles/role-changed.json", 200),
        ("on-roles/user-roles-changed.json", 200),
        ("openid-configuration/get.json", 200),
        ("password-forgot/invalid-email.json", 422),
        ("password-forgot/unknown-email.json", 202),
        ("password-reset/invalid-token.json", 400),
        ("publisher/outbox-insert.json", 200),
        ("refresh/no-body.json", 415),
        ("refresh/unknown-token.json", 401),
        ("register/malformed-json.json", 400),
        ("register/role-in-body.json", 400),
        ("register/valid.json", 201),
        ("register/weak-password.json", 422),
        ("users-get/as-admin-unknown-user.json", 404),
        ("users-get/as-customer.json", 403),
    ])
}

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let response = match samples::function(name) {
        "register" => auth_register::handler(&app.register(), samples::request(json)).await,
        "login" => auth_login::handler(&app.login(), samples::request(json)).await,
        "refresh" => auth_refresh::handler(&app.refresh(), samples::request(json)).await,
        "logout" => auth_logout::handler(&app.logout(), samples::request(json)).await,
        "me" => auth_me::handler(&app.me(), samples::request(json)).await,
        "users-get" => auth_users_get::handler(&app.users_get(), samples::request(json)).await,
        "password-forgot" => auth_password_forgot::handler(&app.forgot(), samples::request(json)).await,
        "password-reset" => auth_password_reset::handler(&app.reset(), samples::request(json)).await,
        "jwks" => auth_jwks::handler(&app.jwks(), samples::request(json)).await,
        "openid-configuration" => {
            let deps = auth_openid_configuration::Deps { issuer: ISSUER.into() };
            auth_openid_configuration::handler(&deps, samples::request(json)).await
        }
        "health" => auth_health::handler(&auth_health::Deps, samples::request(json)).await,
        "authorizer" => {
            let event = samples::event(json);
            return match auth_authorizer::handler(&app.authorizer(), event).await {
                Ok(r) if r.is_authorized => 200,
                Ok(_) => 403,
                Err(d) if d.error_message == "Unauthorized" => 401,
                Err(_) => 500,
            };
        }
        "on-roles" => {
            let r = auth_on_roles::handler(&app.on_roles(), samples::event(json)).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        "publisher" => {
            let event = samples::event(json);
            let r = auth_publisher::handler(&app.publisher(&app.bus), event).await.expect("handled");
            return samples::batch_outcome(r.batch_item_failures.len(), 500);
        }
        other => panic!("no handler for sample folder {other}"),
    };
    outcome(name, &response)
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let app = TestApp::spawn().await;
    samples::check("auth", &expectations(), async |name, json| run(&app, name, json).await).await;
}

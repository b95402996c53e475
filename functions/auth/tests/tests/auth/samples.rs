//! Every sample event in events/auth is accepted by its function's handler, with the
//! outcome the sample is named for. The outcomes are events/auth/outcomes.json; a sample without one fails this test.

use bazaar_testkit::samples;

use crate::support::*;

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
    samples::check("auth", async |name, json| run(&app, name, json).await).await;
}

//! Every sample event in events/auth is accepted by its function's handler, with the
//! outcome the sample is named for. A new sample without an expectation fails this test.

use std::collections::BTreeMap;

use lambda_runtime::{Context, LambdaEvent};

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

fn samples() -> Vec<(String, String)> {
    let root = bazaar_testkit::workspace_root().join("events/auth");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).expect("events/auth").flatten() {
        for file in std::fs::read_dir(dir.path()).expect("function dir").flatten() {
            let name = format!("{}/{}", dir.file_name().to_string_lossy(), file.file_name().to_string_lossy());
            found.push((name, std::fs::read_to_string(file.path()).expect("sample")));
        }
    }
    found.sort();
    found
}

async fn run(app: &TestApp, name: &str, json: &str) -> u16 {
    let function = name.split('/').next().unwrap_or_default();
    let http = || lambda_http::request::from_str(json).expect("an API Gateway v2 event");
    let response = match function {
        "register" => auth_register::handler(&app.register(), http()).await,
        "login" => auth_login::handler(&app.login(), http()).await,
        "refresh" => auth_refresh::handler(&app.refresh(), http()).await,
        "logout" => auth_logout::handler(&app.logout(), http()).await,
        "me" => auth_me::handler(&app.me(), http()).await,
        "users-get" => auth_users_get::handler(&app.users_get(), http()).await,
        "password-forgot" => auth_password_forgot::handler(&app.forgot(), http()).await,
        "password-reset" => auth_password_reset::handler(&app.reset(), http()).await,
        "jwks" => auth_jwks::handler(&app.jwks(), http()).await,
        "openid-configuration" => {
            let deps = auth_openid_configuration::Deps { issuer: ISSUER.into() };
            auth_openid_configuration::handler(&deps, http()).await
        }
        "health" => auth_health::handler(&auth_health::Deps, http()).await,
        "authorizer" => {
            let event = LambdaEvent::new(serde_json::from_str(json).expect("authorizer event"), Context::default());
            return match auth_authorizer::handler(&app.authorizer(), event).await {
                Ok(r) if r.is_authorized => 200,
                Ok(_) => 403,
                Err(d) if d.error_message == "Unauthorized" => 401,
                Err(_) => 500,
            };
        }
        "publisher" => {
            let event = LambdaEvent::new(serde_json::from_str(json).expect("stream event"), Context::default());
            let r = auth_publisher::handler(&app.publisher(&app.bus), event).await.expect("handled");
            return if r.batch_item_failures.is_empty() { 200 } else { 500 };
        }
        other => panic!("no handler for sample folder {other}"),
    };
    if response.status().is_client_error() {
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{name}");
    }
    response.status().as_u16()
}

#[tokio::test]
async fn every_sample_event_gets_the_outcome_it_is_named_for() {
    let app = TestApp::spawn().await;
    let expected = expectations();
    let found = samples();
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, expected.keys().copied().collect::<Vec<_>>(), "samples and expectations differ");
    for (name, json) in &found {
        assert_eq!(run(&app, name, json).await, expected[name.as_str()], "{name}");
    }
}

//! `POST /auth/logout`: ends the session of a refresh token (all its rotations).

use auth_core::settings;
use auth_core::{AuthStore, flows};
use bazaar_runtime::http::{self, no_content, respond};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub struct Deps {
    pub store: AuthStore,
}

impl Deps {
    pub async fn from_env() -> anyhow::Result<Deps> {
        let config = bazaar_runtime::sdk_config().await;
        Ok(Deps { store: AuthStore::new(aws_sdk_dynamodb::Client::new(&config), settings::table_from_env()?) })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogoutRequest {
    refresh_token: String,
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let body: LogoutRequest = http::json_body(&req)?;
        flows::logout(&deps.store, &body.refresh_token).await?;
        no_content()
    })
    .await
}

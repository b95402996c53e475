//! `POST /auth/refresh`: rotates a refresh token into a new token pair; reuse of a rotated
//! token revokes the whole session.

use auth_core::keys::SigningKeySource;
use auth_core::settings::TokenSettings;
use auth_core::{AuthStore, flows};
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub struct Deps {
    pub store: AuthStore,
    pub keys: SigningKeySource,
    pub tokens: TokenSettings,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: AuthStore::from_env(config, env)?,
            keys: SigningKeySource::from_env(config, env)?,
            tokens: TokenSettings::from_env(env)?,
        })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let body: RefreshRequest = http::json_body(&req)?;
        let signer = deps.keys.signer().await?;
        let pair = flows::refresh(&deps.store, &signer, &deps.tokens, &body.refresh_token).await?;
        json(StatusCode::OK, &pair)
    })
    .await
}

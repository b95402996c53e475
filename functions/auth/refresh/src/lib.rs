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
}

/// `POST /auth/refresh` body.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    /// The `refresh_token` of the last login or refresh.
    refresh_token: String,
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/auth/refresh", "refreshToken", "Refresh the tokens")
        .public()
        .describe(
            "Anyone holding a refresh token may call it: the token is rotated out for a new pair whose \
             access token carries the account's current roles and permissions. An unknown, expired or \
             revoked token is a 401; presenting an already rotated token again revokes the whole session. \
             503 while the signing key cannot be read.",
        )
        .json_body::<RefreshRequest>("The refresh token to rotate.")
        .returns::<flows::TokenPair>(200, "The new access and refresh tokens.")
        .link("refresh", with_the_refresh_token("refreshToken"))
        .link("logout", with_the_refresh_token("logout"))
        .problems(&[401, 503])
}

/// A link to `target` whose body is the answer's refresh token.
fn with_the_refresh_token(target: &'static str) -> bazaar_openapi::Link {
    bazaar_openapi::Link::to(target).body(bazaar_openapi::json!({ "refresh_token": "$response.body#/refresh_token" }))
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

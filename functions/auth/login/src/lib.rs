//! `POST /auth/login`: email + password → an RS256 access token and a refresh token.

use auth_core::keys::SigningKeySource;
use auth_core::settings::{RateLimits, TokenSettings};
use auth_core::{AuthStore, flows};
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub struct Deps {
    pub store: AuthStore,
    pub keys: SigningKeySource,
    pub tokens: TokenSettings,
    pub limits: RateLimits,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: AuthStore::from_env(config, env)?,
            keys: SigningKeySource::from_env(config, env)?,
            tokens: TokenSettings::from_env(env)?,
            limits: RateLimits::from_env(env)?,
        })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/auth/login", "login", "Sign in")
        .public()
        .describe(
            "Exchanges an email and password for an RS256 access token and a refresh token (a new \
             session). A wrong email or password is one and the same 401. Throttled per client IP and, \
             after repeated failures, per account (429); 503 while the signing key cannot be read.",
        )
        .json_body::<flows::LoginRequest>("The account's credentials.")
        .returns::<flows::TokenPair>(200, "The access and refresh tokens.")
        .link("refresh", with_the_refresh_token("refreshToken"))
        .link("logout", with_the_refresh_token("logout"))
        .problems(&[401, 503])
}

/// A link to `target` whose body is the answer's refresh token.
fn with_the_refresh_token(target: &'static str) -> bazaar_openapi::Link {
    bazaar_openapi::Link::to(target).body(bazaar_openapi::json!({ "refresh_token": "$response.body#/refresh_token" }))
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        // A malformed body costs no AWS call: it is refused before the rate limit is counted.
        let body = http::json_body(&req)?;
        flows::throttle_ip(&deps.store, &deps.limits, &cx.source_ip).await?;
        let signer = deps.keys.signer().await?;
        let pair = flows::login(&deps.store, &signer, &deps.tokens, &deps.limits, body).await?;
        json(StatusCode::OK, &pair)
    })
    .await
}

//! `POST /auth/password/forgot`: starts a reset (`PasswordResetRequested`) when the account
//! exists, and answers 202 either way so accounts cannot be probed.

use auth_core::settings::{RateLimits, ResetSettings};
use auth_core::{AuthStore, flows};
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub struct Deps {
    pub store: AuthStore,
    pub limits: RateLimits,
    pub reset: ResetSettings,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: AuthStore::from_env(config, env)?,
            limits: RateLimits::from_env(env)?,
            reset: ResetSettings::from_env(env)?,
        })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgotRequest {
    email: String,
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        flows::throttle_ip(&deps.store, &deps.limits, &cx.source_ip).await?;
        let body: ForgotRequest = http::json_body(&req)?;
        flows::forgot_password(&deps.store, &deps.reset, &body.email, cx.correlation_id.as_str()).await?;
        json(
            StatusCode::ACCEPTED,
            &serde_json::json!({ "status": "accepted", "detail": "if the account exists, a reset link is on its way" }),
        )
    })
    .await
}

//! `POST /auth/password/forgot`: starts a reset (`PasswordResetRequested`) when the account
//! exists, and answers 202 either way so accounts cannot be probed.

use auth_core::settings::{RateLimits, ResetSettings};
use auth_core::{AuthStore, Email, flows};
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

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
}

/// `POST /auth/password/forgot` body.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ForgotPasswordRequest")]
struct ForgotRequest {
    /// The account's email address.
    #[schemars(length(max = Email::MAX_LEN), pattern(Email::pattern()))]
    email: String,
}

/// The answer, the same whether the account exists or not.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "PasswordResetAccepted")]
struct Accepted {
    /// Always the same sentence.
    detail: &'static str,
    /// Always `accepted`.
    status: &'static str,
}

impl Accepted {
    const ANSWER: Accepted =
        Accepted { detail: "if the account exists, a reset link is on its way", status: "accepted" };
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/auth/password/forgot", "forgotPassword", "Request a password reset")
        .public()
        .describe(
            "Anyone may call it: when an account has this email, emits `PasswordResetRequested` (the \
             notifications service mails the single-use reset link; the event names the reset by id and \
             never carries the link). Answers 202 either way, so accounts cannot be probed; an invalid \
             email is a 422. Throttled per client IP, and capped per email address and day \
             (`PasswordResetsPerEmailPerDay`) whether or not the account exists (429).",
        )
        .json_body::<ForgotRequest>("The account's email.")
        .returns::<Accepted>(202, "Accepted; a reset link is sent if the account exists.")
        .problems(&[422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        // A malformed body costs no AWS call: it is refused before the rate limit is counted.
        let body: ForgotRequest = http::json_body(&req)?;
        flows::throttle_ip(&deps.store, &deps.limits, &cx.source_ip).await?;
        flows::forgot_password(&deps.store, &deps.reset, &body.email, cx.correlation_id.as_str()).await?;
        json(StatusCode::ACCEPTED, &Accepted::ANSWER)
    })
    .await
}

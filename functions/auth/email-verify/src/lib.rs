//! `POST /auth/email/verify`: marks an account's address verified with the token of the link
//! its verification email carries, and emits `EmailVerified` in the same transaction.

use auth_core::AuthStore;
use auth_core::verification::{self, VerificationView};
use bazaar_aws::ssm::LinkSecret;
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub struct Deps {
    pub store: AuthStore,
    /// Opens the verification link's token.
    pub links: LinkSecret,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: AuthStore::from_env(config, env)?, links: LinkSecret::from_env(config, env)? })
    }
}

/// `POST /auth/email/verify` body.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "VerifyEmailRequest")]
struct VerifyRequest {
    /// The token of the verification link (its `token` query parameter).
    token: String,
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/auth/email/verify", "verifyEmail", "Verify an email address")
        .public()
        .describe(
            "Anyone holding a verification token (from the link of the welcome email, or of `POST \
             /auth/email/verification`) may call it: marks the account's address verified and emits \
             `EmailVerified`. Verifying an address verified already answers the same. A tampered, unknown or \
             expired token, or one sent to an address the account no longer has, is a 400; 503 while the \
             link key cannot be read.",
        )
        .json_body::<VerifyRequest>("The verification token.")
        .returns::<VerificationView>(200, "The address is verified.")
        .problems(&[503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let body: VerifyRequest = http::json_body(&req)?;
        let key = deps.links.key().await?;
        let verified = verification::verify_email(&deps.store, &key, &body.token, cx.correlation_id.as_str()).await?;
        json(StatusCode::OK, &verified)
    })
    .await
}

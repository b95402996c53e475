//! `POST /auth/password/reset`: sets a new password with a single-use reset token and ends
//! every session of the account.

use auth_core::model::NewPassword;
use auth_core::{AuthStore, flows};
use bazaar_aws::ssm::LinkSecret;
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, no_content, respond};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub struct Deps {
    pub store: AuthStore,
    /// Opens the reset link's token.
    pub links: LinkSecret,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: AuthStore::from_env(config, env)?, links: LinkSecret::from_env(config, env)? })
    }
}

/// `POST /auth/password/reset` body.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ResetPasswordRequest")]
struct ResetRequest {
    /// The single-use token of the reset link.
    token: String,
    /// The new password: 12 to 128 characters, with at least one letter and one digit, not
    /// containing the email's local part.
    #[schemars(length(min = NewPassword::MIN_LEN, max = NewPassword::MAX_LEN), pattern(NewPassword::PATTERN))]
    password: String,
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/auth/password/reset", "resetPassword", "Reset a password")
        .public()
        .describe(
            "Anyone holding a reset token (from the link `POST /auth/password/forgot` sends) may call it: \
             sets the new password, ends every session of the account and consumes every reset link of \
             the account. An unknown, tampered, used, superseded or expired token is a 400; a password \
             outside the policy a 422; 503 while the link key cannot be read.",
        )
        .json_body::<ResetRequest>("The reset token and the new password.")
        .returns_empty(204, "The password is changed; sign in again.")
        .problems(&[422, 503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let body: ResetRequest = http::json_body(&req)?;
        let key = deps.links.key().await?;
        flows::reset_password(&deps.store, &key, &body.token, &body.password).await?;
        no_content()
    })
    .await
}

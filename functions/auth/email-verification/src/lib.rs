//! `POST /auth/email/verification`: mails the signed-in user a new link that verifies their
//! address (`EmailVerificationRequested`), a few times a day at most.

use auth_core::settings::VerificationSettings;
use auth_core::{AuthStore, verification};
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

pub struct Deps {
    pub store: AuthStore,
    pub settings: VerificationSettings,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: AuthStore::from_env(config, env)?, settings: VerificationSettings::from_env(env)? })
    }
}

/// The answer: a link is on its way.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "EmailVerificationAccepted")]
struct Accepted {
    /// Always the same sentence.
    detail: &'static str,
    /// Always `accepted`.
    status: &'static str,
}

impl Accepted {
    const ANSWER: Accepted = Accepted { detail: "a verification link is on its way", status: "accepted" };
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post(
        "/auth/email/verification",
        "requestEmailVerification",
        "Ask for a new email verification link",
    )
    .access(bazaar_openapi::Access::SignedIn("their own address"))
    .describe(
        "Any signed-in user, for their own address: emits `EmailVerificationRequested` (the notifications \
         service mails a new verification link). An address verified already is a 409; more than \
         `EmailVerificationsPerUserPerDay` requests a day a 429; 404 when the account no longer exists.",
    )
    .returns::<Accepted>(202, "Accepted; the link is on its way.")
    .problems(&[404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        verification::request_verification(&deps.store, &deps.settings, &identity.sub, cx.correlation_id.as_str())
            .await?;
        json(StatusCode::ACCEPTED, &Accepted::ANSWER)
    })
    .await
}

//! `POST /notifications/preferences/phone/verify`: the caller confirms their phone number
//! with the code texted to it; SMS go to it from then on.

use bazaar_runtime::Problem;
use bazaar_runtime::http::{json, json_body, respond};
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::Preferences;
use notifications_core::phone::{CODE_PATTERN, Code, MAX_ATTEMPTS};
use serde::Deserialize;

pub use notifications_core::TableDeps as Deps;

/// The body of `POST /notifications/preferences/phone/verify`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PhoneVerificationInput")]
struct VerifyPhone {
    /// The 6-digit code texted to the number.
    #[schemars(length(min = 6, max = 6), pattern(CODE_PATTERN))]
    code: String,
}

impl std::fmt::Debug for VerifyPhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyPhone { .. }")
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post(
        "/notifications/preferences/phone/verify",
        "verifyPhone",
        "Verify the caller's phone number",
    )
    .access(bazaar_openapi::Access::SignedIn("their own phone number"))
    .describe(
        "Any signed-in user, for themselves: takes the 6-digit code `PUT /notifications/preferences` texted \
         to their number and marks the number verified (`phone_verified: true`); SMS go to it from then on. \
         A code that is not 6 digits, or not the one sent, is a 422; no code waiting (none sent, expired or \
         used) is a 400; after 5 wrong attempts the code is dead (429): store the number again for a new \
         one. The number changed since the code was sent: 409.",
    )
    .json_body::<VerifyPhone>("The code.")
    .returns::<Preferences>(200, "The preferences, the number verified.")
    .problems(&[400, 409, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let body: VerifyPhone = json_body(&req)?;
        let code = Code::parse(&body.code).map_err(|m| Problem::invalid_field("code", m))?;
        let now = Utc::now().timestamp();
        let pending = deps.store.pending_code(&identity.sub).await?;
        let Some(pending) = pending.filter(|p| p.expires_at > now) else {
            return Err(Problem::bad_request("no code is waiting: store your phone number again for a new one").into());
        };
        // Counted before it is compared: concurrent guesses share the attempts.
        if !deps.store.count_code_attempt(&identity.sub, &pending).await? {
            let detail = format!("{MAX_ATTEMPTS} wrong codes: store your phone number again for a new one");
            return Err(Problem::too_many_requests((pending.expires_at - now).max(1) as u64)
                .with_detail(detail)
                .into());
        }
        if !pending.matches(&code) {
            return Err(Problem::invalid_field("code", "is not the code sent to your number").into());
        }
        if !deps.store.verify_phone(&identity.sub, &pending).await? {
            return Err(Problem::conflict("your phone number changed since the code was sent").into());
        }
        tracing::info!("phone number verified");
        json(StatusCode::OK, &deps.store.preferences(&identity.sub).await?)
    })
    .await
}

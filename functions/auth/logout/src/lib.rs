//! `POST /auth/logout`: ends the session of a refresh token (all its rotations).

use auth_core::flows;
use bazaar_runtime::http::{self, no_content, respond};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub use auth_core::store::TableDeps as Deps;

/// `POST /auth/logout` body.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LogoutRequest {
    /// Any refresh token of the session.
    refresh_token: String,
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/auth/logout", "logout", "Sign out")
        .public()
        .describe(
            "Anyone holding a refresh token may call it: ends the token's session (every rotation of \
             it). Idempotent: an unknown or already revoked token is a 204 too.",
        )
        .json_body::<LogoutRequest>("The refresh token of the session to end.")
        .returns_empty(204, "The session is over.")
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let body: LogoutRequest = http::json_body(&req)?;
        flows::logout(&deps.store, &body.refresh_token).await?;
        no_content()
    })
    .await
}

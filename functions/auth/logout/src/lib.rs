//! `POST /auth/logout`: ends the session of a refresh token (all its rotations).

use auth_core::flows;
use bazaar_runtime::http::{self, no_content, respond};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub use auth_core::store::TableDeps as Deps;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogoutRequest {
    refresh_token: String,
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let body: LogoutRequest = http::json_body(&req)?;
        flows::logout(&deps.store, &body.refresh_token).await?;
        no_content()
    })
    .await
}

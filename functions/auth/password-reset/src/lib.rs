//! `POST /auth/password/reset`: sets a new password with a single-use reset token and ends
//! every session of the account.

use auth_core::flows;
use bazaar_runtime::http::{self, no_content, respond};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub use auth_core::store::TableDeps as Deps;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    token: String,
    password: String,
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let body: ResetRequest = http::json_body(&req)?;
        flows::reset_password(&deps.store, &body.token, &body.password).await?;
        no_content()
    })
    .await
}

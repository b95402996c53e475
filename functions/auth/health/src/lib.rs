//! `GET /health`: liveness of the API (no dependency is called).

use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Needs nothing built at init: health calls no AWS service.
pub use bazaar_runtime::NoDeps as Deps;

/// The answer: always up, and which build.
#[derive(Serialize, schemars::JsonSchema)]
struct Health {
    /// Always `ok`.
    status: &'static str,
    /// The deployed version.
    version: &'static str,
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/health", "health", "Liveness")
        .public()
        .describe("Anyone may call it: answers 200 while the API is up; no dependency is checked.")
        .returns::<Health>(200, "Up, with the deployed version.")
}

pub async fn handler(_deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |_req, _cx| async move {
        json(StatusCode::OK, &Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
    })
    .await
}

//! `GET /health`: liveness of the API (no dependency is called).

use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub struct Deps;

impl Deps {
    pub async fn from_env() -> anyhow::Result<Deps> {
        Ok(Deps)
    }
}

pub async fn handler(_deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |_req, _cx| async move {
        json(StatusCode::OK, &serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
    })
    .await
}

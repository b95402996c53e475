//! `PATCH /products/{id}` (`catalog:write`): partial update of name, description, category
//! and price; emits `ProductChanged` with the next version.

use bazaar_runtime::http::{self, json, respond};
use catalog_core::flows;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const PERMISSION: &str = "catalog:write";

pub use catalog_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require(PERMISSION)?;
        let id = http::path_param(&req, "id")?;
        let body = http::json_body(&req)?;
        json(StatusCode::OK, &flows::update(&deps.store, &id, body, cx.correlation_id.as_str()).await?)
    })
    .await
}

//! `PATCH /products/{id}` (its owner with `catalog:write`, or `catalog:write_all`): partial
//! update of name, description, category and price; emits `ProductChanged` with the next
//! version. Another owner's product is 403.

use bazaar_runtime::http::{self, json, respond};
use catalog_core::flows;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use catalog_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        flows::require_writer(&identity)?;
        let id = http::path_param(&req, "id")?;
        let body = http::json_body(&req)?;
        json(StatusCode::OK, &flows::update(&deps.store, &id, body, &identity, cx.correlation_id.as_str()).await?)
    })
    .await
}

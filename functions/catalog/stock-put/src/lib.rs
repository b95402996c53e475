//! `PUT /products/{id}/stock` (`catalog:write`): sets the units available, `{"quantity": n}`.

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
        json(StatusCode::OK, &flows::set_stock(&deps.store, &id, body).await?)
    })
    .await
}

//! `GET /products/{id}` (public): an active product; unknown or deleted ones are 404.

use bazaar_runtime::http::{self, json, respond};
use catalog_core::flows;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use catalog_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let id = http::path_param(&req, "id")?;
        json(StatusCode::OK, &flows::get(&deps.store, &id).await?)
    })
    .await
}

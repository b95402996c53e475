//! `GET /products/{id}` (public): an active product; unknown or deleted ones are 404.

use bazaar_runtime::http::{self, json, respond};
use catalog_core::flows;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use catalog_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/products/{id}", "getProduct", "Get a product")
        .public()
        .describe("Public. An active product; unknown and deleted ones are a 404.")
        .path_param("id", "The product id.")
        .returns::<catalog_core::Product>(200, "The product.")
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let id = http::path_param(&req, "id")?;
        json(StatusCode::OK, &flows::get(&deps.store, &id).await?)
    })
    .await
}

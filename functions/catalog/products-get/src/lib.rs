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
        .link("update", bazaar_openapi::Link::to("updateProduct").param("id", "$response.body#/id"))
        .link("stock", bazaar_openapi::Link::to("putStock").param("id", "$response.body#/id"))
        .link(
            "order",
            bazaar_openapi::Link::to("placeOrder")
                .body(bazaar_openapi::json!({ "lines": [{ "product_id": "$response.body#/id", "quantity": 1 }] })),
        )
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let id = http::path_param(&req, "id")?;
        json(StatusCode::OK, &flows::get(&deps.store, &id).await?)
    })
    .await
}

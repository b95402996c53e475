//! `PATCH /products/{id}` (its owner with `catalog:write`, or `catalog:write_all`): partial
//! update of name, description, category and price; emits `ProductChanged` with the next
//! version. Another owner's product is 403.

use bazaar_runtime::http::{self, json, respond};
use catalog_core::flows;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use catalog_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::patch("/products/{id}", "updateProduct", "Update a product")
        .access(bazaar_openapi::Access::Resource("the product", catalog_core::flows::EDIT))
        .describe(
            "Its owner with `catalog:write`, or a holder of `catalog:write_all`; another owner's product is a \
             403. Changes the fields sent (at least one of name, description, category, price; stock has its \
             own route) and emits `ProductChanged` with the next version. A 409 means the product changed \
             meanwhile: read it again and retry.",
        )
        .path_param("id", "The product id.")
        .json_body::<catalog_core::model::PatchBody>("The fields to change; `\"description\": null` clears it.")
        .returns::<catalog_core::Product>(200, "The product as changed.")
        .link("product", bazaar_openapi::Link::to("getProduct").param("id", "$response.body#/id"))
        .problems(&[404, 409, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = flows::writer(cx.identity(&req)?)?;
        let id = http::path_param(&req, "id")?;
        let body = http::json_body(&req)?;
        json(StatusCode::OK, &flows::update(&deps.store, &id, body, &identity, cx.correlation_id.as_str()).await?)
    })
    .await
}

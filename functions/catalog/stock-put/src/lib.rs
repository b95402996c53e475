//! `PUT /products/{id}/stock` (its owner with `catalog:write`, or `catalog:write_all`): sets
//! the units available, `{"quantity": n}`. Another owner's product is 403.

use bazaar_runtime::http::{self, json, respond};
use catalog_core::flows;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use catalog_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::put("/products/{id}/stock", "putStock", "Set a product's stock")
        .access(bazaar_openapi::Access::Resource("the product", catalog_core::flows::EDIT))
        .describe(
            "Its owner with `catalog:write`, or a holder of `catalog:write_all`; another owner's product is a \
             403. Sets the units available to order (held units are not included). Emits no event: stock is \
             not part of the product's version.",
        )
        .path_param("id", "The product id.")
        .json_body::<catalog_core::model::StockBody>("The units available.")
        .returns::<catalog_core::Product>(200, "The product with its new stock.")
        .link("product", bazaar_openapi::Link::to("getProduct").param("id", "$response.body#/id"))
        .link(
            "order",
            bazaar_openapi::Link::to("placeOrder")
                .body(bazaar_openapi::json!({ "lines": [{ "product_id": "$response.body#/id", "quantity": 1 }] })),
        )
        .problems(&[404, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = flows::writer(cx.identity(&req)?)?;
        let id = http::path_param(&req, "id")?;
        let body = http::json_body(&req)?;
        json(StatusCode::OK, &flows::set_stock(&deps.store, &id, body, &identity).await?)
    })
    .await
}

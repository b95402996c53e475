//! `POST /products` (`catalog:write`): creates a product owned by the caller and emits
//! `ProductChanged`.

use bazaar_runtime::http::{self, ApiError, json, respond};
use catalog_core::flows;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

pub const PERMISSION: &str = "catalog:write";

pub use catalog_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/products", "createProduct", "Create a product")
        .access(bazaar_openapi::Access::Permission(PERMISSION))
        .describe(
            "Requires `catalog:write`. Creates a product owned by the caller (version 1) and emits \
             `ProductChanged`. Every invalid field is listed in the 422.",
        )
        .json_body::<catalog_core::model::NewProductBody>("The product's name, description, category, price and stock.")
        .returns::<catalog_core::Product>(201, "The product.")
        .with_header("Location", "The product's URL.")
        .link("product", bazaar_openapi::Link::to("getProduct").param("id", "$response.body#/id"))
        .link("update", bazaar_openapi::Link::to("updateProduct").param("id", "$response.body#/id"))
        .link("stock", bazaar_openapi::Link::to("putStock").param("id", "$response.body#/id"))
        .link("delete", bazaar_openapi::Link::to("deleteProduct").param("id", "$response.body#/id"))
        .link(
            "order",
            bazaar_openapi::Link::to("placeOrder")
                .body(bazaar_openapi::json!({ "lines": [{ "product_id": "$response.body#/id", "quantity": 1 }] })),
        )
        .problems(&[422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        identity.require(PERMISSION)?;
        let body = http::json_body(&req)?;
        let product = flows::create(&deps.store, body, &identity, cx.correlation_id.as_str()).await?;
        let mut response = json(StatusCode::CREATED, &product)?;
        let location =
            HeaderValue::from_str(&format!("/products/{}", product.id)).map_err(|e| ApiError::Unexpected(e.into()))?;
        response.headers_mut().insert(header::LOCATION, location);
        Ok(response)
    })
    .await
}

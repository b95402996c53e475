//! `DELETE /products/{id}` (its owner with `catalog:write`, or `catalog:write_all`): soft
//! delete (inactive), emits `ProductChanged`. Another owner's product is 403.

use bazaar_runtime::http::{self, no_content, respond};
use catalog_core::flows;
use lambda_http::{Body, Request, Response};

pub use catalog_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::delete("/products/{id}", "deleteProduct", "Delete a product")
        .access(bazaar_openapi::Access::Resource("the product", catalog_core::flows::EDIT))
        .describe(
            "Its owner with `catalog:write`, or a holder of `catalog:write_all`; another owner's product is a \
             403. A soft delete: the product becomes inactive (invisible to the API, no longer orderable) and \
             `ProductChanged` is emitted. A 409 means the product changed meanwhile: retry.",
        )
        .path_param("id", "The product id.")
        .returns_empty(204, "The product is deleted.")
        .problems(&[404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = flows::writer(cx.identity(&req)?)?;
        let id = http::path_param(&req, "id")?;
        flows::delete(&deps.store, &id, &identity, cx.correlation_id.as_str()).await?;
        no_content()
    })
    .await
}

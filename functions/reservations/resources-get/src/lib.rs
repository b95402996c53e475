//! `GET /resources/{id}` (public): one resource, active or not.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::flows;

pub use reservations_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/resources/{id}", "getResource", "Get a resource")
        .public()
        .describe("Public. One resource, active or not.")
        .path_param("id", "The resource id.")
        .returns::<reservations_core::Resource>(200, "The resource.")
        .link("update", bazaar_openapi::Link::to("updateResource").param("id", "$response.body#/id"))
        .link("availability", bazaar_openapi::Link::to("getAvailability").param("id", "$response.body#/id"))
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let id = http::path_param(&req, "id")?;
        let resource = flows::resources::get_resource(&deps.store, &id).await?;
        json(StatusCode::OK, &resource)
    })
    .await
}

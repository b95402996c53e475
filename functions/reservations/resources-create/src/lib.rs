//! `POST /resources` (`reservations:manage`): creates a bookable resource owned by the
//! caller; 201 with its `Location`.

use bazaar_runtime::Identity;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use reservations_core::flows::{self, MANAGE};
use reservations_core::resource::CreateResource;

pub use reservations_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/resources", "createResource", "Create a resource")
        .access(bazaar_openapi::Access::Permission(reservations_core::flows::MANAGE))
        .describe(
            "Needs `reservations:manage`. Creates an active, bookable resource owned by the caller; every \
             invalid field is reported at once (422).",
        )
        .json_body::<CreateResource>("The resource: name, kind, time zone, opening hours, slot length and price.")
        .returns::<reservations_core::Resource>(201, "The resource, active, at version 1.")
        .with_header("Location", "The resource's URL.")
        .link("resource", bazaar_openapi::Link::to("getResource").param("id", "$response.body#/id"))
        .link("update", bazaar_openapi::Link::to("updateResource").param("id", "$response.body#/id"))
        .link("availability", bazaar_openapi::Link::to("getAvailability").param("id", "$response.body#/id"))
        .problems(&[422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let identity = Identity::from_request(&req)?;
        identity.require(MANAGE)?;
        let body: CreateResource = http::json_body(&req)?;
        let resource = flows::resources::create_resource(&deps.store, &identity, &body, deps.clock.now()).await?;
        let mut response = json(StatusCode::CREATED, &resource)?;
        let location = HeaderValue::from_str(&format!("/resources/{}", resource.id)).map_err(anyhow::Error::from)?;
        response.headers_mut().insert(header::LOCATION, location);
        Ok(response)
    })
    .await
}

//! `PATCH /resources/{id}`: edits a resource (its owner with `reservations:manage`, or
//! `reservations:manage_all`; another owner's resource is 404). Existing reservations keep
//! what they were booked with.

use bazaar_runtime::http::{self, json, respond};
use bazaar_runtime::{Identity, Problem};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::flows::{self, MANAGE, MANAGE_ALL};
use reservations_core::resource::UpdateResource;

pub use reservations_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::patch("/resources/{id}", "updateResource", "Update a resource")
        .access(bazaar_openapi::Access::Resource("the resource", reservations_core::flows::MANAGE_RESOURCE))
        .describe(
            "Its owner with `reservations:manage`, or a holder of `reservations:manage_all`; another owner's \
             resource is a 404. Only the fields present change, and the result is validated as a whole (a new \
             slot length must still divide the opening intervals). A body that changes nothing is a 400. \
             Reservations already made keep what they were booked with.",
        )
        .path_param("id", "The resource id.")
        .json_body::<UpdateResource>("The fields to change.")
        .returns::<reservations_core::Resource>(200, "The resource, one version later.")
        .problems(&[400, 404, 409, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let identity = Identity::from_request(&req)?;
        if !(identity.has_permission(MANAGE) || identity.has_permission(MANAGE_ALL)) {
            return Err(Problem::forbidden().into());
        }
        let id = http::path_param(&req, "id")?;
        let patch: UpdateResource = http::json_body(&req)?;
        let resource = flows::resources::update_resource(&deps.store, &identity, &id, &patch, deps.clock.now()).await?;
        json(StatusCode::OK, &resource)
    })
    .await
}

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

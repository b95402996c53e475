//! `GET /resources/{id}` (public): one resource, active or not.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::flows;

pub use reservations_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let id = http::path_param(&req, "id")?;
        let resource = flows::resources::get_resource(&deps.store, &id).await?;
        json(StatusCode::OK, &resource)
    })
    .await
}

//! `GET /resources/{id}/availability?date=YYYY-MM-DD` (public): every slot of that local
//! date in the resource's zone, each available unless booked, begun, or the resource is
//! inactive.

use bazaar_runtime::Problem;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::flows;

pub use reservations_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let id = http::path_param(&req, "id")?;
        let date =
            http::query_param(&req, "date").ok_or_else(|| Problem::bad_request("date=YYYY-MM-DD is required"))?;
        let day = flows::resources::availability(&deps.store, &id, &date, deps.clock.now()).await?;
        json(StatusCode::OK, &day)
    })
    .await
}

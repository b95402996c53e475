//! `GET /resources/{id}/availability?date=YYYY-MM-DD` (public): every slot of that local
//! date in the resource's zone, each available unless booked, begun, or the resource is
//! inactive.

use bazaar_runtime::Problem;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::flows;

pub use reservations_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/resources/{id}/availability", "getAvailability", "Get a resource's availability")
        .public()
        .describe(
            "Public. Every slot of one local date in the resource's time zone (23 or 25 hours long on \
             daylight-saving days), each available unless booked, already begun, or the resource is inactive.",
        )
        .path_param("id", "The resource id.")
        .required_query(
            "date",
            "The local date, `YYYY-MM-DD`, in the resource's time zone.",
            serde_json::json!({ "type": "string", "format": "date" }),
        )
        .returns::<flows::resources::Availability>(200, "The day's slots.")
        .link(
            "reserve",
            bazaar_openapi::Link::to("createReservation")
                .body(bazaar_openapi::json!({
                    "resource_id": "$response.body#/resource_id",
                    "start": "$response.body#/slots/0/start",
                    "end": "$response.body#/slots/0/end",
                }))
                .describe("Books the day's first slot."),
        )
        .problems(&[400, 404])
}

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

//! `GET /reservations`: the caller's bookings; `?scope=owned` (`reservations:manage`) the
//! bookings of the caller's resources; `?scope=all` (`reservations:read_all`) by `?date=`
//! and/or `?resource=`. `?limit=`, `?cursor=` (signed).

use bazaar_aws::cursor::{DEFAULT_LIMIT, MAX_LIMIT};
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::ReservationsStore;
use reservations_core::flows::reservations::{ListQuery, list_reservations, listing};

/// The store and the cursor secret.
pub type Deps = bazaar_aws::cursor::Listing<ReservationsStore>;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/reservations", "listReservations", "List reservations")
        .access(bazaar_openapi::Access::SignedIn("their own bookings (`scope=mine`)"))
        .access(bazaar_openapi::Access::Scope("`scope=owned`", reservations_core::flows::MANAGE))
        .access(bazaar_openapi::Access::Scope("`scope=all`", reservations_core::flows::READ_ALL))
        .describe(
            "`scope=mine` (the default): the caller's bookings; `date` and `resource` are refused there. \
             `scope=owned` (`reservations:manage`): bookings of the caller's resources, optionally of one \
             `resource` (404 unless the caller's) and then of one `date`. `scope=all` (`reservations:read_all`): \
             by `date`, by `resource`, or both (one of them is required).",
        )
        .query(
            "scope",
            "Whose reservations: `mine` (default), `owned` or `all`.",
            serde_json::json!({ "type": "string", "enum": ["mine", "owned", "all"] }),
        )
        .query(
            "resource",
            "A resource id (with `scope=owned` or `scope=all`).",
            serde_json::json!({ "type": "string" }),
        )
        .query(
            "date",
            "A local date `YYYY-MM-DD` in the resource's zone (with `scope=owned` and a `resource`, or `scope=all`).",
            serde_json::json!({ "type": "string", "format": "date" }),
        )
        .paginated(DEFAULT_LIMIT, MAX_LIMIT)
        .returns::<reservations_core::flows::Page<reservations_core::ReservationView>>(200, "One page of reservations.")
        .link("reservation", bazaar_openapi::Link::to("getReservation").param("id", "$response.body#/items/0/id"))
        .problems(&[400, 404, 503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let query = ListQuery {
            scope: http::query_param(&req, "scope"),
            resource: http::query_param(&req, "resource"),
            date: http::query_param(&req, "date"),
        };
        let limit = http::limit_param(&req, DEFAULT_LIMIT, MAX_LIMIT)?;
        let cursor = http::query_param(&req, "cursor");
        let listing = listing(&deps.store, &identity, &query).await?;
        let page =
            list_reservations(&deps.store, &*deps.cursors.key().await?, &listing, limit, cursor.as_deref()).await?;
        json(StatusCode::OK, &page)
    })
    .await
}

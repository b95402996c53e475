//! `POST /reservations/{id}/check-in` (`reservations:check_in`): a CONFIRMED reservation,
//! on its local date only, becomes CHECKED_IN and emits `ReservationCheckedIn`.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::ReservationView;
use reservations_core::flows::{self, CHECK_IN};

pub use reservations_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/reservations/{id}/check-in", "checkInReservation", "Check a customer in")
        .access(bazaar_openapi::Access::Permission(reservations_core::flows::CHECK_IN))
        .describe(
            "Needs `reservations:check_in`. A `CONFIRMED` reservation, on its local date in its resource's zone \
             only, becomes `CHECKED_IN` and `ReservationCheckedIn` is emitted; any other state or day is a 409.",
        )
        .path_param("id", "The reservation id.")
        .returns::<ReservationView>(200, "The checked-in reservation.")
        .problems(&[404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        identity.require(CHECK_IN)?;
        let id = http::path_param(&req, "id")?;
        let now = deps.clock.now();
        let r = flows::reservations::check_in(&deps.store, &identity, &id, now, cx.correlation_id.as_str()).await?;
        json(StatusCode::OK, &ReservationView::from(&r))
    })
    .await
}

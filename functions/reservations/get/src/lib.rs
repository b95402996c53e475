//! `GET /reservations/{id}`: for its customer, the resource's manager, or a holder of
//! `reservations:read_all`; anyone else gets 404.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::{ReservationView, flows};

pub use reservations_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/reservations/{id}", "getReservation", "Get a reservation")
        .access(bazaar_openapi::Access::Resource(
            "the booking, as its customer",
            reservations_core::flows::reservations::READ,
        ))
        .access(bazaar_openapi::Access::Resource("the booking's resource", reservations_core::flows::MANAGE_RESOURCE))
        .describe(
            "For its customer, the resource's manager (`reservations:manage` on one's own resource, or \
             `reservations:manage_all`) or a holder of `reservations:read_all`; anyone else gets 404.",
        )
        .path_param("id", "The reservation id.")
        .returns::<ReservationView>(200, "The reservation.")
        .link("cancel", bazaar_openapi::Link::to("cancelReservation").param("id", "$response.body#/id"))
        .link("check_in", bazaar_openapi::Link::to("checkInReservation").param("id", "$response.body#/id"))
        .link("payment", bazaar_openapi::Link::to("getPayment").param("id", "$response.body#/payment_id"))
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let reservation = flows::reservations::get_reservation(&deps.store, &identity, &id).await?;
        json(StatusCode::OK, &ReservationView::from(&reservation))
    })
    .await
}

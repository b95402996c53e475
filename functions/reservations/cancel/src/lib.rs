//! `POST /reservations/{id}/cancel`: the customer before the start, the resource's manager
//! until the end; frees the slots and emits `ReservationCancelled` (with the refund
//! decision) exactly once. Already cancelled → 409.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::flows::reservations::{cancel_reservation, refund_cutoff};
use reservations_core::{Clock, ReservationView, ReservationsStore};

pub struct Deps {
    pub store: ReservationsStore,
    pub clock: Clock,
    /// `REFUND_CUTOFF_HOURS` (default 24).
    pub refund_cutoff: chrono::Duration,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: ReservationsStore::from_env(config, env)?,
            clock: Clock::System,
            refund_cutoff: refund_cutoff(env)?,
        })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/reservations/{id}/cancel", "cancelReservation", "Cancel a reservation")
        .access(bazaar_openapi::Access::Resource(
            "the booking, as its customer",
            reservations_core::flows::reservations::CANCEL,
        ))
        .access(bazaar_openapi::Access::Resource("the booking's resource", reservations_core::flows::MANAGE_RESOURCE))
        .describe(
            "Its customer before the start, or the resource's manager until the end, cancels a `PENDING` or \
             `CONFIRMED` reservation: the slots are freed and `ReservationCancelled` (with the refund decision) \
             is emitted once. One who may only read it gets 403; one who may not see it, 404; a reservation \
             already cancelled, checked in or past its window is a 409.",
        )
        .path_param("id", "The reservation id.")
        .returns::<ReservationView>(200, "The cancelled reservation.")
        .problems(&[404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let now = deps.clock.now();
        let cancelled =
            cancel_reservation(&deps.store, &identity, &id, deps.refund_cutoff, now, cx.correlation_id.as_str())
                .await?;
        json(StatusCode::OK, &ReservationView::from(&cancelled))
    })
    .await
}

//! `POST /reservations` (any signed-in user, `Idempotency-Key` required): books slots of a
//! resource, PENDING until paid, and emits `ReservationRequested`. A taken slot is 409.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use reservations_core::booking::{self, ReserveRequest};
use reservations_core::flows::reservations::{BookingSettings, create_reservation};
use reservations_core::{Clock, ReservationView, ReservationsStore};

pub struct Deps {
    pub store: ReservationsStore,
    pub clock: Clock,
    /// `RESERVATION_HOLD_SECONDS`, `MAX_SLOTS_PER_RESERVATION`.
    pub settings: BookingSettings,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: ReservationsStore::from_env(config, env)?,
            clock: Clock::System,
            settings: BookingSettings::from_env(env)?,
        })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/reservations", "createReservation", "Book slots of a resource")
        .access(bazaar_openapi::Access::SignedIn("their own bookings"))
        .describe(
            "Any signed-in user. Books consecutive slots of one opening interval of the resource's local day; \
             the reservation is `PENDING` until paid (it expires unpaid at `expires_at`) and \
             `ReservationRequested` is emitted. A slot already booked is a 409 (`slot-taken`). Sending the same \
             `Idempotency-Key` and body again replays the first answer (with `Idempotent-Replayed: true`); the \
             same key with another body is a 422. A customer holds at most `PendingReservationsPerCustomer` \
             (template parameter) reservations waiting for payment at once: one more is a 429 \
             `too-many-pending-reservations` until one is paid, cancelled or expires.",
        )
        .idempotency_key(booking::MAX_KEY_CHARS, "booking")
        .json_body::<ReserveRequest>("The resource and the range of slots.")
        .returns::<ReservationView>(201, "The reservation, `PENDING`.")
        .with_header("Location", "The reservation's URL.")
        .with_header("Idempotent-Replayed", "`true` when this is the stored answer to an earlier request.")
        .link("reservation", bazaar_openapi::Link::to("getReservation").param("id", "$response.body#/id"))
        .link("cancel", bazaar_openapi::Link::to("cancelReservation").param("id", "$response.body#/id"))
        .link("check_in", bazaar_openapi::Link::to("checkInReservation").param("id", "$response.body#/id"))
        .link("payment", bazaar_openapi::Link::to("getPayment").param("id", "$response.body#/payment_id"))
        .problems(&[400, 409, 422, 429])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let key = booking::idempotency_key(http::header(&req, "idempotency-key"))?;
        let body: ReserveRequest = http::json_body(&req)?;
        let now = deps.clock.now();
        let booked =
            create_reservation(&deps.store, &identity, &key, &body, deps.settings, now, cx.correlation_id.as_str())
                .await?;
        let mut response = json(StatusCode::CREATED, &ReservationView::from(&booked.reservation))?;
        let location = format!("/reservations/{}", booked.reservation.id);
        response.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).map_err(anyhow::Error::from)?);
        if booked.replayed {
            response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        Ok(response)
    })
    .await
}

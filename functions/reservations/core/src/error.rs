//! Every way a reservations operation can fail; `service_error!` writes the one mapping of
//! them to the wire.

use bazaar_runtime::Problem;
use http::StatusCode;

bazaar_runtime::service_error! {
    pub enum ReservationsError {
        shared [BadRequest, Invalid, IdempotencyKeyReused, Forbidden, NotFound, Conflict, Unexpected],
        #[error("a requested slot is taken")]
        SlotTaken,
        /// The customer has as many reservations waiting for payment as they may.
        #[error("{pending} pending reservations already")]
        TooManyPending { pending: u32, retry_after: u64 },
    }
    problems {
        ReservationsError::SlotTaken => Problem::new(StatusCode::CONFLICT, "slot-taken", "Slot taken")
            .with_detail("one or more of the requested slots are already booked"),
        ReservationsError::TooManyPending { pending, retry_after } => {
            let mut p = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-pending-reservations",
                "Too many pending reservations",
            )
            .with_detail(format!(
                "you have {pending} reservations waiting for payment, as many as you may hold at once; pay or \
                 cancel one (or wait until one expires) before booking another"
            ));
            p.retry_after = Some(retry_after);
            p
        }
    }
}

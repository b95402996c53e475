//! Every way a reservations operation can fail; `service_error!` writes the one mapping of
//! them to the wire.

use bazaar_runtime::Problem;
use http::StatusCode;

bazaar_runtime::service_error! {
    pub enum ReservationsError {
        shared [BadRequest, Invalid, IdempotencyKeyReused, Forbidden, NotFound, Conflict, Unexpected],
        #[error("a requested slot is taken")]
        SlotTaken,
    }
    problems {
        ReservationsError::SlotTaken => Problem::new(StatusCode::CONFLICT, "slot-taken", "Slot taken")
            .with_detail("one or more of the requested slots are already booked"),
    }
}

//! Every way a reservations operation can fail, and the one mapping of them to the wire.

use bazaar_runtime::problem::FieldError;
use bazaar_runtime::{ApiError, Problem};
use http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum ReservationsError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("the idempotency key was used with another body")]
    IdempotencyKeyReused,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("a requested slot is taken")]
    SlotTaken,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ReservationsError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ReservationsError {
        ReservationsError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
    }
}

impl From<ReservationsError> for ApiError {
    fn from(e: ReservationsError) -> ApiError {
        let problem = match e {
            ReservationsError::BadRequest(detail) => Problem::bad_request(detail),
            ReservationsError::Invalid(errors) => Problem::validation(errors),
            ReservationsError::IdempotencyKeyReused => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused", "Idempotency key reused")
                    .with_detail("this Idempotency-Key was already used with a different request body")
            }
            ReservationsError::Forbidden => Problem::forbidden(),
            ReservationsError::NotFound => Problem::not_found(),
            ReservationsError::SlotTaken => Problem::new(StatusCode::CONFLICT, "slot-taken", "Slot taken")
                .with_detail("one or more of the requested slots are already booked"),
            ReservationsError::Conflict(detail) => Problem::conflict(detail),
            ReservationsError::Unexpected(e) => return ApiError::Unexpected(e),
        };
        ApiError::Problem(problem)
    }
}

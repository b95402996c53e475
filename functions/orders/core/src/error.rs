//! Every way an orders operation can fail, and the one mapping of them to the wire.

use bazaar_runtime::problem::FieldError;
use bazaar_runtime::{ApiError, Problem};
use http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
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
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl OrdersError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> OrdersError {
        OrdersError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
    }
}

impl From<OrdersError> for ApiError {
    fn from(e: OrdersError) -> ApiError {
        let problem = match e {
            OrdersError::BadRequest(detail) => Problem::bad_request(detail),
            OrdersError::Invalid(errors) => Problem::validation(errors),
            OrdersError::IdempotencyKeyReused => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused", "Idempotency key reused")
                    .with_detail("this Idempotency-Key was already used with a different request body")
            }
            OrdersError::Forbidden => Problem::forbidden(),
            OrdersError::NotFound => Problem::not_found(),
            OrdersError::Conflict(detail) => Problem::conflict(detail),
            OrdersError::Unexpected(e) => return ApiError::Unexpected(e),
        };
        ApiError::Problem(problem)
    }
}

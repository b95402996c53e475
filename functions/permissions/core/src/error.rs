//! Every way a permissions operation can fail, and the one mapping of them to the wire.

use bazaar_runtime::problem::FieldError;
use bazaar_runtime::{ApiError, Problem};

#[derive(Debug, thiserror::Error)]
pub enum PermissionsError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<FieldError> for PermissionsError {
    fn from(e: FieldError) -> PermissionsError {
        PermissionsError::Invalid(vec![e])
    }
}

impl From<PermissionsError> for ApiError {
    fn from(e: PermissionsError) -> ApiError {
        let problem = match e {
            PermissionsError::Invalid(errors) => Problem::validation(errors),
            PermissionsError::NotFound => Problem::not_found(),
            PermissionsError::Conflict(detail) => Problem::conflict(detail),
            PermissionsError::Unexpected(e) => return ApiError::Unexpected(e),
        };
        ApiError::Problem(problem)
    }
}

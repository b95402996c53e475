//! What a report request fails with, and the one place those failures become HTTP problems.

use bazaar_runtime::{ApiError, Problem};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportsError {
    /// A missing or malformed query parameter (400).
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed values that do not go together (422).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The caller may not read this scope (403).
    #[error("forbidden")]
    Forbidden,
}

impl From<ReportsError> for ApiError {
    fn from(e: ReportsError) -> ApiError {
        ApiError::Problem(match e {
            ReportsError::BadRequest(detail) => Problem::bad_request(detail),
            ReportsError::Invalid { field, message } => Problem::invalid_field(field, message),
            ReportsError::Forbidden => Problem::forbidden(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(e: ReportsError) -> u16 {
        ApiError::from(e).status()
    }

    #[test]
    fn each_failure_has_its_status_on_the_wire() {
        assert_eq!(status(ReportsError::BadRequest("from".into())), 400);
        assert_eq!(status(ReportsError::Invalid { field: "to", message: "before from".into() }), 422);
        assert_eq!(status(ReportsError::Forbidden), 403);
    }
}

//! What catalog operations fail with, and the one place those failures become HTTP problems.

use bazaar_runtime::problem::FieldError;
use bazaar_runtime::{ApiError, Problem};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Unknown or deleted product (deleted products are invisible to the API).
    #[error("product not found")]
    NotFound,
    /// The product exists (products are public) but is another owner's, and the caller
    /// does not hold `catalog:write_all` (403).
    #[error("not the product's owner")]
    NotOwner,
    /// The caller may change no product (neither `catalog:write` nor `catalog:write_all`).
    #[error("forbidden")]
    Forbidden,
    /// The request is malformed beyond its body's values (a foreign cursor: 400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request body parsed but holds invalid values (422).
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// The product changed between our read and our write (409; the client retries).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl CatalogError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> CatalogError {
        CatalogError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => ApiError::Problem(Problem::not_found().with_detail("no such product")),
            CatalogError::NotOwner => ApiError::Problem(
                Problem::forbidden()
                    .with_detail("only the product's owner or a holder of catalog:write_all may change it"),
            ),
            CatalogError::Forbidden => ApiError::Problem(Problem::forbidden()),
            CatalogError::BadRequest(detail) => ApiError::Problem(Problem::bad_request(detail)),
            CatalogError::Invalid(errors) => ApiError::Problem(Problem::validation(errors)),
            CatalogError::Conflict(detail) => ApiError::Problem(Problem::conflict(detail)),
            CatalogError::Unexpected(e) => ApiError::Unexpected(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(e: CatalogError) -> u16 {
        ApiError::from(e).status()
    }

    #[test]
    fn each_failure_has_its_status_on_the_wire() {
        assert_eq!(status(CatalogError::NotFound), 404);
        assert_eq!(status(CatalogError::NotOwner), 403);
        assert_eq!(status(CatalogError::Forbidden), 403);
        assert_eq!(status(CatalogError::BadRequest("cursor".into())), 400);
        assert_eq!(status(CatalogError::invalid("name", "required")), 422);
        assert_eq!(status(CatalogError::Conflict("version".into())), 409);
    }
}

//! What catalog operations fail with, and the one place those failures become HTTP problems.

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
    /// The request body parsed but holds invalid values (422).
    #[error("invalid request")]
    Invalid(Problem),
    /// The product changed between our read and our write (409; the client retries).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<Problem> for CatalogError {
    fn from(p: Problem) -> Self {
        CatalogError::Invalid(p)
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
            CatalogError::Invalid(p) => ApiError::Problem(p),
            CatalogError::Conflict(detail) => ApiError::Problem(Problem::conflict(detail)),
            CatalogError::Unexpected(e) => ApiError::Unexpected(e),
        }
    }
}

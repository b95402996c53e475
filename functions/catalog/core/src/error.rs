//! What catalog operations fail with; `service_error!` writes the one place those failures
//! become HTTP problems.

use bazaar_runtime::Problem;

bazaar_runtime::service_error! {
    pub enum CatalogError {
        shared [
            /// The caller may change no product (neither `catalog:write` nor `catalog:write_all`).
            Forbidden,
            /// The request is malformed beyond its body's values (a foreign cursor: 400).
            BadRequest,
            /// The request body parsed but holds invalid values (422).
            Invalid,
            /// The product changed between our read and our write (409; the client retries).
            Conflict,
            Unexpected,
        ],
        /// Unknown or deleted product (deleted products are invisible to the API).
        #[error("product not found")]
        NotFound,
        /// The product exists (products are public) but is another owner's, and the caller
        /// does not hold `catalog:write_all` (403).
        #[error("not the product's owner")]
        NotOwner,
    }
    problems {
        CatalogError::NotFound => Problem::not_found().with_detail("no such product"),
        CatalogError::NotOwner => Problem::forbidden()
            .with_detail("only the product's owner or a holder of catalog:write_all may change it"),
    }
}

#[cfg(test)]
mod tests {
    use bazaar_runtime::ApiError;

    use super::*;

    /// The two failures whose problems are the catalog's own (the shared kinds' are
    /// bazaar_runtime's, tested there).
    #[test]
    fn a_missing_product_and_a_foreign_one_say_which() {
        for (error, status, detail) in [
            (CatalogError::NotFound, 404, "no such product"),
            (CatalogError::NotOwner, 403, "only the product's owner or a holder of catalog:write_all may change it"),
        ] {
            let ApiError::Problem(p) = ApiError::from(error) else { panic!("a problem") };
            assert_eq!((p.status, p.detail.as_deref()), (status, Some(detail)));
        }
    }
}

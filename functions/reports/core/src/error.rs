//! What a report request fails with; `service_error!` writes the one place those failures
//! become HTTP problems.

use bazaar_runtime::Problem;

bazaar_runtime::service_error! {
    #[derive(Clone, PartialEq, Eq)]
    pub enum ReportsError {
        shared [
            /// A missing or malformed query parameter (400).
            BadRequest,
            /// The caller may not read this scope (403).
            Forbidden,
        ],
        /// Well-formed values that do not go together (422).
        #[error("{field}: {message}")]
        Invalid { field: &'static str, message: String },
    }
    problems {
        ReportsError::Invalid { field, message } => Problem::invalid_field(field, message),
    }
}

#[cfg(test)]
mod tests {
    use bazaar_runtime::ApiError;

    use super::*;

    #[test]
    fn values_that_do_not_go_together_name_the_field() {
        let ApiError::Problem(p) = ApiError::from(ReportsError::Invalid { field: "to", message: "before from".into() })
        else {
            panic!("a problem")
        };
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "to"));
    }
}

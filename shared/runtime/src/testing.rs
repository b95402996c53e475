//! Building blocks of the services' unit tests: a caller holding given permissions, and the
//! fields a validation error names. No function calls these (a test-only feature would
//! split the crate's features between `cargo build --tests` and `--bins`: two builds).

use crate::{ApiError, Identity};

impl Identity {
    /// The caller `sub`, holding `permissions` (no roles, no email).
    pub fn holding(sub: &str, permissions: &[&str]) -> Identity {
        Identity {
            sub: sub.to_owned(),
            email: String::new(),
            roles: Vec::new(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        }
    }
}

/// The fields a service error names once it is a 422 `validation` problem, in order; panics
/// on any other error.
pub fn invalid_fields(error: impl Into<ApiError>) -> Vec<String> {
    match error.into() {
        ApiError::Problem(p) if p.kind.ends_with(":validation") => p.errors.into_iter().map(|e| e.field).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Problem;

    #[test]
    fn a_holder_has_exactly_its_permissions_and_a_422_names_its_fields() {
        let who = Identity::holding("u1", &["a:b"]);
        assert!(who.has_permission("a:b") && !who.has_permission("a:c"));
        assert_eq!(who.sub, "u1");
        let name = crate::problem::FieldError { field: "name".into(), message: "required".into() };
        let problem = Problem::validation(vec![name]);
        assert_eq!(invalid_fields(ApiError::Problem(problem)), ["name"]);
    }
}

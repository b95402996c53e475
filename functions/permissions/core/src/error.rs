//! Every way a permissions operation can fail; `service_error!` writes the one mapping of
//! them to the wire.

use bazaar_runtime::Problem;
use bazaar_runtime::problem::FieldError;
use http::StatusCode;

bazaar_runtime::service_error! {
    pub enum PermissionsError {
        shared [Invalid, NotFound, Conflict, Unexpected],
        /// The caller would grant, or change a role holding, permissions they do not hold
        /// themselves (sorted).
        #[error("beyond the caller's own permissions: {0:?}")]
        Beyond(Vec<String>),
    }
    problems {
        PermissionsError::Beyond(missing) => {
            Problem::new(StatusCode::FORBIDDEN, "beyond-own-permissions", "Beyond your own permissions").with_detail(
                format!(
                    "you may grant, and change roles holding, only permissions you hold yourself; you do not hold {}",
                    missing.join(", ")
                ),
            )
        }
    }
}

impl From<FieldError> for PermissionsError {
    fn from(e: FieldError) -> PermissionsError {
        PermissionsError::Invalid(vec![e])
    }
}

//! Every way a permissions operation can fail; `service_error!` writes the one mapping of
//! them to the wire.

use bazaar_runtime::problem::FieldError;

bazaar_runtime::service_error! {
    pub enum PermissionsError {
        shared [Invalid, NotFound, Conflict, Unexpected],
    }
}

impl From<FieldError> for PermissionsError {
    fn from(e: FieldError) -> PermissionsError {
        PermissionsError::Invalid(vec![e])
    }
}

//! Every way an orders operation can fail; `service_error!` writes the one mapping of them
//! to the wire.

bazaar_runtime::service_error! {
    pub enum OrdersError {
        shared [BadRequest, Invalid, IdempotencyKeyReused, Forbidden, NotFound, Conflict, Unexpected],
    }
}

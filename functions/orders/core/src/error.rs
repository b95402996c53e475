//! Every way an orders operation can fail; `service_error!` writes the one mapping of them
//! to the wire.

use bazaar_runtime::Problem;
use http::StatusCode;

bazaar_runtime::service_error! {
    pub enum OrdersError {
        shared [BadRequest, Invalid, IdempotencyKeyReused, Forbidden, NotFound, Conflict, Unexpected],
        /// The customer has as many open orders as they may: one must be paid, cancelled or
        /// expire first (in `retry_after` seconds at the latest).
        #[error("{open} open orders already")]
        TooManyOpen { open: u32, retry_after: u64 },
    }
    problems {
        OrdersError::TooManyOpen { open, retry_after } => {
            let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-open-orders", "Too many open orders")
                .with_detail(format!(
                    "you have {open} orders waiting for payment, as many as you may hold at once; pay or cancel one \
                     (or wait until one expires) before placing another"
                ));
            p.retry_after = Some(retry_after);
            p
        }
    }
}

//! Every way a payments operation can fail; `service_error!` writes the one mapping of them
//! to the wire.

use bazaar_runtime::Problem;
use http::StatusCode;

use crate::PaymentStatus;
use crate::signature::SignatureError;

bazaar_runtime::service_error! {
    pub enum PaymentError {
        shared [
            /// Unknown, or not the caller's (the two are deliberately indistinguishable).
            NotFound,
            /// The caller sees the payment but may not do this to it.
            Forbidden,
            Unexpected,
        ],
        #[error("the payment is {0}, not PENDING")]
        NotPending(PaymentStatus),
        /// The payment window closed; the payment was failed with reason `expired`.
        #[error("the payment window has closed")]
        Expired,
        #[error("invalid webhook signature: {0}")]
        Signature(#[from] SignatureError),
        #[error("invalid field {field}: {message}")]
        Invalid { field: &'static str, message: String },
        #[error("webhook secret unavailable")]
        SecretUnavailable(#[source] anyhow::Error),
    }
    problems {
        PaymentError::NotPending(status) => {
            Problem::conflict(format!("the payment is {status}; only a PENDING payment can change"))
        }
        PaymentError::Expired => Problem::new(StatusCode::CONFLICT, "payment-expired", "Payment window expired")
            .with_detail("the payment can no longer succeed; it was marked FAILED (expired)"),
        PaymentError::Signature(reason) => {
            tracing::warn!(%reason, "webhook refused");
            Problem::new(StatusCode::UNAUTHORIZED, "invalid-signature", "Invalid signature")
                .with_detail("the Bazaar-Signature header is missing, malformed, stale or wrong")
        }
        PaymentError::Invalid { field, message } => Problem::invalid_field(field, message),
        PaymentError::SecretUnavailable(e) => {
            tracing::error!(error = format!("{e:#}"), "webhook secret unavailable");
            Problem::unavailable()
        }
    }
}

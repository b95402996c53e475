//! Every way an auth operation can fail; `service_error!` writes the one mapping of them to
//! the wire.

use bazaar_runtime::Problem;
use http::StatusCode;

bazaar_runtime::service_error! {
    pub enum AuthError {
        shared [Invalid, NotFound, Unexpected],
        #[error("a body field the endpoint does not accept: {0}")]
        Forbidden(&'static str),
        #[error("email already registered")]
        EmailTaken,
        /// Wrong email or wrong password: deliberately one error, so accounts can't be probed.
        #[error("invalid credentials")]
        InvalidCredentials,
        #[error("invalid refresh token")]
        InvalidRefreshToken,
        #[error("invalid or expired reset token")]
        InvalidResetToken,
        #[error("invalid or expired verification token")]
        InvalidVerificationToken,
        #[error("the email address is verified already")]
        AlreadyVerified,
        #[error("rate limited")]
        RateLimited { retry_after: u64 },
        #[error("signing key unavailable")]
        KeyUnavailable(#[source] anyhow::Error),
    }
    problems {
        AuthError::Forbidden(field) => Problem::new(StatusCode::BAD_REQUEST, "field-not-allowed", "Field not allowed")
            .with_detail(format!("`{field}` cannot be set by the client")),
        AuthError::EmailTaken => Problem::conflict("an account with this email already exists"),
        AuthError::InvalidCredentials => {
            Problem::new(StatusCode::UNAUTHORIZED, "invalid-credentials", "Invalid credentials")
                .with_detail("the email or password is wrong")
        }
        AuthError::InvalidRefreshToken => {
            Problem::new(StatusCode::UNAUTHORIZED, "invalid-refresh-token", "Invalid refresh token")
                .with_detail("the refresh token is invalid, expired or revoked; sign in again")
        }
        AuthError::InvalidResetToken => Problem::bad_request("the reset token is invalid, used or expired"),
        AuthError::InvalidVerificationToken => {
            Problem::bad_request("the verification link is invalid or expired; ask for a new one")
        }
        AuthError::AlreadyVerified => Problem::conflict("the email address is verified already"),
        AuthError::RateLimited { retry_after } => Problem::too_many_requests(retry_after),
        AuthError::KeyUnavailable(e) => {
            tracing::error!(error = format!("{e:#}"), "signing key unavailable");
            Problem::unavailable()
        }
    }
}

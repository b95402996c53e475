//! Email verification: registration records a verification (`VERIFY#<id>`) that
//! `UserRegistered` references, and the welcome email carries its link; a signed-in user may
//! ask for a new one (`EmailVerificationRequested`, capped per day). Opening a link marks
//! the address verified and emits `EmailVerified` in the same transaction.

use bazaar_events::Envelope;
use bazaar_events::auth::{EmailVerificationRequested, EmailVerified, LinkRef};
use bazaar_runtime::links::{LinkKey, LinkPurpose};
use serde::{Deserialize, Serialize};

use crate::flows::{DAY_SECONDS, at, now};
use crate::settings::VerificationSettings;
use crate::{AuthError, AuthStore, User};

/// One verification link of an address, as stored (`VERIFY#<id>/VERIFY`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRecord {
    pub verification_id: String,
    pub user_id: String,
    /// The address it verifies: a link sent to an old address verifies nothing.
    pub email: String,
    pub expires_at: i64,
}

impl VerificationRecord {
    /// What events carry of it.
    pub fn link(&self) -> LinkRef {
        LinkRef { id: self.verification_id.clone(), expires_at: at(self.expires_at) }
    }
}

pub(crate) fn new_verification(user: &User, settings: &VerificationSettings, now: i64) -> VerificationRecord {
    VerificationRecord {
        verification_id: uuid::Uuid::new_v4().to_string(),
        user_id: user.user_id.clone(),
        email: user.email.as_str().to_owned(),
        expires_at: now + settings.ttl_seconds,
    }
}

/// What `POST /auth/email/verify` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "EmailVerification")]
pub struct VerificationView {
    /// The address the link verified.
    pub email: String,
    /// Always true.
    pub email_verified: bool,
}

/// Marks the address of a verification link's token verified. Idempotent: an address
/// verified already answers the same, and emits nothing again. A tampered, unknown or
/// expired token, or one sent to an address the account no longer has, is refused.
pub async fn verify_email(
    store: &AuthStore,
    key: &LinkKey,
    token: &str,
    correlation_id: &str,
) -> Result<VerificationView, AuthError> {
    // A token that does not carry our mac costs no database read.
    let id = key.open(LinkPurpose::EmailVerification, token).ok_or(AuthError::InvalidVerificationToken)?;
    let record = store.verification(id).await?.ok_or(AuthError::InvalidVerificationToken)?;
    let user = store.user(&record.user_id).await?.ok_or(AuthError::InvalidVerificationToken)?;
    if record.expires_at <= now() || user.email.as_str() != record.email {
        return Err(AuthError::InvalidVerificationToken);
    }
    let verified = VerificationView { email: record.email.clone(), email_verified: true };
    if user.email_verified {
        return Ok(verified);
    }
    let event =
        Envelope::new(EmailVerified { user_id: user.user_id.clone(), email: record.email.clone() }, correlation_id);
    if !store.mark_email_verified(&user.user_id, &record.email, &event).await? {
        // A concurrent request verified it first, or the address changed meanwhile.
        let now_verified = store.user(&user.user_id).await?.is_some_and(|u| u.email_verified && u.email == user.email);
        if !now_verified {
            return Err(AuthError::InvalidVerificationToken);
        }
    }
    tracing::info!(user_id = %user.user_id, "email verified");
    Ok(verified)
}

/// Sends the signed-in user a new verification link (`EmailVerificationRequested`), at most
/// `per_user_per_day` a day; an address verified already is a 409.
pub async fn request_verification(
    store: &AuthStore,
    settings: &VerificationSettings,
    user_id: &str,
    correlation_id: &str,
) -> Result<(), AuthError> {
    let user = store.user(user_id).await?.ok_or(AuthError::NotFound)?;
    if user.email_verified {
        return Err(AuthError::AlreadyVerified);
    }
    let now = now();
    let (requests, day_end) = store.hit(&format!("verify-email:{user_id}"), DAY_SECONDS, now).await?;
    if requests > settings.per_user_per_day {
        return Err(AuthError::RateLimited { retry_after: (day_end - now).max(1) as u64 });
    }
    let record = new_verification(&user, settings, now);
    let event = Envelope::new(
        EmailVerificationRequested {
            user_id: user.user_id.clone(),
            email: record.email.clone(),
            verification: record.link(),
        },
        correlation_id,
    );
    store.request_verification(&record, &event).await?;
    tracing::info!(user_id = %user.user_id, "email verification requested");
    Ok(())
}

//! The auth use cases, one function each, over the store and the keys. Handlers parse the
//! request, call one of these, and render the result.

use bazaar_events::Envelope;
use bazaar_events::auth::{LinkRef, PasswordResetRequested, UserRegistered};
use bazaar_runtime::links::{LinkKey, LinkPurpose};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::Signer;
use crate::model::{NewPassword, UserView};
use crate::settings::{RateLimits, ResetSettings, TokenSettings, VerificationSettings};
use crate::store::{Family, RefreshRecord, ResetRecord};
use crate::tokens::{hash_token, issue_access, new_opaque_token};
use crate::verification::new_verification;
use crate::{AuthError, AuthStore, Email, User, password, roles};

/// `POST /auth/register` body. Unknown fields are refused; `role`/`roles` get a clear 400.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The account's email address (trimmed and lower-cased), unique per account.
    #[schemars(length(max = Email::MAX_LEN), pattern(Email::pattern()))]
    pub email: String,
    /// 12 to 128 characters, with at least one letter and one digit, not containing the
    /// email's local part.
    #[schemars(length(min = NewPassword::MIN_LEN, max = NewPassword::MAX_LEN), pattern(NewPassword::PATTERN))]
    pub password: String,
    /// Not settable: any value but `null` is refused with a 400 (`field-not-allowed`); every
    /// account starts as a customer.
    #[serde(default)]
    #[schemars(with = "()")]
    pub role: Option<serde_json::Value>,
    /// Not settable, like `role`.
    #[serde(default)]
    #[schemars(with = "()")]
    pub roles: Option<serde_json::Value>,
}

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegisterRequest { .. }")
    }
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginRequest { .. }")
    }
}

/// `POST /auth/login` body.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// What login and refresh return.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "AuthTokens")]
pub struct TokenPair {
    /// An RS256 JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid for.
    pub expires_in: i64,
    /// An opaque, single-use token for `POST /auth/refresh` and `POST /auth/logout`.
    pub refresh_token: String,
    /// Seconds the session (the refresh token and its rotations) lasts.
    pub refresh_expires_in: i64,
}

pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// Counts one request from `ip` against the per-IP limit of the unauthenticated routes.
pub async fn throttle_ip(store: &AuthStore, limits: &RateLimits, ip: &str) -> Result<(), AuthError> {
    let now = now();
    let (count, window_end) = store.hit(&format!("ip:{ip}"), limits.window_seconds, now).await?;
    if count > limits.per_ip {
        return Err(AuthError::RateLimited { retry_after: (window_end - now).max(1) as u64 });
    }
    Ok(())
}

/// Creates a customer account and its first email verification: `UserRegistered` references
/// it, and the welcome email carries its link.
pub async fn register(
    store: &AuthStore,
    verification: &VerificationSettings,
    req: RegisterRequest,
    correlation_id: &str,
) -> Result<UserView, AuthError> {
    if req.role.is_some() {
        return Err(AuthError::Forbidden("role"));
    }
    if req.roles.is_some() {
        return Err(AuthError::Forbidden("roles"));
    }
    let email = Email::parse(&req.email)?;
    let password = NewPassword::parse(&req.password, &email)?;
    let user = new_user(email, &password, vec![roles::CUSTOMER.to_owned()])?;
    let record = new_verification(&user, verification, now());
    let mut event = registered_event(&user, correlation_id);
    event.data.verification = Some(record.link());
    store.create_user(&user, Some(&record), &event).await?;
    tracing::info!(user_id = %user.user_id, "user registered");
    Ok(UserView::new(&user, store.permissions_for(&user).await?))
}

pub(crate) fn new_user(email: Email, password: &NewPassword, roles: Vec<String>) -> anyhow::Result<User> {
    Ok(User {
        user_id: uuid::Uuid::new_v4().to_string(),
        email,
        password_hash: password::hash(password.expose())?,
        roles,
        created_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        session_generation: 0,
        roles_version: 0,
        reset_epoch: 0,
        email_verified: false,
    })
}

pub(crate) fn registered_event(user: &User, correlation_id: &str) -> Envelope<UserRegistered> {
    Envelope::new(
        UserRegistered {
            user_id: user.user_id.clone(),
            email: user.email.as_str().to_owned(),
            roles: user.roles.clone(),
            verification: None,
        },
        correlation_id,
    )
}

/// Verifies the credentials (one generic error for unknown email and wrong password, and
/// the same argon2 cost either way) and opens a new session.
pub async fn login(
    store: &AuthStore,
    signer: &Signer,
    settings: &TokenSettings,
    limits: &RateLimits,
    req: LoginRequest,
) -> Result<TokenPair, AuthError> {
    let email = Email::parse(&req.email).map_err(|_| AuthError::InvalidCredentials)?;
    let now = now();
    // Every attempt is counted before its password is checked, so concurrent guesses each
    // see the others: at most `login_failures_per_account` of them are ever evaluated in a
    // window. A successful login takes its count back.
    let attempts_key = format!("login-fail:{}", email.as_str());
    let (attempts, window_end) = store.hit(&attempts_key, limits.window_seconds, now).await?;
    if attempts > limits.login_failures_per_account {
        return Err(AuthError::RateLimited { retry_after: (window_end - now).max(1) as u64 });
    }
    let user = store.user_by_email(&email).await?;
    let verified = match &user {
        Some(u) => password::verify(&req.password, &u.password_hash),
        None => {
            password::verify_against_dummy(&req.password);
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        return Err(AuthError::InvalidCredentials);
    };
    store.unhit(&attempts_key, limits.window_seconds, now).await?;
    let family = Family {
        family_id: uuid::Uuid::new_v4().to_string(),
        user_id: user.user_id.clone(),
        revoked: false,
        generation: user.session_generation,
        created_at: now,
        expires_at: now + settings.refresh_ttl_seconds,
    };
    let refresh = new_refresh(&family.family_id, &user.user_id, now, settings);
    store.start_session(&family, &refresh.1).await?;
    tracing::info!(user_id = %user.user_id, "logged in");
    let permissions = store.permissions_for(&user).await?;
    token_pair(signer, settings, &user, permissions, refresh.0, now)
}

fn new_refresh(family_id: &str, user_id: &str, now: i64, settings: &TokenSettings) -> (String, RefreshRecord) {
    let token = new_opaque_token();
    let record = RefreshRecord {
        token_hash: hash_token(&token),
        user_id: user_id.to_owned(),
        family_id: family_id.to_owned(),
        status: "active".to_owned(),
        expires_at: now + settings.refresh_ttl_seconds,
    };
    (token, record)
}

fn token_pair(
    signer: &Signer,
    settings: &TokenSettings,
    user: &User,
    permissions: Vec<String>,
    refresh: String,
    now: i64,
) -> Result<TokenPair, AuthError> {
    Ok(TokenPair {
        access_token: issue_access(signer, settings, user, permissions, now)?,
        token_type: "Bearer".to_owned(),
        expires_in: settings.access_ttl_seconds,
        refresh_token: refresh,
        refresh_expires_in: settings.refresh_ttl_seconds,
    })
}

/// Exchanges a refresh token for a new pair. The old token is rotated out; presenting a
/// rotated token again is treated as theft and revokes the whole session.
pub async fn refresh(
    store: &AuthStore,
    signer: &Signer,
    settings: &TokenSettings,
    token: &str,
) -> Result<TokenPair, AuthError> {
    let now = now();
    let record = store.refresh_record(&hash_token(token)).await?.ok_or(AuthError::InvalidRefreshToken)?;
    if record.status != "active" {
        tracing::warn!(family_id = %record.family_id, "refresh token reuse: revoking session");
        store.revoke_family(&record.family_id).await?;
        return Err(AuthError::InvalidRefreshToken);
    }
    let family = store.family(&record.family_id).await?.ok_or(AuthError::InvalidRefreshToken)?;
    let user = store.user(&record.user_id).await?.ok_or(AuthError::InvalidRefreshToken)?;
    // A session ends at its family's expiry however often it is refreshed: rotation never
    // extends it.
    if record.expires_at <= now
        || family.expires_at <= now
        || family.revoked
        || family.generation != user.session_generation
    {
        return Err(AuthError::InvalidRefreshToken);
    }
    let (new_token, mut new_record) = new_refresh(&family.family_id, &user.user_id, now, settings);
    new_record.expires_at = new_record.expires_at.min(family.expires_at);
    if !store.rotate(&record, &new_record).await? {
        // Lost a race with another use of the same token: that is reuse too.
        store.revoke_family(&record.family_id).await?;
        return Err(AuthError::InvalidRefreshToken);
    }
    // Roles and permissions are read afresh: a refreshed token carries any change made
    // since the last one.
    let permissions = store.permissions_for(&user).await?;
    let mut pair = token_pair(signer, settings, &user, permissions, new_token, now)?;
    pair.refresh_expires_in = new_record.expires_at - now;
    Ok(pair)
}

/// Ends the session the refresh token belongs to. Unknown tokens are ignored (logout is
/// idempotent and says nothing about which tokens exist).
pub async fn logout(store: &AuthStore, token: &str) -> Result<(), AuthError> {
    if let Some(record) = store.refresh_record(&hash_token(token)).await? {
        store.revoke_family(&record.family_id).await?;
        tracing::info!(user_id = %record.user_id, "logged out");
    }
    Ok(())
}

/// Starts a password reset if the account exists; the caller learns nothing either way.
/// The event names the reset by its id ([`LinkRef`]): notifications makes the link from it,
/// so no event, queue or archive ever holds a working one. Requests are counted per email
/// address and day before the account is looked up, so the cap answers the same 429
/// whether or not the account exists.
pub async fn forgot_password(
    store: &AuthStore,
    settings: &ResetSettings,
    email: &str,
    correlation_id: &str,
) -> Result<(), AuthError> {
    let email = Email::parse(email)?;
    let now = now();
    let (requests, day_end) = store.hit(&format!("forgot:{}", email.as_str()), DAY_SECONDS, now).await?;
    if requests > settings.per_email_per_day {
        return Err(AuthError::RateLimited { retry_after: (day_end - now).max(1) as u64 });
    }
    let Some(user) = store.user_by_email(&email).await? else {
        return Ok(());
    };
    let record = ResetRecord {
        reset_id: uuid::Uuid::new_v4().to_string(),
        user_id: user.user_id.clone(),
        expires_at: now + settings.ttl_seconds,
        epoch: user.reset_epoch,
    };
    let event = Envelope::new(
        PasswordResetRequested {
            user_id: user.user_id.clone(),
            email: user.email.as_str().to_owned(),
            reset: LinkRef { id: record.reset_id.clone(), expires_at: at(record.expires_at) },
        },
        correlation_id,
    );
    store.request_reset(&record, &event).await?;
    tracing::info!(user_id = %user.user_id, "password reset requested");
    Ok(())
}

/// A (UTC) day: the window of the per-day caps.
pub const DAY_SECONDS: i64 = 24 * 3600;

/// Epoch seconds as a time (now, for a value out of range).
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_else(Utc::now)
}

/// Sets a new password with a reset link's token (unexpired, of the user's current reset
/// epoch) and ends every session. The reset consumes every reset link of the user.
pub async fn reset_password(
    store: &AuthStore,
    key: &LinkKey,
    token: &str,
    new_password: &str,
) -> Result<(), AuthError> {
    // A token that does not carry our mac costs no database read.
    let id = key.open(LinkPurpose::PasswordReset, token).ok_or(AuthError::InvalidResetToken)?;
    let record = store.reset_record(id).await?.ok_or(AuthError::InvalidResetToken)?;
    let user = store.user(&record.user_id).await?.ok_or(AuthError::InvalidResetToken)?;
    if record.expires_at <= now() || record.epoch != user.reset_epoch {
        return Err(AuthError::InvalidResetToken);
    }
    let password = NewPassword::parse(new_password, &user.email)?;
    let hash = password::hash(password.expose())?;
    if !store.complete_reset(&record, &hash, now()).await? {
        return Err(AuthError::InvalidResetToken);
    }
    tracing::info!(user_id = %user.user_id, "password reset");
    Ok(())
}

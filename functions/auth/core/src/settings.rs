//! Auth settings, read once at init from the environment the template sets.

use bazaar_runtime::config::{ConfigError, Env};

/// Issuing and verifying access tokens.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
}

impl TokenSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(TokenSettings {
            issuer: env.required("JWT_ISSUER")?,
            audience: env.required("JWT_AUDIENCE")?,
            access_ttl_seconds: env.parsed_or("ACCESS_TOKEN_TTL_SECONDS", 900)?,
            refresh_ttl_seconds: env.parsed_or("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600)?,
        })
    }
}

/// Throttling of the unauthenticated routes (per client IP) and of failed logins (per account).
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub per_ip: u64,
    pub window_seconds: i64,
    pub login_failures_per_account: u64,
}

impl RateLimits {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(RateLimits {
            per_ip: env.parsed_or("AUTH_RATE_LIMIT_PER_IP", 100)?,
            window_seconds: env.parsed_or("AUTH_RATE_LIMIT_WINDOW_SECONDS", 900)?,
            login_failures_per_account: env.parsed_or("LOGIN_FAILURES_PER_ACCOUNT", 10)?,
        })
    }
}

/// Password reset links. The link itself is made by notifications (its page is the
/// `PASSWORD_RESET_URL` notifications holds); auth records the reset and opens its token.
#[derive(Debug, Clone)]
pub struct ResetSettings {
    pub ttl_seconds: i64,
    /// Reset requests per email address per (UTC) day; over it a 429, whether the account
    /// exists or not.
    pub per_email_per_day: u64,
}

impl ResetSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(ResetSettings {
            ttl_seconds: env.parsed_or("PASSWORD_RESET_TTL_SECONDS", 3600)?,
            per_email_per_day: env.parsed_or("PASSWORD_RESETS_PER_EMAIL_PER_DAY", 3)?,
        })
    }
}

/// Email verification links.
#[derive(Debug, Clone)]
pub struct VerificationSettings {
    pub ttl_seconds: i64,
    /// New links a user may ask for per (UTC) day; over it a 429.
    pub per_user_per_day: u64,
}

impl VerificationSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(VerificationSettings {
            ttl_seconds: env.parsed_or("EMAIL_VERIFICATION_TTL_SECONDS", 7 * 24 * 3600)?,
            per_user_per_day: env.parsed_or("EMAIL_VERIFICATIONS_PER_USER_PER_DAY", 3)?,
        })
    }
}

/// The table every auth function works on.
pub fn table_from_env(env: &Env) -> Result<String, ConfigError> {
    env.required("AUTH_TABLE")
}

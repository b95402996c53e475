//! Events emitted by the auth service (`source = bazaar.auth`).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

events!("bazaar.auth": UserRegistered = 1, PasswordResetRequested = 1);

/// A new account exists (self-registered customers and seeded admins alike).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserRegistered {
    pub user_id: String,
    pub email: String,
    pub roles: Vec<String>,
}

/// A user asked to reset their password. `reset_url` carries the single-use token so
/// notifications can send the link: consumers must never log it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PasswordResetRequested {
    pub user_id: String,
    pub email: String,
    pub reset_url: String,
    pub expires_at: DateTime<Utc>,
}

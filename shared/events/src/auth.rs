//! Events emitted by the auth service (`source = bazaar.auth`).
//!
//! No event carries a credential. A single-use link (a password reset, an email
//! verification) travels as a [`LinkRef`]: its id and expiry. The notifications service
//! derives the link's token from the id with the link key both services hold
//! (`bazaar_runtime::links`), so the outbox, the bus, the queues and the archive never hold a
//! working link.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

events!(
    "bazaar.auth": UserRegistered = 1,
    PasswordResetRequested = 2,
    EmailVerificationRequested = 1,
    EmailVerified = 1,
);

/// A single-use link by reference: the id its token is derived from, and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LinkRef {
    pub id: String,
    pub expires_at: DateTime<Utc>,
}

/// A new account exists (self-registered customers and seeded admins alike).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserRegistered {
    pub user_id: String,
    pub email: String,
    pub roles: Vec<String>,
    /// The email verification the welcome email links to. Absent for an account whose
    /// address needs no verification (a seeded admin), and in events published before
    /// addresses were verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<LinkRef>,
}

/// A user asked to reset their password: notifications mails the link of `reset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PasswordResetRequested {
    pub user_id: String,
    pub email: String,
    pub reset: LinkRef,
}

/// A user asked for a new verification link for their address (the welcome email's expired
/// or was lost): notifications mails the link of `verification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EmailVerificationRequested {
    pub user_id: String,
    pub email: String,
    pub verification: LinkRef,
}

/// The user proved they read mail at `email` (they opened a verification link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EmailVerified {
    pub user_id: String,
    pub email: String,
}

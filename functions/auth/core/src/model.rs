//! Parsed, valid-by-construction values of the auth domain.

use serde::{Deserialize, Serialize};

use crate::AuthError;

/// A normalised email address (trimmed, lower-cased), unique per account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// The longest address and local part, in bytes (RFC 5321's limits).
    pub const MAX_LEN: usize = 254;
    pub const MAX_LOCAL_LEN: usize = 64;

    /// The addresses the document describes, all of which [`Email::parse`] takes: a local part
    /// of printable ASCII but `@`, and a domain of dot-separated labels of letters, digits and
    /// inner hyphens. (`parse` also takes other non-blank characters in the local part, up to
    /// its byte limits; surrounding whitespace is trimmed.)
    pub fn pattern() -> String {
        let label = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?";
        format!("^[!-?A-~]{{1,{}}}@{label}(\\.{label})+$", Email::MAX_LOCAL_LEN)
    }

    pub fn parse(raw: &str) -> Result<Email, AuthError> {
        let email = raw.trim().to_lowercase();
        let bad = |m: &str| AuthError::invalid("email", m);
        if email.len() > Email::MAX_LEN {
            return Err(bad("must be at most 254 characters"));
        }
        let (local, domain) = email.split_once('@').ok_or_else(|| bad("must be an email address"))?;
        let valid_local =
            !local.is_empty() && local.len() <= Email::MAX_LOCAL_LEN && !local.contains(char::is_whitespace);
        let valid_label = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let valid_domain = domain.contains('.') && domain.split('.').all(valid_label);
        if !valid_local || !valid_domain || email.chars().any(char::is_control) {
            return Err(bad("must be an email address"));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that satisfies the policy: 12–128 characters, at least one letter and one
/// digit, and not containing the email's local part. Never logged, never serialized.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_LEN: usize = 12;
    pub const MAX_LEN: usize = 128;
    /// A letter and a digit, in either order, as the document's pattern searches for them.
    /// (`parse` takes any alphabetic character as the letter, not only ASCII ones.)
    pub const PATTERN: &str = "[A-Za-z][\\s\\S]*[0-9]|[0-9][\\s\\S]*[A-Za-z]";

    pub fn parse(raw: &str, email: &Email) -> Result<NewPassword, AuthError> {
        let bad = |m: &str| AuthError::invalid("password", m);
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(bad("must be at least 12 characters"));
        }
        if len > Self::MAX_LEN {
            return Err(bad("must be at most 128 characters"));
        }
        if !raw.chars().any(char::is_alphabetic) || !raw.chars().any(|c| c.is_ascii_digit()) {
            return Err(bad("must contain at least one letter and one digit"));
        }
        let local = email.as_str().split('@').next().unwrap_or_default();
        if local.len() >= 4 && raw.to_lowercase().contains(local) {
            return Err(bad("must not contain your email address"));
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// An account as stored (`USER#<id>` / `PROFILE`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    pub email: Email,
    pub password_hash: String,
    pub roles: Vec<String>,
    pub created_at: String,
    /// Bumped by a password reset: sessions (refresh-token families) opened under an older
    /// generation are dead, so every existing session ends.
    #[serde(default)]
    pub session_generation: u64,
    /// The version of the last `UserRolesChanged` applied to `roles` (0: as registered).
    #[serde(default)]
    pub roles_version: u64,
    /// Bumped by a password reset: every reset recorded under an older epoch is dead, so a
    /// reset consumes all the user's reset links at once.
    #[serde(default)]
    pub reset_epoch: u64,
    /// Whether the user opened a verification link sent to `email` (seeded admins start
    /// verified; accounts stored before addresses were verified, unverified).
    #[serde(default)]
    pub email_verified: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User").field("user_id", &self.user_id).field("roles", &self.roles).finish_non_exhaustive()
    }
}

/// What `GET /auth/me` and `GET /auth/users/{id}` show of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "User")]
pub struct UserView {
    pub id: String,
    /// Normalised: trimmed and lower-cased.
    pub email: String,
    /// Whether the owner opened a verification link sent to `email` (the welcome email
    /// carries one; `POST /auth/email/verification` sends another).
    pub email_verified: bool,
    pub roles: Vec<String>,
    /// Every permission the roles grant.
    pub permissions: Vec<String>,
    /// RFC 3339, UTC, to the second.
    pub created_at: String,
}

impl UserView {
    /// The view of `u`, whose roles grant `permissions` (see `AuthStore::permissions_for`).
    pub fn new(u: &User, permissions: Vec<String>) -> UserView {
        UserView {
            id: u.user_id.clone(),
            email: u.email.as_str().to_owned(),
            email_verified: u.email_verified,
            roles: u.roles.clone(),
            permissions,
            created_at: u.created_at.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_junk_refused() {
        assert_eq!(Email::parse("  Ana@Example.COM ").expect("valid").as_str(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@x.io", "ana@localhost", "a na@x.io", "ana@x..io", "ana@-x.io\n"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn password_policy_names_what_is_wrong() {
        let email = Email::parse("maria@shop.io").expect("valid");
        assert!(NewPassword::parse("correct horse 42", &email).is_ok());
        for (bad, why) in [
            ("short1", "at least 12"),
            ("onlyletterslong", "letter and one digit"),
            ("123456789012345", "letter and one digit"),
            ("Maria-is-42-today", "email"),
        ] {
            let err = NewPassword::parse(bad, &email).expect_err(bad);
            assert!(format!("{err:?}").contains(why), "{bad}: {err:?}");
        }
        assert!(NewPassword::parse(&"a1".repeat(65), &email).is_err());
    }

    #[test]
    fn the_documented_limits_are_the_validated_ones() {
        let schema = schemars::schema_for!(crate::flows::RegisterRequest);
        let stated =
            |pointer: &str| schema.as_value().pointer(pointer).and_then(serde_json::Value::as_u64).expect(pointer);
        let max = stated("/properties/email/maxLength") as usize;
        let domain = format!("{}.io", "d".repeat(max - Email::MAX_LOCAL_LEN - 1 - 3));
        let longest = format!("{}@{domain}", "l".repeat(Email::MAX_LOCAL_LEN));
        assert_eq!(longest.len(), max);
        assert!(Email::parse(&longest).is_ok(), "an address at the documented limit");
        assert!(Email::parse(&format!("{longest}x")).is_err() && Email::parse(&format!("l{longest}")).is_err());
        assert!(Email::pattern().contains(&format!("{{1,{}}}", Email::MAX_LOCAL_LEN)));
        assert_eq!(schema.as_value()["properties"]["email"]["pattern"], Email::pattern());
        let email = Email::parse("maria@shop.io").expect("valid");
        let (min, max) =
            (stated("/properties/password/minLength") as usize, stated("/properties/password/maxLength") as usize);
        for (password, valid) in [
            (format!("1{}", "a".repeat(min - 1)), true),
            (format!("1{}", "a".repeat(min - 2)), false),
            (format!("{}1", "a".repeat(max - 1)), true),
            (format!("{}1", "a".repeat(max)), false),
        ] {
            assert_eq!(NewPassword::parse(&password, &email).is_ok(), valid, "{} characters", password.len());
        }
        assert_eq!(schema.as_value()["properties"]["password"]["pattern"], NewPassword::PATTERN);
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let email = Email::parse("x@y.io").expect("valid");
        let p = NewPassword::parse("s3cret-password", &email).expect("valid");
        assert!(!format!("{p:?}").contains("s3cret"));
    }
}

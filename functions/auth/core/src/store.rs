//! The auth table (single-table design). Items:
//! `USER#<id>/PROFILE` the account · `EMAIL#<email>/EMAIL` uniqueness lock ·
//! `REFRESH#<sha256>/TOKEN` a refresh token · `FAMILY#<id>/FAMILY` a login session whose
//! tokens rotate · `RESET#<id>/RESET` a password reset and `VERIFY#<id>/VERIFY` an email
//! verification (their links' tokens are derived from the id with the link key) · `RATE#<key>/<window>` a
//! throttling counter · `ROLE#<name>/ROLE` the projection of a role (from `RoleChanged`) ·
//! `OUTBOX#<event id>/EVENT` an event for the publisher.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use bazaar_aws::dynamo::{applied, keyed, n, s};
use bazaar_aws::table::{Write, failed};
use bazaar_events::Envelope;
use bazaar_events::auth::{EmailVerificationRequested, EmailVerified, PasswordResetRequested, UserRegistered};
use bazaar_events::permissions::{RoleChanged, UserRolesChanged};
use serde::{Deserialize, Serialize};

use crate::roles::{RoleRecord, permissions_of};
pub use crate::verification::VerificationRecord;
use crate::{AuthError, Email, User};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub token_hash: String,
    pub user_id: String,
    pub family_id: String,
    /// `active` until used once, then `rotated`: using a rotated token is reuse.
    pub status: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Family {
    pub family_id: String,
    pub user_id: String,
    pub revoked: bool,
    /// The user's session generation when the session opened.
    pub generation: u64,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRecord {
    pub reset_id: String,
    pub user_id: String,
    pub expires_at: i64,
    /// The user's reset epoch when it was requested: a reset bumps the epoch, so every
    /// other reset of the user dies with it.
    pub epoch: u64,
}

pub(crate) fn user_pk(id: &str) -> String {
    format!("USER#{id}")
}

bazaar_aws::store!(
    /// The auth table, holding the items this module lists.
    pub AuthStore = "AUTH_TABLE", table_deps
);

impl AuthStore {
    /// Creates the account, its email lock, its first email verification (if any) and its
    /// `UserRegistered` event atomically; `EmailTaken` when the email is already locked
    /// (even by a concurrent request).
    pub async fn create_user(
        &self,
        user: &User,
        verification: Option<&VerificationRecord>,
        event: &Envelope<UserRegistered>,
    ) -> Result<(), AuthError> {
        let email_lock = serde_json::json!({ "user_id": user.user_id });
        let mut profile = keyed(user_pk(&user.user_id), "PROFILE", user)?;
        profile.insert("gsi1pk".into(), s("USERS"));
        profile.insert("gsi1sk".into(), s(format!("{}#{}", user.created_at, user.user_id)));
        let mut items = vec![
            self.table.put_new(keyed(format!("EMAIL#{}", user.email.as_str()), "EMAIL", &email_lock)?)?,
            self.table.put_new(profile)?,
            self.table.outbox(event)?,
        ];
        if let Some(record) = verification {
            items.push(self.table.put_new(keyed(verify_pk(&record.verification_id), "VERIFY", record)?)?);
        }
        match self.table.commit(items).await {
            Ok(()) => Ok(()),
            Err(e) if e.condition_failed_at(0) => Err(AuthError::EmailTaken),
            Err(e) => Err(e.context("registering user").into()),
        }
    }

    pub async fn user(&self, user_id: &str) -> anyhow::Result<Option<User>> {
        self.table.get_keyed(user_pk(user_id), "PROFILE").await
    }

    pub async fn user_by_email(&self, email: &Email) -> anyhow::Result<Option<User>> {
        #[derive(Deserialize)]
        struct Lock {
            user_id: String,
        }
        match self.table.get_keyed::<Lock>(format!("EMAIL#{}", email.as_str()), "EMAIL").await? {
            Some(lock) => self.user(&lock.user_id).await,
            None => Ok(None),
        }
    }

    /// Stores a new session (family) with its first refresh token.
    pub async fn start_session(&self, family: &Family, token: &RefreshRecord) -> anyhow::Result<()> {
        let items = vec![
            self.table.put_new(keyed(format!("FAMILY#{}", family.family_id), "FAMILY", family)?)?,
            self.table.put_new(keyed(format!("REFRESH#{}", token.token_hash), "TOKEN", token)?)?,
        ];
        self.table.commit(items).await.map_err(|e| e.context("starting session"))
    }

    pub async fn refresh_record(&self, token_hash: &str) -> anyhow::Result<Option<RefreshRecord>> {
        self.table.get_keyed(format!("REFRESH#{token_hash}"), "TOKEN").await
    }

    pub async fn family(&self, family_id: &str) -> anyhow::Result<Option<Family>> {
        self.table.get_keyed(format!("FAMILY#{family_id}"), "FAMILY").await
    }

    /// Marks `old` rotated and stores `new` in one transaction, only if `old` is still
    /// active and its family not revoked. `false`: another request used `old` first.
    pub async fn rotate(&self, old: &RefreshRecord, new: &RefreshRecord) -> anyhow::Result<bool> {
        let mark = self
            .table
            .update(format!("REFRESH#{}", old.token_hash), "TOKEN")
            .update_expression("SET #status = :rotated")
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":rotated", s("rotated"))
            .expression_attribute_values(":active", s("active"))
            .build()?;
        let family_alive = self
            .table
            .check(format!("FAMILY#{}", old.family_id), "FAMILY")
            .condition_expression("revoked = :no")
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()?;
        let items = vec![
            Write::from(mark),
            Write::from(family_alive),
            self.table.put_new(keyed(format!("REFRESH#{}", new.token_hash), "TOKEN", new)?)?,
        ];
        match self.table.commit(items).await {
            Ok(()) => Ok(true),
            Err(e) if e.cancelled() => Ok(false),
            Err(e) => Err(e.context("rotating refresh token")),
        }
    }

    /// Ends a session: every refresh token of the family stops working.
    pub async fn revoke_family(&self, family_id: &str) -> anyhow::Result<()> {
        let result = self
            .table
            .update_item(format!("FAMILY#{family_id}"), "FAMILY")
            .update_expression("SET revoked = :yes")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        // No such family (the condition failed): nothing to revoke.
        applied(result, "revoking session")?;
        Ok(())
    }

    /// Adds one to a fixed-window counter and returns the new count and when the window ends.
    pub async fn hit(&self, key: &str, window_seconds: i64, now: i64) -> anyhow::Result<(u64, i64)> {
        let (window, end) = window_of(now, window_seconds);
        let out = self
            .table
            .update_item(format!("RATE#{key}"), window.to_string())
            .update_expression("ADD #count :one SET expires_at = :expires")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(end + 60))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| failed("counting", e))?;
        let count = out
            .attributes()
            .and_then(|a| a.get("count"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok((count, end))
    }

    /// Takes back one [`AuthStore::hit`] made at `now` (same window): an attempt that
    /// turned out not to count.
    pub async fn unhit(&self, key: &str, window_seconds: i64, now: i64) -> anyhow::Result<()> {
        let (window, _) = window_of(now, window_seconds);
        let result = self
            .table
            .update_item(format!("RATE#{key}"), window.to_string())
            .update_expression("ADD #count :minus_one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":minus_one", n(-1))
            .send()
            .await;
        // No such counter (the condition failed): nothing to take back.
        applied(result, "uncounting")?;
        Ok(())
    }

    /// Stores a reset and its `PasswordResetRequested` event atomically.
    pub async fn request_reset(
        &self,
        record: &ResetRecord,
        event: &Envelope<PasswordResetRequested>,
    ) -> anyhow::Result<()> {
        let items =
            vec![self.table.put_new(keyed(reset_pk(&record.reset_id), "RESET", record)?)?, self.table.outbox(event)?];
        self.table.commit(items).await.map_err(|e| e.context("storing reset"))
    }

    pub async fn reset_record(&self, reset_id: &str) -> anyhow::Result<Option<ResetRecord>> {
        self.table.get_keyed(reset_pk(reset_id), "RESET").await
    }

    /// Consumes the reset (only once, only before it expires, only while the user's reset
    /// epoch is still the reset's) and sets the new password hash, ending every existing
    /// session and, by bumping the epoch, every other reset of the user. `false` if the
    /// reset was not usable.
    pub async fn complete_reset(&self, record: &ResetRecord, password_hash: &str, now: i64) -> anyhow::Result<bool> {
        let consume = self
            .table
            .update(reset_pk(&record.reset_id), "RESET")
            .update_expression("SET used_at = :now")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now")
            .expression_attribute_values(":now", n(now))
            .build()?;
        // Users stored before resets had epochs have none: that is epoch 0.
        let same_epoch = if record.epoch == 0 {
            "attribute_exists(pk) AND (attribute_not_exists(reset_epoch) OR reset_epoch = :epoch)"
        } else {
            "attribute_exists(pk) AND reset_epoch = :epoch"
        };
        let set_password = self
            .table
            .update(user_pk(&record.user_id), "PROFILE")
            .update_expression("SET password_hash = :hash ADD session_generation :one, reset_epoch :one")
            .condition_expression(same_epoch)
            .expression_attribute_values(":hash", s(password_hash))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":epoch", n(record.epoch))
            .build()?;
        let items = vec![Write::from(consume), Write::from(set_password)];
        match self.table.commit(items).await {
            Ok(()) => Ok(true),
            Err(e) if e.cancelled() => Ok(false),
            Err(e) => Err(e.context("resetting password")),
        }
    }

    /// The projected records of `roles` (those the permissions service ever changed).
    pub async fn role_records(&self, roles: &[String]) -> anyhow::Result<HashMap<String, RoleRecord>> {
        let mut records = HashMap::new();
        for role in roles {
            if let Some(record) = self.table.get_keyed::<RoleRecord>(role_pk(role), "ROLE").await? {
                records.insert(role.clone(), record);
            }
        }
        Ok(records)
    }

    /// What `user`'s roles grant right now, per the projection.
    pub async fn permissions_for(&self, user: &User) -> anyhow::Result<Vec<String>> {
        Ok(permissions_of(&user.roles, &self.role_records(&user.roles).await?))
    }

    /// Applies a `RoleChanged` unless the projection already holds that version or a newer
    /// one (redelivered or out-of-order events change nothing). True when applied.
    pub async fn apply_role_changed(&self, event: &RoleChanged) -> anyhow::Result<bool> {
        let result = self
            .table
            .put_item(keyed(role_pk(&event.role), "ROLE", &RoleRecord::from(event))?)
            .condition_expression("attribute_not_exists(pk) OR version < :v")
            .expression_attribute_values(":v", n(event.version))
            .send()
            .await;
        Ok(applied(result, "projecting role")?.is_some())
    }

    /// Sets the user's roles from a `UserRolesChanged` unless a newer (or the same) version
    /// was applied already. True when applied; false when stale or the user is unknown.
    pub async fn apply_user_roles(&self, event: &UserRolesChanged) -> anyhow::Result<bool> {
        let roles = event.roles.iter().map(|r| s(r.as_str())).collect();
        let result = self
            .table
            .update_item(user_pk(&event.user_id), "PROFILE")
            .update_expression("SET #roles = :roles, roles_version = :v")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(roles_version) OR roles_version < :v)",
            )
            .expression_attribute_names("#roles", "roles")
            .expression_attribute_values(":roles", AttributeValue::L(roles))
            .expression_attribute_values(":v", n(event.version))
            .send()
            .await;
        Ok(applied(result, "projecting user roles")?.is_some())
    }
}

pub(crate) fn verify_pk(verification_id: &str) -> String {
    format!("VERIFY#{verification_id}")
}

fn reset_pk(reset_id: &str) -> String {
    format!("RESET#{reset_id}")
}

fn role_pk(role: &str) -> String {
    format!("ROLE#{role}")
}

/// The fixed window containing `now`: its start and end (epoch seconds).
pub fn window_of(now: i64, window_seconds: i64) -> (i64, i64) {
    let size = window_seconds.max(1);
    let start = now - now.rem_euclid(size);
    (start, start + size)
}

impl AuthStore {
    pub async fn verification(&self, verification_id: &str) -> anyhow::Result<Option<VerificationRecord>> {
        self.table.get_keyed(verify_pk(verification_id), "VERIFY").await
    }

    /// Stores a new verification and its `EmailVerificationRequested` event atomically.
    pub async fn request_verification(
        &self,
        record: &VerificationRecord,
        event: &Envelope<EmailVerificationRequested>,
    ) -> anyhow::Result<()> {
        let items = vec![
            self.table.put_new(keyed(verify_pk(&record.verification_id), "VERIFY", record)?)?,
            self.table.outbox(event)?,
        ];
        self.table.commit(items).await.map_err(|e| e.context("storing verification"))
    }

    /// Marks `user_id`'s address verified, while it is still `email` and not verified yet,
    /// with its `EmailVerified` event, in one transaction. `false` when the condition failed
    /// (verified already, or the address changed).
    pub async fn mark_email_verified(
        &self,
        user_id: &str,
        email: &str,
        event: &Envelope<EmailVerified>,
    ) -> anyhow::Result<bool> {
        let verify = self
            .table
            .update(user_pk(user_id), "PROFILE")
            .update_expression("SET email_verified = :yes")
            .condition_expression(
                "attribute_exists(pk) AND email = :email AND (attribute_not_exists(email_verified) OR email_verified = :no)",
            )
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(":email", s(email))
            .build()?;
        match self.table.commit(vec![Write::from(verify), self.table.outbox(event)?]).await {
            Ok(()) => Ok(true),
            Err(e) if e.cancelled() => Ok(false),
            Err(e) => Err(e.context("verifying email")),
        }
    }
}

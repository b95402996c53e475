//! The permissions table (single-table design). Items:
//! `ROLES` / `ROLE#<name>` a role (one partition: roles are few, and listing them is one
//! strongly consistent Query) · `USER#<id>` / `USER` a user's roles ·
//! `PROCESSED#<consumer>#<event id>` inbox markers · `OUTBOX#<event id>` / `EVENT` events.
//!
//! Writes are transaction items built here and composed by [`crate::flows`], so a state
//! change, the members count it implies and its event always commit together.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use bazaar_aws::dynamo::{NEW, keyed, n, s};
use bazaar_aws::table::Write;
use bazaar_events::permissions::ADMIN;

use crate::model::{Role, UserRoles};

/// The partition holding every role.
pub const ROLES_PK: &str = "ROLES";
const USER_SK: &str = "USER";

pub fn role_sk(name: &str) -> String {
    format!("ROLE#{name}")
}

pub fn user_pk(id: &str) -> String {
    format!("USER#{id}")
}

fn list(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|v| s(v.as_str())).collect())
}

fn optional(value: Option<&str>) -> AttributeValue {
    value.map_or(AttributeValue::Null(true), s)
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Written,
    /// Cancelled: the conditions of the items at these indexes did not hold.
    ConditionFailed(Vec<usize>),
    /// Cancelled because a concurrent transaction touched the same items: re-read and retry.
    Conflict,
}

impl Outcome {
    pub fn failed_at(&self, index: usize) -> bool {
        matches!(self, Outcome::ConditionFailed(failed) if failed.contains(&index))
    }
}

/// Which way a members count moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// One more holder; a built-in role's item is created on its first holder.
    Join,
    /// One holder less; never below zero, and never below one for `admin`.
    Leave,
}

bazaar_aws::store!(
    /// The permissions table, holding the items this module lists.
    pub PermissionsStore = "PERMISSIONS_TABLE", outbox, table_deps
);

impl PermissionsStore {
    // ── reads (all strongly consistent: every read precedes a conditional write) ──

    /// Every stored role by name, tombstones included.
    pub async fn roles(&self) -> anyhow::Result<BTreeMap<String, Role>> {
        let query = self
            .table
            .query()
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(ROLES_PK))
            .consistent_read(true);
        let roles: Vec<Role> = self.table.query_all(query, None, "listing roles").await?;
        Ok(roles.into_iter().map(|role| (role.name.clone(), role)).collect())
    }

    /// The stored role `name` (a tombstone too), `None` when never written.
    pub async fn role(&self, name: &str) -> anyhow::Result<Option<Role>> {
        self.table.get(ROLES_PK, role_sk(name)).await
    }

    pub async fn user(&self, id: &str) -> anyhow::Result<Option<UserRoles>> {
        self.table.get(user_pk(id), USER_SK).await
    }

    // ── transaction items ──

    /// Stores a new custom role: only if the name was never used, or still holds the
    /// tombstone at `tombstone_version` that was read.
    pub fn create_role(&self, role: &Role, tombstone_version: Option<u64>) -> anyhow::Result<Write> {
        let put = self.table.put_with(keyed(ROLES_PK, role_sk(&role.name), role)?);
        let put = match tombstone_version {
            None => put.condition_expression(NEW),
            Some(v) => put
                .condition_expression("#deleted = :true AND #version = :expected")
                .expression_attribute_names("#deleted", "deleted")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .expression_attribute_values(":expected", n(v)),
        };
        Ok(Write::from(put.build()?))
    }

    /// Writes `role`'s permissions, description and version, only if the stored role is
    /// still at `expected` (a built-in role read at version 0 may have no item yet). The
    /// members count is left to [`PermissionsStore::membership`].
    pub fn update_role(&self, role: &Role, expected: u64) -> anyhow::Result<Write> {
        let now = role.updated_at.clone().unwrap_or_default();
        let condition = if role.built_in && expected == 0 {
            "attribute_not_exists(pk) OR (#version = :expected AND #deleted = :false)"
        } else {
            "#version = :expected AND #deleted = :false"
        };
        let update = self
            .table
            .update(ROLES_PK, role_sk(&role.name))
            .update_expression(
                "SET #name = :name, #built_in = :built_in, #permissions = :permissions, \
                 #description = :description, #version = :version, #deleted = :false, #updated_at = :now, \
                 #members = if_not_exists(#members, :zero), #created_at = if_not_exists(#created_at, :now)",
            )
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names(&[
                "name",
                "built_in",
                "permissions",
                "description",
                "version",
                "deleted",
                "updated_at",
                "members",
                "created_at",
            ])))
            .expression_attribute_values(":name", s(role.name.as_str()))
            .expression_attribute_values(":built_in", AttributeValue::Bool(role.built_in))
            .expression_attribute_values(":permissions", list(&role.permissions))
            .expression_attribute_values(":description", optional(role.description.as_deref()))
            .expression_attribute_values(":version", n(role.version))
            .expression_attribute_values(":expected", n(expected))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", s(now))
            .build()?;
        Ok(Write::from(update))
    }

    /// Turns role `name` into a tombstone at `version`, only if it is still at `expected`
    /// and nobody holds it (so an assignment racing the delete cannot be lost).
    pub fn delete_role(&self, name: &str, expected: u64, version: u64, now: &str) -> anyhow::Result<Write> {
        let update = self
            .table
            .update(ROLES_PK, role_sk(name))
            .update_expression(
                "SET #deleted = :true, #permissions = :empty, #version = :version, #updated_at = :now \
                 REMOVE #description",
            )
            .condition_expression("#version = :expected AND #deleted = :false AND #members = :zero")
            .set_expression_attribute_names(Some(names(&[
                "deleted",
                "permissions",
                "version",
                "updated_at",
                "description",
                "members",
            ])))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":version", n(version))
            .expression_attribute_values(":expected", n(expected))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", s(now))
            .build()?;
        Ok(Write::from(update))
    }

    /// Moves `role`'s members count by one. Joining a custom role requires it to exist (not
    /// deleted); joining a built-in role creates its item with the defaults if there is
    /// none. Leaving requires a holder left to remove, and for `admin` one to remain.
    pub fn membership(&self, role: &Role, change: Membership, now: &str) -> anyhow::Result<Write> {
        let update = self.table.update(ROLES_PK, role_sk(&role.name)).expression_attribute_names("#members", "members");
        let update = match change {
            Membership::Join if role.built_in => update
                .update_expression(
                    "SET #name = if_not_exists(#name, :name), #built_in = :true, #deleted = :false, \
                     #permissions = if_not_exists(#permissions, :permissions), \
                     #description = if_not_exists(#description, :description), \
                     #version = if_not_exists(#version, :zero), #created_at = if_not_exists(#created_at, :now), \
                     #updated_at = if_not_exists(#updated_at, :now) ADD #members :one",
                )
                .set_expression_attribute_names(Some(names(&[
                    "name",
                    "built_in",
                    "deleted",
                    "permissions",
                    "description",
                    "version",
                    "created_at",
                    "updated_at",
                    "members",
                ])))
                .expression_attribute_values(":name", s(role.name.as_str()))
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .expression_attribute_values(":permissions", list(&role.permissions))
                .expression_attribute_values(":description", optional(role.description.as_deref()))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":now", s(now))
                .expression_attribute_values(":one", n(1)),
            Membership::Join => update
                .update_expression("ADD #members :one")
                .condition_expression("attribute_exists(pk) AND #deleted = :false")
                .expression_attribute_names("#deleted", "deleted")
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .expression_attribute_values(":one", n(1)),
            Membership::Leave => update
                .update_expression("ADD #members :minus_one")
                .condition_expression("#members > :floor")
                .expression_attribute_values(":minus_one", n(-1))
                .expression_attribute_values(":floor", n(if role.name == ADMIN { 1 } else { 0 })),
        };
        Ok(Write::from(update.build()?))
    }

    /// Stores a user's first role set, only if the user has none stored yet.
    pub fn create_user(&self, user: &UserRoles, now: &str) -> anyhow::Result<Write> {
        let mut item = keyed(user_pk(&user.user_id), USER_SK, user)?;
        item.insert("created_at".into(), s(now));
        item.insert("updated_at".into(), s(now));
        self.table.put_new(item)
    }

    /// Replaces a user's roles and version, only if the stored version is still `expected`.
    pub fn update_user(&self, user: &UserRoles, expected: u64, now: &str) -> anyhow::Result<Write> {
        let update = self
            .table
            .update(user_pk(&user.user_id), USER_SK)
            .update_expression("SET #roles = :roles, #version = :version, #updated_at = :now")
            .condition_expression("#version = :expected")
            .set_expression_attribute_names(Some(names(&["roles", "version", "updated_at"])))
            .expression_attribute_values(":roles", list(&user.roles))
            .expression_attribute_values(":version", n(user.version))
            .expression_attribute_values(":expected", n(expected))
            .expression_attribute_values(":now", s(now))
            .build()?;
        Ok(Write::from(update))
    }

    /// Runs one transaction; a cancellation for conditions or conflicts is an outcome,
    /// anything else an error.
    pub async fn transact(&self, writes: Vec<Write>) -> anyhow::Result<Outcome> {
        let Err(e) = self.table.commit(writes).await else { return Ok(Outcome::Written) };
        let failed = e.failed_conditions();
        if !failed.is_empty() {
            return Ok(Outcome::ConditionFailed(failed));
        }
        if e.conflicted() {
            return Ok(Outcome::Conflict);
        }
        Err(e.context("TransactWriteItems"))
    }
}

/// `#attr` → `attr` for every attribute an expression names (several are reserved words).
fn names(attrs: &[&str]) -> std::collections::HashMap<String, String> {
    attrs.iter().map(|a| (format!("#{a}"), (*a).to_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> PermissionsStore {
        let config = aws_sdk_dynamodb::Config::builder().behavior_version_latest().build();
        PermissionsStore::new(aws_sdk_dynamodb::Client::from_conf(config), "t")
    }

    fn update(write: &Write) -> &aws_sdk_dynamodb::types::Update {
        write.as_sdk().update().expect("an update")
    }

    #[test]
    fn leaving_admin_keeps_one_holder_and_other_roles_never_go_below_zero() {
        let admin = Role::implicit("admin").expect("built-in");
        let owner = Role::implicit("owner").expect("built-in");
        let admin_leave = store().membership(&admin, Membership::Leave, "now").expect("item");
        let owner_leave = store().membership(&owner, Membership::Leave, "now").expect("item");
        assert_eq!(update(&admin_leave).condition_expression(), Some("#members > :floor"));
        let floor = |i: &Write| update(i).expression_attribute_values().expect("values")[":floor"].clone();
        assert_eq!(floor(&admin_leave), n(1));
        assert_eq!(floor(&owner_leave), n(0));
    }

    #[test]
    fn joining_creates_a_built_in_roles_item_but_requires_a_custom_role_to_exist() {
        let built_in = store().membership(&Role::implicit("owner").expect("built-in"), Membership::Join, "now");
        let built_in = built_in.expect("item");
        assert_eq!(update(&built_in).condition_expression(), None);
        assert!(update(&built_in).update_expression().contains("if_not_exists(#permissions, :permissions)"));

        let mut custom = Role::implicit("owner").expect("built-in");
        custom.name = "auditor".into();
        custom.built_in = false;
        let custom = store().membership(&custom, Membership::Join, "now").expect("item");
        assert_eq!(update(&custom).condition_expression(), Some("attribute_exists(pk) AND #deleted = :false"));
    }

    #[test]
    fn an_unwritten_built_in_role_may_be_updated_from_version_0_only() {
        let mut role = Role::implicit("front_desk").expect("built-in");
        role.version = 1;
        let first = store().update_role(&role, 0).expect("item");
        assert!(update(&first).condition_expression().expect("condition").starts_with("attribute_not_exists(pk) OR"));
        role.version = 2;
        let later = store().update_role(&role, 1).expect("item");
        assert_eq!(update(&later).condition_expression(), Some("#version = :expected AND #deleted = :false"));
    }
}

//! The permissions use cases, one function each, over the store. Handlers parse the
//! request or the message, call one of these, and render the result. Every write is
//! conditional on what was read; a lost race re-reads and tries again a few times.

use bazaar_events::Envelope;
use bazaar_events::permissions::{ADMIN, RoleChanged, UserRolesChanged, is_built_in};
use bazaar_runtime::Identity;
use bazaar_runtime::problem::FieldError;
use chrono::Utc;
use serde::Deserialize;

use crate::model::{
    self, Role, UserRoles, UserRolesView, all_roles, beyond, check_admin_keeps, could_be_role, normalized,
    parse_description, parse_permissions,
};
use crate::store::{Membership, Outcome};
use crate::{PermissionsError, PermissionsStore};

/// How often a write is tried when a concurrent change got there first.
const ATTEMPTS: usize = 4;
/// Longest user id a path may carry (auth's ids are UUIDs).
const MAX_USER_ID_LEN: usize = 128;
/// Most roles a registration may bring (each is one item of the transaction).
const MAX_REGISTERED_ROLES: usize = 50;

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn retry_later() -> PermissionsError {
    PermissionsError::Conflict("it changed concurrently; try again".into())
}

/// 403 `beyond-own-permissions` unless `caller` holds every permission of `wanted`: nobody
/// grants, puts into a role, or changes a role holding, what they do not hold themselves.
/// Admins hold every permission.
fn within_own(caller: &Identity, wanted: &[String]) -> Result<(), PermissionsError> {
    let missing = beyond(caller, wanted);
    if missing.is_empty() { Ok(()) } else { Err(PermissionsError::Beyond(missing)) }
}

/// `POST /roles`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    /// 2 to 32 characters: a lowercase letter, then lowercase letters, digits or `_`; not a
    /// role that exists (409).
    #[schemars(pattern(model::role_name_pattern()))]
    pub name: String,
    /// Each a permission services know (an unknown one is a 422), and held by the caller (403);
    /// duplicates are dropped.
    #[schemars(schema_with = "model::permissions_schema")]
    pub permissions: Vec<String>,
    /// At most 200 characters, without control characters; trimmed.
    #[serde(default)]
    #[schemars(length(max = model::MAX_DESCRIPTION_CHARS), pattern(model::description_pattern()))]
    pub description: Option<String>,
}

/// `PUT /roles/{name}`. A description left out keeps the current one; `""` clears it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    /// The role's new permissions (all of them), each one services know and the caller holds;
    /// the admin role keeps every permission (422).
    #[schemars(schema_with = "model::permissions_schema")]
    pub permissions: Vec<String>,
    /// At most 200 characters, without control characters; left out keeps the current one,
    /// `""` clears it.
    #[serde(default)]
    #[schemars(length(max = model::MAX_DESCRIPTION_CHARS), pattern(model::description_pattern()))]
    pub description: Option<String>,
}

/// The permissions and description of a request, or every field error at once.
fn parse_grant(
    permissions: &[String],
    description: Option<&str>,
    mut errors: Vec<FieldError>,
) -> Result<(Vec<String>, Option<String>), PermissionsError> {
    let permissions = match parse_permissions(permissions) {
        Ok(p) => p,
        Err(e) => {
            errors.extend(e);
            Vec::new()
        }
    };
    let description = match description.map(parse_description).transpose() {
        Ok(d) => d,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if errors.is_empty() { Ok((permissions, description)) } else { Err(PermissionsError::Invalid(errors)) }
}

/// Every role, built-ins merged with the stored ones, sorted by name.
pub async fn list_roles(store: &PermissionsStore) -> Result<Vec<Role>, PermissionsError> {
    Ok(all_roles(&store.roles().await?))
}

fn role_changed(role: &Role, correlation_id: &str) -> Envelope<RoleChanged> {
    Envelope::new(
        RoleChanged {
            role: role.name.clone(),
            permissions: if role.deleted { Vec::new() } else { role.permissions.clone() },
            built_in: role.built_in,
            deleted: role.deleted,
            version: role.version,
        },
        correlation_id,
    )
}

/// Creates a custom role (409 if the name is taken, built-ins included) with permissions the
/// caller holds (403 otherwise) and emits `RoleChanged`. A name used by a deleted role
/// continues that role's version.
pub async fn create_role(
    store: &PermissionsStore,
    caller: &Identity,
    req: &CreateRole,
    correlation_id: &str,
) -> Result<Role, PermissionsError> {
    let name_errors = if model::is_valid_role_name(&req.name) {
        Vec::new()
    } else {
        vec![FieldError {
            field: "name".into(),
            message: "2 to 32 characters: a lowercase letter, then lowercase letters, digits or _".into(),
        }]
    };
    let (permissions, description) = parse_grant(&req.permissions, req.description.as_deref(), name_errors)?;
    within_own(caller, &permissions)?;
    if is_built_in(&req.name) {
        return Err(PermissionsError::Conflict(format!("the role {} already exists", req.name)));
    }
    for _ in 0..ATTEMPTS {
        let tombstone = match store.role(&req.name).await? {
            Some(r) if !r.deleted => {
                return Err(PermissionsError::Conflict(format!("the role {} already exists", req.name)));
            }
            stored => stored.map(|r| r.version),
        };
        let now = now();
        let role = Role {
            name: req.name.clone(),
            permissions: permissions.clone(),
            built_in: false,
            description: description.clone(),
            version: tombstone.map_or(1, |v| v + 1),
            members: 0,
            deleted: false,
            created_at: Some(now.clone()),
            updated_at: Some(now),
        };
        let event = role_changed(&role, correlation_id);
        let items = vec![store.create_role(&role, tombstone)?, store.event(&event)?];
        if store.transact(items).await? == Outcome::Written {
            tracing::info!(role = %role.name, version = role.version, "role created");
            return Ok(role);
        }
    }
    Err(retry_later())
}

/// Changes a role's permissions (and description), built-ins included, and emits
/// `RoleChanged` with the next version. The admin role keeps every permission (422). The
/// caller must hold every permission the role grants before and after (403). An update that
/// changes nothing answers with the role as it is, without a new version.
pub async fn update_role(
    store: &PermissionsStore,
    caller: &Identity,
    name: &str,
    req: &UpdateRole,
    correlation_id: &str,
) -> Result<Role, PermissionsError> {
    if !could_be_role(name) {
        return Err(PermissionsError::NotFound);
    }
    let (permissions, description) = parse_grant(&req.permissions, req.description.as_deref(), Vec::new())?;
    check_admin_keeps(name, &permissions)?;
    within_own(caller, &permissions)?;
    for _ in 0..ATTEMPTS {
        let current = Role::current(name, store.role(name).await?).ok_or(PermissionsError::NotFound)?;
        within_own(caller, &current.permissions)?;
        let mut next = current.clone();
        next.permissions = permissions.clone();
        if let Some(d) = &description {
            next.description = Some(d.clone());
        }
        if next == current {
            return Ok(current);
        }
        next.version = current.version + 1;
        next.updated_at = Some(now());
        let event = role_changed(&next, correlation_id);
        let items = vec![store.update_role(&next, current.version)?, store.event(&event)?];
        if store.transact(items).await? == Outcome::Written {
            tracing::info!(role = %name, version = next.version, "role updated");
            // Read back for the members count, which assignments change independently.
            return Role::current(name, store.role(name).await?).ok_or(PermissionsError::NotFound);
        }
    }
    Err(retry_later())
}

/// Deletes a custom role nobody holds (409 for built-ins and roles in use), granting only
/// permissions the caller holds (403), and emits `RoleChanged { deleted: true }`.
pub async fn delete_role(
    store: &PermissionsStore,
    caller: &Identity,
    name: &str,
    correlation_id: &str,
) -> Result<(), PermissionsError> {
    if is_built_in(name) {
        return Err(PermissionsError::Conflict("built-in roles cannot be deleted".into()));
    }
    if !could_be_role(name) {
        return Err(PermissionsError::NotFound);
    }
    for _ in 0..ATTEMPTS {
        let role = store.role(name).await?.filter(|r| !r.deleted).ok_or(PermissionsError::NotFound)?;
        within_own(caller, &role.permissions)?;
        if role.members > 0 {
            return Err(PermissionsError::Conflict(format!("role in use: {} user(s) hold it", role.members)));
        }
        let now = now();
        let mut gone = role.clone();
        gone.deleted = true;
        gone.permissions.clear();
        gone.version = role.version + 1;
        let event = role_changed(&gone, correlation_id);
        let items = vec![store.delete_role(name, role.version, gone.version, &now)?, store.event(&event)?];
        if store.transact(items).await? == Outcome::Written {
            tracing::info!(role = %name, version = gone.version, "role deleted");
            return Ok(());
        }
    }
    Err(retry_later())
}

fn could_be_user(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_USER_ID_LEN && !id.chars().any(char::is_control)
}

/// A user's roles and the permissions they grant; 404 for a user this service never saw.
pub async fn user_roles(store: &PermissionsStore, user_id: &str) -> Result<UserRolesView, PermissionsError> {
    if !could_be_user(user_id) {
        return Err(PermissionsError::NotFound);
    }
    let user = store.user(user_id).await?.ok_or(PermissionsError::NotFound)?;
    Ok(UserRolesView::new(&user, &store.roles().await?))
}

/// Gives `user_id` the role `role` and emits `UserRolesChanged`; a role already held
/// answers with the user's roles as they are, without an event. The caller must hold every
/// permission the role grants (403).
pub async fn grant(
    store: &PermissionsStore,
    caller: &Identity,
    user_id: &str,
    role: &str,
    correlation_id: &str,
) -> Result<UserRolesView, PermissionsError> {
    change_membership(store, caller, user_id, role, Membership::Join, correlation_id).await
}

/// Takes `role` from `user_id` and emits `UserRolesChanged`; 404 when not held. The last
/// holder of `admin` cannot lose it (409): the condition on the admin role's members count
/// is part of the transaction, so two concurrent revocations cannot both pass it. The caller
/// must hold every permission the role grants (403): a role manager cannot strip an admin.
pub async fn revoke(
    store: &PermissionsStore,
    caller: &Identity,
    user_id: &str,
    role: &str,
    correlation_id: &str,
) -> Result<UserRolesView, PermissionsError> {
    change_membership(store, caller, user_id, role, Membership::Leave, correlation_id).await
}

/// [`grant`] (`Join`) or [`revoke`] (`Leave`): the user's role set with `role` added or
/// taken out, written with the role's members count, retried while concurrent changes win.
async fn change_membership(
    store: &PermissionsStore,
    caller: &Identity,
    user_id: &str,
    role: &str,
    change: Membership,
    correlation_id: &str,
) -> Result<UserRolesView, PermissionsError> {
    if !could_be_user(user_id) || !could_be_role(role) {
        return Err(PermissionsError::NotFound);
    }
    let joining = change == Membership::Join;
    for _ in 0..ATTEMPTS {
        let user = store.user(user_id).await?.ok_or(PermissionsError::NotFound)?;
        let held = user.roles.iter().any(|r| r == role);
        if !joining && !held {
            return Err(PermissionsError::NotFound);
        }
        let roles = store.roles().await?;
        if joining && held {
            return Ok(UserRolesView::new(&user, &roles));
        }
        let changed = match Role::current(role, roles.get(role).cloned()) {
            Some(r) => r,
            None if joining => return Err(PermissionsError::NotFound),
            None => return Err(anyhow::anyhow!("user {user_id} holds role {role}, which does not exist").into()),
        };
        within_own(caller, &changed.permissions)?;
        let others = user.roles.iter().filter(|r| *r != role).cloned();
        let next = UserRoles {
            user_id: user.user_id.clone(),
            roles: normalized(others.chain(joining.then(|| role.to_owned()))),
            version: user.version + 1,
        };
        let outcome = change_user(store, &user, &next, &changed, change, &now(), correlation_id).await?;
        if outcome == Outcome::Written {
            let done = if joining { "granted" } else { "revoked" };
            tracing::info!(user_id, role, version = next.version, "role {done}");
            return Ok(UserRolesView::new(&next, &roles));
        }
        if !joining && outcome.failed_at(1) && !outcome.failed_at(0) {
            if role == ADMIN {
                return Err(PermissionsError::Conflict("the last admin cannot lose admin".into()));
            }
            return Err(anyhow::anyhow!("role {role} has no members to remove although user {user_id} holds it").into());
        }
    }
    Err(retry_later())
}

/// One transaction: the user's new role set (conditional on the version read, item 0),
/// the members count of the role that changed (item 1) and `UserRolesChanged`.
async fn change_user(
    store: &PermissionsStore,
    before: &UserRoles,
    after: &UserRoles,
    role: &Role,
    change: Membership,
    now: &str,
    correlation_id: &str,
) -> anyhow::Result<Outcome> {
    let event = Envelope::new(
        UserRolesChanged { user_id: after.user_id.clone(), roles: after.roles.clone(), version: after.version },
        correlation_id,
    );
    let items = vec![
        store.update_user(after, before.version, now)?,
        store.membership(role, change, now)?,
        store.event(&event)?,
    ];
    store.transact(items).await
}

/// What the registration consumer did with one `UserRegistered`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// The user now holds these roles (the known ones among the event's).
    Created(Vec<String>),
    /// This event was applied before (redelivery).
    AlreadyProcessed,
    /// The user was stored before, by another event: nothing changed.
    UserExists,
}

/// Records a registered user with the roles auth gave them (version 0), counting them as
/// members of those roles, exactly once per event (`consumer`'s inbox marker) and per user.
/// Roles this service does not know are left out. Emits nothing: auth already knows.
pub async fn register_user(
    store: &PermissionsStore,
    consumer: &str,
    event_id: &str,
    user_id: &str,
    requested: &[String],
) -> anyhow::Result<Registered> {
    anyhow::ensure!(could_be_user(user_id), "UserRegistered without a usable user id");
    for _ in 0..ATTEMPTS {
        let stored = store.roles().await?;
        let requested = normalized(requested.iter().cloned());
        let roles: Vec<Role> = requested.iter().filter_map(|r| Role::current(r, stored.get(r).cloned())).collect();
        let known: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
        if known.len() < requested.len() {
            let unknown: Vec<&String> = requested.iter().filter(|r| !known.contains(r)).collect();
            tracing::warn!(user_id, ?unknown, "registered with roles this service does not know; ignored");
        }
        anyhow::ensure!(known.len() <= MAX_REGISTERED_ROLES, "UserRegistered with {} roles", known.len());
        let now = now();
        let user = UserRoles { user_id: user_id.to_owned(), roles: known.clone(), version: 0 };
        let mut items = vec![store.inbox_mark(consumer, event_id)?, store.create_user(&user, &now)?];
        for role in &roles {
            items.push(store.membership(role, Membership::Join, &now)?);
        }
        let outcome = store.transact(items).await?;
        if outcome == Outcome::Written {
            tracing::info!(user_id, roles = ?known, "user recorded");
            return Ok(Registered::Created(known));
        }
        if outcome.failed_at(0) {
            tracing::info!(user_id, "event already processed");
            return Ok(Registered::AlreadyProcessed);
        }
        if outcome.failed_at(1) {
            tracing::info!(user_id, "user already recorded; event acknowledged");
            return Ok(Registered::UserExists);
        }
        // A custom role was deleted meanwhile, or a concurrent write got in the way.
    }
    anyhow::bail!("user {user_id} could not be recorded: roles kept changing; the message will be retried")
}

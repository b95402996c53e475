//! Roles and the permissions they grant, as auth sees them. The permissions service owns
//! roles and assignments; auth keeps a projection fed by its events (`RoleChanged` into
//! `ROLE#<name>` items, `UserRolesChanged` into the user's `roles`) and reads only that when
//! it issues a token. Services check permissions (`service:action`), never role names.

use std::collections::HashMap;

pub use bazaar_events::permissions::{ADMIN, CUSTOMER, FRONT_DESK, OWNER};
use bazaar_events::permissions::{PERMISSIONS, RoleChanged, default_permissions};
use serde::{Deserialize, Serialize};

/// auth's copy of one role (`ROLE#<name>` / `ROLE`), as the last `RoleChanged` left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRecord {
    pub role: String,
    pub permissions: Vec<String>,
    pub deleted: bool,
    pub version: u64,
}

impl From<&RoleChanged> for RoleRecord {
    fn from(e: &RoleChanged) -> Self {
        RoleRecord { role: e.role.clone(), permissions: e.permissions.clone(), deleted: e.deleted, version: e.version }
    }
}

/// The union of the permissions `roles` grant, sorted and without duplicates. `admin` grants
/// every permission (whatever the projection held before that rule); a role the projection
/// holds grants what it says (nothing once deleted); a built-in role the permissions service
/// never changed grants its defaults; any other role grants nothing.
pub fn permissions_of(roles: &[String], projection: &HashMap<String, RoleRecord>) -> Vec<String> {
    let mut permissions: Vec<String> = roles
        .iter()
        .flat_map(|role| match projection.get(role) {
            _ if role == ADMIN => PERMISSIONS.iter().map(|(p, _)| (*p).to_owned()).collect(),
            Some(record) if record.deleted => Vec::new(),
            Some(record) => record.permissions.clone(),
            None => default_permissions(role).unwrap_or_default(),
        })
        .collect();
    permissions.sort();
    permissions.dedup();
    permissions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(role: &str, permissions: &[&str], deleted: bool) -> (String, RoleRecord) {
        let permissions = permissions.iter().map(|p| (*p).to_owned()).collect();
        (role.to_owned(), RoleRecord { role: role.to_owned(), permissions, deleted, version: 1 })
    }

    #[test]
    fn built_in_defaults_apply_until_the_projection_says_otherwise() {
        let none = HashMap::new();
        assert!(permissions_of(&[CUSTOMER.into()], &none).is_empty());
        assert!(permissions_of(&[ADMIN.into()], &none).contains(&"users:read".to_owned()));
        let both = permissions_of(&[ADMIN.into(), OWNER.into()], &none);
        assert_eq!(both.iter().filter(|p| *p == "catalog:write").count(), 1);

        let changed = HashMap::from([record(CUSTOMER, &["reports:read"], false)]);
        assert_eq!(permissions_of(&[CUSTOMER.into()], &changed), vec!["reports:read".to_owned()]);
    }

    #[test]
    fn admin_grants_every_permission_even_if_projected_narrower() {
        let narrow = HashMap::from([record(ADMIN, &["roles:manage"], false)]);
        assert_eq!(permissions_of(&[ADMIN.into()], &narrow).len(), PERMISSIONS.len());
    }

    #[test]
    fn custom_roles_grant_what_the_projection_holds_and_nothing_once_deleted() {
        let roles = vec!["auditor".to_owned()];
        assert!(permissions_of(&roles, &HashMap::new()).is_empty());
        let live = HashMap::from([record("auditor", &["reports:read_all", "orders:read_all"], false)]);
        assert_eq!(permissions_of(&roles, &live), vec!["orders:read_all".to_owned(), "reports:read_all".to_owned()]);
        let gone = HashMap::from([record("auditor", &["reports:read_all"], true)]);
        assert!(permissions_of(&roles, &gone).is_empty());
    }
}

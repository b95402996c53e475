//! Events emitted by the permissions service (`source = bazaar.permissions`), and the part
//! of the access model every service shares: the known permissions and the built-in roles'
//! defaults. The permissions service owns roles and assignments; auth keeps a projection of
//! both (fed by these events) to put roles and permissions into the tokens it issues.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

events!("bazaar.permissions": RoleChanged = 1, UserRolesChanged = 1);

pub const ADMIN: &str = "admin";
pub const OWNER: &str = "owner";
pub const FRONT_DESK: &str = "front_desk";
pub const CUSTOMER: &str = "customer";

/// Every permission a service checks, with what it allows. A role can only grant these.
/// Reading is not acting: a `…:read` or `…:read_all` permission lets its holder see, never
/// change; acting on what is not one's own takes a permission of its own (`…:cancel_any`,
/// `…:write_all`, `…:manage_all`, `payments:settle`).
pub const PERMISSIONS: &[(&str, &str)] = &[
    ("users:read", "read any user's account"),
    ("roles:manage", "manage roles and users' role assignments, granting only permissions one holds"),
    ("catalog:write", "create products and edit or delete one's own"),
    ("catalog:write_all", "edit or delete any product"),
    ("orders:read_all", "read every order"),
    ("orders:cancel_any", "cancel any customer's open order"),
    ("payments:read_all", "read every payment"),
    ("payments:settle", "settle any pending payment by hand (complete or fail it): an operator's reconciliation"),
    ("reservations:manage", "create bookable resources, edit one's own and manage their reservations"),
    ("reservations:manage_all", "edit any resource and cancel any reservation"),
    ("reservations:read_all", "read every reservation"),
    ("reservations:check_in", "check customers in on the day of their reservation"),
    ("reports:read", "read reports of one's own products and resources"),
    ("reports:read_all", "read reports of the whole marketplace"),
    ("notifications:templates", "edit notification templates, the security ones excepted"),
    ("notifications:security_templates", "edit the security templates (password reset, email verification)"),
];

/// Whether `permission` only lets its holder see (`…:read`, `…:read_all`): such a permission
/// never allows a change.
pub fn only_reads(permission: &str) -> bool {
    permission.ends_with(":read") || permission.ends_with(":read_all")
}

/// Whether `permission` is one services know.
pub fn is_known_permission(permission: &str) -> bool {
    PERMISSIONS.iter().any(|(p, _)| *p == permission)
}

/// The built-in roles, which always exist and cannot be deleted (their permissions can be
/// changed).
pub const BUILT_IN_ROLES: [&str; 4] = [ADMIN, OWNER, FRONT_DESK, CUSTOMER];

pub fn is_built_in(role: &str) -> bool {
    BUILT_IN_ROLES.contains(&role)
}

/// The permissions a built-in role grants until an admin changes them; `None` for any
/// other role. Admin holds every permission.
pub fn default_permissions(role: &str) -> Option<Vec<String>> {
    let granted: Vec<&str> = match role {
        ADMIN => PERMISSIONS.iter().map(|(p, _)| *p).collect(),
        OWNER => vec!["catalog:write", "reservations:manage", "reports:read"],
        FRONT_DESK => vec!["reservations:read_all", "reservations:check_in"],
        CUSTOMER => vec![],
        _ => return None,
    };
    Some(granted.into_iter().map(str::to_owned).collect())
}

/// A role was created, its permissions changed, or it was deleted. `version` grows with
/// every change of the role, so a projection applies an event only when it is newer than
/// what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RoleChanged {
    pub role: String,
    /// Sorted, without duplicates; empty when deleted.
    pub permissions: Vec<String>,
    pub built_in: bool,
    /// True when the role was deleted (it was assigned to nobody).
    pub deleted: bool,
    pub version: u64,
}

/// A user's set of roles changed. Carries the whole set (sorted), not the difference, and a
/// per-user `version` that grows with every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserRolesChanged {
    pub user_id: String,
    pub roles: Vec<String>,
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_grant_only_known_permissions_and_admin_holds_all() {
        for role in BUILT_IN_ROLES {
            let granted = default_permissions(role).expect("built-in");
            assert!(granted.iter().all(|p| is_known_permission(p)), "{role}: {granted:?}");
        }
        assert_eq!(default_permissions(ADMIN).expect("admin").len(), PERMISSIONS.len());
        assert!(default_permissions(CUSTOMER).expect("customer").is_empty());
        assert!(default_permissions("auditor").is_none());
        assert!(!is_known_permission("catalog:destroy"));
    }

    #[test]
    fn only_admin_settles_payments_cancels_others_orders_and_edits_security_templates() {
        for permission in ["payments:settle", "orders:cancel_any", "notifications:security_templates"] {
            assert!(is_known_permission(permission));
            for role in [OWNER, FRONT_DESK, CUSTOMER] {
                let granted = default_permissions(role).expect("built-in");
                assert!(!granted.iter().any(|p| p == permission), "{role} holds {permission}");
            }
            assert!(default_permissions(ADMIN).expect("admin").iter().any(|p| p == permission));
        }
        assert!(only_reads("orders:read_all") && only_reads("reports:read") && only_reads("users:read"));
        assert!(!only_reads("orders:cancel_any") && !only_reads("payments:settle"));
    }

    #[test]
    fn front_desk_cannot_change_prices() {
        let desk = default_permissions(FRONT_DESK).expect("front desk");
        assert!(desk.contains(&"reservations:check_in".to_owned()));
        assert!(!desk.iter().any(|p| p.starts_with("catalog:") || p.starts_with("reservations:manage")));
    }
}

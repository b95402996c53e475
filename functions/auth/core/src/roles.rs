//! Roles and the permissions they grant. Services check permissions (`service:action`),
//! never role names. These are the built-in defaults; the permissions service (a later
//! issue) will own them and auth will keep a projection.

pub const ADMIN: &str = "admin";
pub const OWNER: &str = "owner";
pub const FRONT_DESK: &str = "front_desk";
pub const CUSTOMER: &str = "customer";

pub const ALL_ROLES: [&str; 4] = [ADMIN, OWNER, FRONT_DESK, CUSTOMER];

/// Permissions granted by one built-in role.
pub fn role_permissions(role: &str) -> &'static [&'static str] {
    match role {
        ADMIN => &[
            "users:read",
            "users:write",
            "roles:manage",
            "catalog:write",
            "orders:read_all",
            "payments:read_all",
            "reservations:read_all",
            "reservations:manage",
            "reservations:check_in",
            "reports:read",
            "notifications:templates",
        ],
        OWNER => &["catalog:write", "reservations:manage", "reports:read"],
        FRONT_DESK => &["reservations:read_all", "reservations:check_in"],
        _ => &[],
    }
}

/// The union of the permissions of `roles`, sorted and without duplicates.
pub fn permissions_of(roles: &[String]) -> Vec<String> {
    let mut permissions: Vec<String> =
        roles.iter().flat_map(|r| role_permissions(r).iter().map(|p| (*p).to_owned())).collect();
    permissions.sort();
    permissions.dedup();
    permissions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_hold_no_admin_permission_and_admins_read_users() {
        assert!(permissions_of(&[CUSTOMER.into()]).is_empty());
        assert!(permissions_of(&[ADMIN.into()]).contains(&"users:read".to_owned()));
        let both = permissions_of(&[ADMIN.into(), OWNER.into()]);
        assert_eq!(both.iter().filter(|p| *p == "catalog:write").count(), 1);
    }
}

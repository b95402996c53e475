//! Roles and users' role sets: the stored shapes, the views the API answers with, and the
//! pure rules (name and permission validation, built-in defaults, effective permissions).

use std::collections::{BTreeMap, BTreeSet};

use bazaar_events::permissions::{self as contract, ADMIN, PERMISSIONS, is_built_in, is_known_permission};
use bazaar_runtime::Identity;
use bazaar_runtime::problem::FieldError;
use serde::{Deserialize, Serialize};

/// The permission every route of this service requires.
pub const MANAGE: &str = "roles:manage";

/// Every permission services know, sorted: what the `admin` role always grants.
pub fn every_permission() -> Vec<String> {
    normalized(PERMISSIONS.iter().map(|(p, _)| (*p).to_owned()))
}

/// Longest accepted description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// Shortest and longest role name a role can be created with.
pub const MIN_NAME_CHARS: usize = 2;
pub const MAX_NAME_CHARS: usize = 32;

/// [`is_valid_role_name`] as the document's pattern.
pub fn role_name_pattern() -> String {
    format!("^[a-z][a-z0-9_]{{{},{}}}$", MIN_NAME_CHARS - 1, MAX_NAME_CHARS - 1)
}

/// A description as [`parse_description`] takes it: no control character once trimmed (its
/// length, the `maxLength`, then also bounds the trimmed one).
pub fn description_pattern() -> String {
    bazaar_runtime::text::optional_trimmed_pattern()
}

/// The permissions of a request: each one services know ([`PERMISSIONS`]).
pub fn permissions_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let known: Vec<&str> = PERMISSIONS.iter().map(|(permission, _)| *permission).collect();
    schemars::json_schema!({ "type": "array", "items": { "type": "string", "enum": known } })
}

/// A role as stored (`ROLES` / `ROLE#<name>`). A deleted custom role stays as a tombstone
/// (`deleted`, no permissions) so that its version keeps growing if it is created again:
/// the auth projection applies a `RoleChanged` only when it is newer than what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub permissions: Vec<String>,
    pub built_in: bool,
    #[serde(default)]
    pub description: Option<String>,
    pub version: u64,
    /// How many users hold the role.
    #[serde(default)]
    pub members: u64,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl Role {
    /// A built-in role nobody has written yet: its default permissions, version 0, no members.
    pub fn implicit(name: &str) -> Option<Role> {
        Some(Role {
            name: name.to_owned(),
            // The contract's events carry permissions sorted; the defaults are not.
            permissions: normalized(contract::default_permissions(name)?),
            built_in: true,
            description: default_description(name).map(str::to_owned),
            version: 0,
            members: 0,
            deleted: false,
            created_at: None,
            updated_at: None,
        })
    }

    /// The role as it is now: the stored item unless it is a tombstone, else the implicit
    /// built-in role, else nothing (the role does not exist). The admin role grants every
    /// permission, whatever was stored before that rule (so a permission added later reaches
    /// admins at once).
    pub fn current(name: &str, stored: Option<Role>) -> Option<Role> {
        let mut role = match stored {
            Some(role) if !role.deleted => Some(role),
            _ => Role::implicit(name),
        }?;
        if role.name == ADMIN {
            role.permissions = every_permission();
        }
        Some(role)
    }
}

/// What a built-in role is for, until an admin describes it otherwise.
pub fn default_description(name: &str) -> Option<&'static str> {
    match name {
        contract::ADMIN => Some("Administers the marketplace: every permission"),
        contract::OWNER => Some("Sells products and offers bookable resources"),
        contract::FRONT_DESK => Some("Checks customers in and reads reservations"),
        contract::CUSTOMER => Some("Buys and books"),
        _ => None,
    }
}

/// A role as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Role")]
pub struct RoleView {
    pub name: String,
    /// The permissions the role grants, sorted.
    pub permissions: Vec<String>,
    /// One of the built-in roles (`admin`, `owner`, `front_desk`, `customer`): never deleted.
    pub built_in: bool,
    /// Null when the role has none.
    pub description: Option<String>,
    /// How many users hold the role.
    pub members: u64,
    /// Grows by one with every change of the role (0: a built-in nobody changed yet).
    pub version: u64,
}

/// `GET /roles`: every role, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RoleList {
    pub roles: Vec<RoleView>,
}

impl From<&Role> for RoleView {
    fn from(r: &Role) -> RoleView {
        RoleView {
            name: r.name.clone(),
            permissions: r.permissions.clone(),
            built_in: r.built_in,
            description: r.description.clone().filter(|d| !d.is_empty()),
            members: r.members,
            version: r.version,
        }
    }
}

/// Every role that exists, by name: the stored ones (tombstones left out) merged with the
/// built-ins nobody has written yet, sorted by name.
pub fn all_roles(stored: &BTreeMap<String, Role>) -> Vec<Role> {
    let mut roles: BTreeMap<String, Role> =
        stored.iter().filter(|(_, r)| !r.deleted).map(|(n, r)| (n.clone(), r.clone())).collect();
    for name in contract::BUILT_IN_ROLES {
        if !roles.contains_key(name) {
            roles.extend(Role::implicit(name).map(|r| (name.to_owned(), r)));
        }
    }
    roles.into_values().collect()
}

/// A user's roles as stored (`USER#<id>` / `USER`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRoles {
    pub user_id: String,
    /// Sorted, without duplicates.
    pub roles: Vec<String>,
    pub version: u64,
}

/// A user's roles as the API shows them, with the permissions they add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "UserRoles")]
pub struct UserRolesView {
    pub user_id: String,
    /// The roles the user holds, sorted.
    pub roles: Vec<String>,
    /// The union of the permissions those roles grant, sorted.
    pub permissions: Vec<String>,
    /// Grows by one with every change of the user's roles.
    pub version: u64,
}

impl UserRolesView {
    pub fn new(user: &UserRoles, stored: &BTreeMap<String, Role>) -> UserRolesView {
        UserRolesView {
            user_id: user.user_id.clone(),
            roles: user.roles.clone(),
            permissions: effective_permissions(&user.roles, stored),
            version: user.version,
        }
    }
}

/// The union of the permissions `roles` grant (sorted): a stored role's own list, a
/// built-in role's defaults while nobody has changed them, nothing for an unknown role.
pub fn effective_permissions(roles: &[String], stored: &BTreeMap<String, Role>) -> Vec<String> {
    let mut granted = BTreeSet::new();
    for name in roles {
        if let Some(role) = Role::current(name, stored.get(name).cloned()) {
            granted.extend(role.permissions);
        }
    }
    granted.into_iter().collect()
}

/// `roles` sorted and without duplicates.
pub fn normalized(roles: impl IntoIterator<Item = String>) -> Vec<String> {
    roles.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

/// A role name that can be created: `^[a-z][a-z0-9_]{1,31}$`.
pub fn is_valid_role_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (MIN_NAME_CHARS..=MAX_NAME_CHARS).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes[1..].iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// Whether `name` could name an existing role (path parameters that cannot are 404 at once).
pub fn could_be_role(name: &str) -> bool {
    is_built_in(name) || is_valid_role_name(name)
}

/// The permissions of a create or update request, sorted and deduplicated, or one 422
/// field error per permission services do not know.
pub fn parse_permissions(requested: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let errors: Vec<FieldError> = requested
        .iter()
        .enumerate()
        .filter(|(_, p)| !is_known_permission(p))
        .map(|(i, p)| FieldError {
            field: format!("permissions[{i}]"),
            message: format!("unknown permission '{}'", printable(p)),
        })
        .collect();
    if errors.is_empty() { Ok(normalized(requested.iter().cloned())) } else { Err(errors) }
}

/// A role's description, trimmed: at most [`MAX_DESCRIPTION_CHARS`], no control characters.
pub fn parse_description(description: &str) -> Result<String, FieldError> {
    let trimmed = description.trim();
    let error = |message: &str| FieldError { field: "description".into(), message: message.into() };
    if trimmed.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(error(&format!("at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(error("must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// The admin role keeps every permission (`permissions` sorted, as parsed); any other role
/// may grant any set.
pub fn check_admin_keeps(role: &str, permissions: &[String]) -> Result<(), FieldError> {
    if role != ADMIN || permissions == every_permission() {
        return Ok(());
    }
    let missing: Vec<String> = every_permission().into_iter().filter(|p| !permissions.contains(p)).collect();
    Err(FieldError {
        field: "permissions".into(),
        message: format!("the admin role keeps every permission; missing {}", missing.join(", ")),
    })
}

/// The permissions of `wanted` that `caller` does not hold, sorted and without duplicates.
/// A role manager grants, or puts into a role, only what they hold themselves.
pub fn beyond(caller: &Identity, wanted: &[String]) -> Vec<String> {
    normalized(wanted.iter().filter(|p| !caller.has_permission(p)).cloned())
}

/// A request value shown back in an error: bounded and without control characters.
fn printable(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(role: &str, permissions: &[&str]) -> (String, Role) {
        let mut r = Role::implicit("customer").expect("built-in");
        r.name = role.to_owned();
        r.built_in = is_built_in(role);
        r.permissions = permissions.iter().map(|p| (*p).to_owned()).collect();
        r.version = 3;
        (role.to_owned(), r)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn role_names_follow_the_pattern() {
        for ok in ["auditor", "ab", "night_desk_2", &format!("a{}", "b".repeat(31))] {
            assert!(is_valid_role_name(ok), "{ok}");
        }
        for bad in ["a", "Auditor", "2fa", "_x", "night-desk", "audítor", "", &format!("a{}", "b".repeat(32))] {
            assert!(!is_valid_role_name(bad), "{bad}");
        }
        assert!(could_be_role("front_desk") && !could_be_role("x"));
    }

    #[test]
    fn unknown_permissions_are_listed_by_index_and_known_ones_normalized() {
        let ok = parse_permissions(&strings(&["reports:read", "catalog:write", "reports:read"])).expect("known");
        assert_eq!(ok, strings(&["catalog:write", "reports:read"]));
        let errors = parse_permissions(&strings(&["reports:read", "catalog:destroy", "x\ny"])).expect_err("unknown");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["permissions[1]", "permissions[2]"]);
        assert!(errors[0].message.contains("catalog:destroy"));
        assert!(!errors[1].message.contains('\n'));
        assert_eq!(parse_permissions(&[]).expect("empty is fine"), Vec::<String>::new());
    }

    #[test]
    fn the_documented_rules_are_the_validated_ones() {
        assert_eq!(role_name_pattern(), "^[a-z][a-z0-9_]{1,31}$");
        let longest = format!("a{}", "b".repeat(MAX_NAME_CHARS - 1));
        assert!(is_valid_role_name(&longest) && !is_valid_role_name(&format!("{longest}c")));
        assert!(
            is_valid_role_name(&"a".repeat(MIN_NAME_CHARS)) && !is_valid_role_name(&"a".repeat(MIN_NAME_CHARS - 1))
        );
        let described = "d".repeat(MAX_DESCRIPTION_CHARS);
        assert!(parse_description(&described).is_ok());
        assert!(parse_description(&format!("{described}d")).is_err());
        assert!(parse_description("a\u{9f}b").is_err() && parse_description("a\u{a0}b").is_ok());
        let schema = permissions_schema(&mut schemars::SchemaGenerator::default());
        let known = schema.as_value()["items"]["enum"].as_array().expect("an enum").clone();
        assert_eq!(known.len(), PERMISSIONS.len());
        assert!(known.iter().filter_map(serde_json::Value::as_str).all(is_known_permission));
        let listed: Vec<String> = known.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect();
        assert!(parse_permissions(&listed).is_ok());
    }

    #[test]
    fn descriptions_are_trimmed_and_bounded() {
        assert_eq!(parse_description("  Reads reports ").expect("ok"), "Reads reports");
        assert!(parse_description(&"x".repeat(MAX_DESCRIPTION_CHARS + 1)).is_err());
        assert!(parse_description("a\u{7}b").is_err());
    }

    #[test]
    fn admin_keeps_every_permission_and_others_need_not() {
        assert!(check_admin_keeps("admin", &strings(&["users:read"])).is_err());
        let err = check_admin_keeps("admin", &strings(&["roles:manage"])).expect_err("not all");
        assert!(err.message.contains("payments:settle"), "{}", err.message);
        assert!(check_admin_keeps("admin", &every_permission()).is_ok());
        assert!(check_admin_keeps("owner", &[]).is_ok());
    }

    #[test]
    fn the_admin_role_grants_every_permission_even_if_stored_narrower() {
        let (_, narrow) = stored("admin", &["roles:manage"]);
        let admin = Role::current("admin", Some(narrow)).expect("admin");
        assert_eq!(admin.permissions, every_permission());
        assert_eq!(effective_permissions(&strings(&["admin"]), &BTreeMap::new()), every_permission());
    }

    #[test]
    fn a_manager_grants_only_what_they_hold() {
        let manager = Identity {
            sub: "m".into(),
            email: String::new(),
            roles: vec!["staff".into()],
            permissions: strings(&["roles:manage", "reports:read_all"]),
        };
        assert!(beyond(&manager, &strings(&["reports:read_all", "roles:manage"])).is_empty());
        assert_eq!(
            beyond(&manager, &strings(&["payments:settle", "reports:read_all", "orders:read_all", "payments:settle"])),
            strings(&["orders:read_all", "payments:settle"])
        );
    }

    #[test]
    fn built_ins_exist_implicitly_and_tombstones_do_not_count() {
        let implicit = Role::current("owner", None).expect("built-in");
        assert_eq!((implicit.version, implicit.members), (0, 0));
        assert_eq!(implicit.permissions, strings(&["catalog:write", "reports:read", "reservations:manage"]));
        assert!(Role::current("auditor", None).is_none());
        let (_, mut tomb) = stored("auditor", &[]);
        tomb.deleted = true;
        assert!(Role::current("auditor", Some(tomb.clone())).is_none());

        let roles = all_roles(&BTreeMap::from([stored("auditor", &["reports:read_all"]), ("gone".into(), tomb)]));
        let names: Vec<_> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["admin", "auditor", "customer", "front_desk", "owner"]);
    }

    #[test]
    fn effective_permissions_are_the_union_with_defaults_for_unwritten_built_ins() {
        let stored_roles =
            BTreeMap::from([stored("auditor", &["reports:read_all"]), stored("owner", &["reports:read"])]);
        let roles = strings(&["auditor", "front_desk", "owner", "vanished"]);
        let mut expected = strings(&["reports:read_all", "reports:read"]);
        expected.extend(contract::default_permissions("front_desk").expect("defaults"));
        expected.sort();
        assert_eq!(effective_permissions(&roles, &stored_roles), expected);
        assert!(effective_permissions(&strings(&["customer"]), &stored_roles).is_empty());
    }

    #[test]
    fn views_hide_empty_descriptions() {
        let (_, mut role) = stored("auditor", &[]);
        role.description = Some(String::new());
        assert_eq!(RoleView::from(&role).description, None);
        let json = serde_json::to_value(RoleView::from(&role)).expect("json");
        for field in ["name", "permissions", "built_in", "description", "members", "version"] {
            assert!(json.get(field).is_some(), "{field} in {json}");
        }
    }
}

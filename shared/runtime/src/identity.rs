//! The caller's identity, read only from the context the API's Lambda authorizer attached
//! (`requestContext.authorizer.lambda`). Functions never parse tokens themselves.

use std::collections::HashMap;

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::Value;

use crate::Problem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub sub: String,
    pub email: String,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

impl Identity {
    /// The verified caller, or 401 when the route was reached without an authorizer context.
    pub fn from_request(req: &Request) -> Result<Identity, Problem> {
        let fields = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.authorizer.as_ref().map(|a| &a.fields),
            _ => None,
        };
        fields.and_then(Self::from_context).ok_or_else(Problem::unauthorized)
    }

    /// Parses the authorizer's context map (the inverse of [`Identity::to_context`]).
    pub fn from_context(fields: &HashMap<String, Value>) -> Option<Identity> {
        let text = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
        let sub = text("sub").filter(|s| !s.is_empty())?;
        Some(Identity {
            sub,
            email: text("email").unwrap_or_default(),
            roles: split_list(fields.get("roles")),
            permissions: split_list(fields.get("permissions")),
        })
    }

    /// The authorizer's simple-response context. Lists travel as space-separated strings
    /// because API Gateway passes only flat values through reliably.
    pub fn to_context(&self) -> HashMap<String, Value> {
        HashMap::from([
            ("sub".to_owned(), Value::from(self.sub.clone())),
            ("email".to_owned(), Value::from(self.email.clone())),
            ("roles".to_owned(), Value::from(self.roles.join(" "))),
            ("permissions".to_owned(), Value::from(self.permissions.join(" "))),
        ])
    }

    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// 403 unless the caller holds `permission`.
    pub fn require(&self, permission: &str) -> Result<(), Problem> {
        if self.has_permission(permission) { Ok(()) } else { Err(Problem::forbidden()) }
    }

    /// Whether the caller may do `action` to something `owner` owns: as its owner (when the
    /// action lets owners, with the permission it asks of them), or as a holder of the
    /// action's permission over anyone's. An empty `owner` is nobody's: only `any` reaches it.
    pub fn may(&self, action: &Action, owner: &str) -> bool {
        let own = !owner.is_empty()
            && owner == self.sub
            && match action.owner {
                Owner::Allowed => true,
                Owner::With(permission) => self.has_permission(permission),
                Owner::Never => false,
            };
        own || self.has_permission(action.any)
    }
}

/// Who may do one thing to a resource that belongs to someone (an order, a payment, a
/// product, a reservation): its owner, as [`Owner`] says, and every holder of `any`.
///
/// Reading is not acting. An action that changes something ([`Action::act`]) never takes a
/// permission that only reads (`…:read`, `…:read_all`) as its `any`: that is refused when
/// the constant is compiled. Each service declares its actions next to its handlers, and the
/// API document lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub owner: Owner,
    /// The permission that allows the action on anyone's resource.
    pub any: &'static str,
    /// False for an action that only reads.
    pub changes: bool,
}

/// What the owner of a resource needs to do an action to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Owning it is enough.
    Allowed,
    /// Owning it and holding this permission.
    With(&'static str),
    /// Owners may not (only holders of `any`).
    Never,
}

impl Action {
    /// Seeing a resource.
    pub const fn read(owner: Owner, any: &'static str) -> Action {
        Action { owner, any, changes: false }
    }

    /// Changing a resource. Panics (at compile time, in a `const`) when `any` or the owner's
    /// permission only reads.
    pub const fn act(owner: Owner, any: &'static str) -> Action {
        assert!(!only_reads(any), "an action that changes something never takes a read permission");
        if let Owner::With(permission) = owner {
            assert!(!only_reads(permission), "an action that changes something never takes a read permission");
        }
        Action { owner, any, changes: true }
    }
}

/// Whether `permission` only lets its holder see: `…:read` or `…:read_all` (the rule of
/// `bazaar_events::permissions::only_reads`, here in a form constants can use).
pub const fn only_reads(permission: &str) -> bool {
    ends_with(permission, ":read") || ends_with(permission, ":read_all")
}

const fn ends_with(text: &str, suffix: &str) -> bool {
    let (text, suffix) = (text.as_bytes(), suffix.as_bytes());
    if suffix.len() > text.len() {
        return false;
    }
    let offset = text.len() - suffix.len();
    let mut i = 0;
    while i < suffix.len() {
        if text[offset + i] != suffix[i] {
            return false;
        }
        i += 1;
    }
    true
}

fn split_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => s.split([' ', ',']).filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_round_trips_and_permissions_are_checked() {
        let id = Identity {
            sub: "u1".into(),
            email: "a@b.co".into(),
            roles: vec!["admin".into()],
            permissions: vec!["users:read".into(), "catalog:write".into()],
        };
        let back = Identity::from_context(&id.to_context()).expect("parses");
        assert_eq!(back, id);
        assert!(back.require("users:read").is_ok());
        assert_eq!(back.require("reports:read").expect_err("denied").status, 403);
    }

    #[test]
    fn owners_and_holders_of_any_may_act_and_readers_only_read() {
        const READ: Action = Action::read(Owner::Allowed, "orders:read_all");
        const CANCEL: Action = Action::act(Owner::Allowed, "orders:cancel_any");
        const EDIT: Action = Action::act(Owner::With("catalog:write"), "catalog:write_all");
        const SETTLE: Action = Action::act(Owner::Never, "payments:settle");

        let owner = Identity::holding("u1", &[]);
        assert!(owner.may(&READ, "u1") && owner.may(&CANCEL, "u1"));
        assert!(!owner.may(&READ, "u2") && !owner.may(&CANCEL, "u2"));
        assert!(!owner.may(&EDIT, "u1"), "an owner without catalog:write");
        assert!(Identity::holding("u1", &["catalog:write"]).may(&EDIT, "u1"));
        assert!(!Identity::holding("u1", &["catalog:write"]).may(&EDIT, "u2"));
        assert!(!owner.may(&SETTLE, "u1"), "owners never settle");

        let auditor = Identity::holding("a", &["orders:read_all"]);
        assert!(auditor.may(&READ, "u1"));
        assert!(!auditor.may(&CANCEL, "u1"), "reading is not acting");
        assert!(Identity::holding("x", &["orders:cancel_any"]).may(&CANCEL, "u1"));
        assert!(Identity::holding("x", &["payments:settle"]).may(&SETTLE, "u1"));
        // Nobody owns what has no owner; an empty caller id owns nothing either.
        assert!(!Identity::holding("", &[]).may(&CANCEL, ""));
        assert!(Identity::holding("x", &["catalog:write_all"]).may(&EDIT, ""));
        const { assert!(!READ.changes && CANCEL.changes) };
    }

    #[test]
    fn read_permissions_are_told_apart_by_their_suffix() {
        for read in ["orders:read_all", "reports:read", "users:read", "reservations:read_all"] {
            assert!(only_reads(read), "{read}");
        }
        for act in ["orders:cancel_any", "catalog:write_all", "payments:settle", "roles:manage", "ead", ""] {
            assert!(!only_reads(act), "{act}");
        }
    }

    #[test]
    fn a_context_without_sub_is_no_identity() {
        assert!(Identity::from_context(&HashMap::new()).is_none());
    }
}

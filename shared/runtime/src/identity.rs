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
    fn a_context_without_sub_is_no_identity() {
        assert!(Identity::from_context(&HashMap::new()).is_none());
    }
}

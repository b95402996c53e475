//! Lambda authorizers (payload format 2.0): identity sources, the REQUEST event, the
//! simple or IAM-policy response, and the result cache keyed by identity values.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::event::{GatewayRequest, authorizer_event};
use super::routes::RouteMatch;
use crate::invoke::{InvokeOutcome, Invoker};
use crate::model::Authorizer;

/// What the gateway does with a request after its authorizer ran.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthResult {
    /// Proceed; the value becomes `requestContext.authorizer.lambda`.
    Allowed(Value),
    /// 401: an identity source is missing, or the function failed with "Unauthorized".
    Unauthorized,
    /// 403: the function said no.
    Forbidden,
    /// 500: the function failed or answered something unreadable.
    Failed,
}

/// Where one identity value comes from.
#[derive(Debug, Clone)]
enum Source {
    Header(String),
    Query(String),
}

/// One configured authorizer with its cache.
#[derive(Debug)]
pub struct AuthorizerRuntime {
    pub name: String,
    /// The authorizer function's binary.
    pub binary: String,
    simple_responses: bool,
    sources: Vec<Source>,
    ttl: Duration,
    cache: Mutex<HashMap<Vec<String>, (Instant, AuthResult)>>,
}

impl AuthorizerRuntime {
    pub fn new(config: &Authorizer, binary: &str) -> AuthorizerRuntime {
        let sources = config.identity_headers.iter().map(|s| parse_source(s)).collect();
        AuthorizerRuntime {
            name: config.name.clone(),
            binary: binary.to_owned(),
            simple_responses: config.simple_responses,
            sources,
            ttl: Duration::from_secs(u64::from(config.cache_ttl_seconds)),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Authorizes one request, from the cache when a fresh result exists.
    pub async fn authorize(
        &self,
        invoker: &dyn Invoker,
        request: &GatewayRequest,
        matched: &RouteMatch<'_>,
        request_id: &str,
    ) -> AuthResult {
        let Some(identity) = self.identity(request) else {
            return AuthResult::Unauthorized;
        };
        if let Some(cached) = self.cached(&identity) {
            return cached;
        }
        let event = authorizer_event(request, matched, request_id, &identity);
        let result = match invoker.invoke(&self.binary, event).await {
            Ok(InvokeOutcome::Ok(value)) => self.read_response(&value),
            Ok(InvokeOutcome::FunctionError { error_message, .. }) if error_message == "Unauthorized" => {
                AuthResult::Unauthorized
            }
            Ok(InvokeOutcome::FunctionError { error_type, .. }) => {
                tracing::warn!(authorizer = %self.name, "authorizer failed ({error_type})");
                AuthResult::Failed
            }
            Err(error) => {
                tracing::error!(authorizer = %self.name, "invoking the authorizer: {error:#}");
                AuthResult::Failed
            }
        };
        self.remember(identity, &result);
        result
    }

    /// The identity values in configuration order; None when one is missing or empty.
    fn identity(&self, request: &GatewayRequest) -> Option<Vec<String>> {
        let query = request.query_parameters();
        self.sources
            .iter()
            .map(|source| match source {
                Source::Header(name) => request.header(name),
                Source::Query(name) => query.get(name).cloned(),
            })
            .map(|value| value.filter(|v| !v.is_empty()))
            .collect()
    }

    fn cached(&self, identity: &[String]) -> Option<AuthResult> {
        if self.ttl.is_zero() {
            return None;
        }
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let (expires, result) = cache.get(identity)?;
        (Instant::now() < *expires).then(|| result.clone())
    }

    /// Caches decisions (allow or deny), never failures, as API Gateway does.
    fn remember(&self, identity: Vec<String>, result: &AuthResult) {
        let decided = matches!(result, AuthResult::Allowed(_) | AuthResult::Forbidden);
        if self.ttl.is_zero() || !decided {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        cache.retain(|_, (expires, _)| *expires > now);
        cache.insert(identity, (now + self.ttl, result.clone()));
    }

    fn read_response(&self, value: &Value) -> AuthResult {
        let context = value.get("context").cloned().unwrap_or_else(|| json!({}));
        let allowed = if self.simple_responses {
            value.get("isAuthorized").and_then(Value::as_bool)
        } else {
            policy_allows(value)
        };
        match allowed {
            Some(true) if context.is_object() => AuthResult::Allowed(context),
            Some(false) => AuthResult::Forbidden,
            _ => {
                tracing::warn!(authorizer = %self.name, "unreadable authorizer response");
                AuthResult::Failed
            }
        }
    }
}

/// An IAM-policy response: allowed when some statement allows and none denies.
fn policy_allows(value: &Value) -> Option<bool> {
    let statements = value.pointer("/policyDocument/Statement")?.as_array()?;
    let effects: Vec<&str> = statements.iter().filter_map(|s| s.get("Effect").and_then(Value::as_str)).collect();
    let denied = effects.iter().any(|e| e.eq_ignore_ascii_case("deny"));
    let allowed = effects.iter().any(|e| e.eq_ignore_ascii_case("allow"));
    Some(allowed && !denied)
}

/// `$request.header.Authorization`, `$request.querystring.token`, or a bare header name.
fn parse_source(source: &str) -> Source {
    if let Some(name) = source.strip_prefix("$request.querystring.") {
        return Source::Query(name.to_owned());
    }
    let name = source.strip_prefix("$request.header.").unwrap_or(source);
    Source::Header(name.to_ascii_lowercase())
}

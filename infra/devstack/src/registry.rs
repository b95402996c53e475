//! Functions in process: each one's `Deps` built from the environment the template gives it,
//! its handler called with the JSON payload Lambda would send. A [`Registry`] is an
//! [`Invoker`], so the gateway and the event-source pollers drive it exactly as they drive
//! `cargo lambda watch`; the whole system in one process (infra/system) and every service's
//! sample-event tests are built on it.
//!
//! Which functions there are comes from template.yaml (build.rs): [`registry!`]`(orders, …)`
//! registers the orders service's functions, `registry!(all, …)` every one. The calling crate
//! depends on their crates, so the handlers are called directly, not through a process.
//!
//! [`registry!`]: crate::registry!

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use bazaar_runtime::config::Env;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use lambda_http::{Body, Response};
use serde_json::{Value, json};

use crate::invoke::{InvokeOutcome, Invoker};
use crate::model::Stack;

type Handler = Box<dyn Fn(Value) -> BoxFuture<'static, anyhow::Result<InvokeOutcome>> + Send + Sync>;

/// The functions of a [`Builder`], by binary name (`orders-place`).
pub struct Registry {
    handlers: BTreeMap<String, Handler>,
}

impl Invoker for Registry {
    fn invoke<'a>(&'a self, binary: &'a str, payload: Value) -> BoxFuture<'a, anyhow::Result<InvokeOutcome>> {
        match self.handlers.get(binary) {
            Some(handler) => handler(payload),
            None => futures::future::ready(Err(anyhow::anyhow!("no function {binary} in the registry"))).boxed(),
        }
    }
}

impl Registry {
    /// The binaries registered, sorted.
    pub fn binaries(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }

    /// Invokes `binary` with the sample event `json` and tells what it came to, as
    /// `events/<service>/outcomes.json` writes it: see [`status`]. Panics (it is for tests)
    /// when the invocation itself fails or an HTTP 4xx is not `application/problem+json`.
    pub async fn sample_status(&self, binary: &str, json: &str) -> u16 {
        let payload: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{binary} sample: {e}"));
        let outcome = self.invoke(binary, payload).await.unwrap_or_else(|e| panic!("{binary}: {e:#}"));
        let status = status(&outcome);
        if let InvokeOutcome::Ok(response) = &outcome
            && response.get("statusCode").is_some()
            && (400..500).contains(&status)
        {
            let content_type = &response["headers"]["content-type"];
            assert_eq!(content_type, "application/problem+json", "{binary}: {response}");
        }
        status
    }
}

/// An invocation's outcome as one HTTP-like status: an HTTP function's own status; an
/// authorizer's 200 authorized, 403 refused, 401 `Unauthorized`; a consumer's or
/// publisher's 200 when every record was handled, 207 when some were reported failed; 200
/// for any other result, and 500 for a function error (a schedule that failed, a panic, a
/// payload the function cannot read).
pub fn status(outcome: &InvokeOutcome) -> u16 {
    match outcome {
        InvokeOutcome::Ok(value) => {
            if let Some(code) = value.get("statusCode").and_then(Value::as_u64) {
                u16::try_from(code).unwrap_or(500)
            } else if let Some(authorized) = value.get("isAuthorized").and_then(Value::as_bool) {
                if authorized { 200 } else { 403 }
            } else if value.get("batchItemFailures").and_then(Value::as_array).is_some_and(|f| !f.is_empty()) {
                207
            } else {
                200
            }
        }
        InvokeOutcome::FunctionError { error_message, .. } if error_message == "Unauthorized" => 401,
        InvokeOutcome::FunctionError { .. } => 500,
    }
}

/// Collects functions into a [`Registry`]; used through [`registry!`](crate::registry!).
pub struct Builder<'a> {
    stack: &'a Stack,
    configs: &'a crate::provision::iam::FunctionConfigs,
    moto_endpoint: &'a str,
    handlers: BTreeMap<String, Handler>,
}

impl<'a> Builder<'a> {
    /// Functions of `stack`, each built with its own role's SDK configuration from `configs`.
    pub fn new(
        stack: &'a Stack,
        configs: &'a crate::provision::iam::FunctionConfigs,
        moto_endpoint: &'a str,
    ) -> Builder<'a> {
        Builder { stack, configs, moto_endpoint, handlers: BTreeMap::new() }
    }

    /// Registers the function of crate `krate` (`orders_place`) as `call(deps, payload)`
    /// under its binary name, its `Deps` built once by `deps` from the SDK configuration and
    /// the environment the template gives it.
    pub fn add<D, F, Fut>(
        &mut self,
        krate: &str,
        deps: impl FnOnce(&aws_types::SdkConfig, &Env) -> anyhow::Result<D>,
        call: F,
    ) -> anyhow::Result<()>
    where
        D: Send + Sync + 'static,
        F: Fn(Arc<D>, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<InvokeOutcome>> + Send + 'static,
    {
        let binary = krate.replace('_', "-");
        let env = function_env(self.stack, &binary, self.moto_endpoint)?;
        let config = self.configs.of(&binary)?;
        let deps = Arc::new(deps(&config, &env).with_context(|| binary.clone())?);
        self.handlers.insert(binary, Box::new(move |payload| call(deps.clone(), payload).boxed()));
        Ok(())
    }

    pub fn finish(self) -> Registry {
        Registry { handlers: self.handlers }
    }
}

/// The environment the template gives function `binary` (`orders-place`) of `stack`, its
/// AWS endpoint moto's.
pub fn function_env(stack: &Stack, binary: &str, moto_endpoint: &str) -> anyhow::Result<Env> {
    let function = stack
        .functions
        .iter()
        .find(|f| f.binary == binary)
        .with_context(|| format!("template.yaml has no function {binary}"))?;
    Ok(Env::from_map(crate::env::function_env(stack, function, moto_endpoint)))
}

/// An HTTP function's payload: an API Gateway v2 request.
#[doc(hidden)]
pub fn http_request(payload: &Value) -> anyhow::Result<lambda_http::Request> {
    lambda_http::request::from_str(&payload.to_string()).context("an API Gateway v2 event")
}

/// An HTTP function's response as API Gateway's payload 2.0 integration response.
pub fn http_response(response: Response<Body>) -> InvokeOutcome {
    let (parts, body) = response.into_parts();
    let mut headers = serde_json::Map::new();
    for (name, value) in &parts.headers {
        let value = value.to_str().unwrap_or_default();
        let joined = match headers.get(name.as_str()).and_then(Value::as_str) {
            Some(previous) => format!("{previous},{value}"),
            None => value.to_owned(),
        };
        headers.insert(name.as_str().to_owned(), Value::from(joined));
    }
    let (body, base64) = match body {
        Body::Empty => (String::new(), false),
        Body::Text(text) => (text, false),
        Body::Binary(bytes) => {
            use base64::Engine as _;
            (base64::engine::general_purpose::STANDARD.encode(bytes), true)
        }
        _ => (String::new(), false),
    };
    InvokeOutcome::Ok(
        json!({ "statusCode": parts.status.as_u16(), "headers": headers, "body": body, "isBase64Encoded": base64 }),
    )
}

/// A non-HTTP payload as the Lambda runtime hands it over, or the runtime's unmarshal error.
#[doc(hidden)]
pub fn lambda_event<T: serde::de::DeserializeOwned>(
    payload: Value,
) -> Result<lambda_runtime::LambdaEvent<T>, InvokeOutcome> {
    serde_json::from_value(payload)
        .map(|event| lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()))
        .map_err(|e| error_outcome("Runtime.UnmarshalError", e.to_string()))
}

/// What an event function returned, as its invocation's JSON.
#[doc(hidden)]
pub fn returned<T: serde::Serialize>(out: T) -> anyhow::Result<InvokeOutcome> {
    Ok(InvokeOutcome::Ok(serde_json::to_value(out)?))
}

#[doc(hidden)]
pub fn error_outcome(error_type: impl Into<String>, message: impl Into<String>) -> InvokeOutcome {
    InvokeOutcome::FunctionError { error_type: error_type.into(), error_message: message.into() }
}

/// Registers an HTTP function (`handler(&Deps, Request) -> Response<Body>`) on builder `$b`.
#[doc(hidden)]
#[macro_export]
macro_rules! http_fn {
    ($b:ident, $krate:ident) => {
        $b.add(stringify!($krate), $krate::Deps::new, |deps: ::std::sync::Arc<$krate::Deps>, payload| async move {
            let request = $crate::registry::http_request(&payload)?;
            Ok($crate::registry::http_response($krate::handler(&deps, request).await))
        })?
    };
}

/// Registers an event function (`handler(&Deps, LambdaEvent<E>) -> Result<R, E>`) on
/// builder `$b`; `|e| outcome` turns its error into the invocation's function error.
#[doc(hidden)]
#[macro_export]
macro_rules! event_fn {
    ($b:ident, $krate:ident) => {
        $crate::event_fn!($b, $krate, |e| $crate::registry::error_outcome("Error", e.to_string()))
    };
    ($b:ident, $krate:ident, |$e:ident| $error:expr) => {
        $b.add(stringify!($krate), $krate::Deps::new, |deps: ::std::sync::Arc<$krate::Deps>, payload| async move {
            let event = match $crate::registry::lambda_event(payload) {
                Ok(event) => event,
                Err(unmarshal) => return Ok(unmarshal),
            };
            match $krate::handler(&deps, event).await {
                Ok(out) => $crate::registry::returned(out),
                Err($e) => Ok($error),
            }
        })?
    };
}

/// Registers a Lambda authorizer on builder `$b`: its error is a `Diagnostic`, passed on as
/// it is.
#[doc(hidden)]
#[macro_export]
macro_rules! authorizer_fn {
    ($b:ident, $krate:ident) => {
        $crate::event_fn!($b, $krate, |d| $crate::registry::error_outcome(d.error_type, d.error_message))
    };
}

/// `registry!(service, &stack, &configs, moto_endpoint)`: an `anyhow::Result<Registry>` of
/// the functions of `service` (the first part of their binary names: `orders`, `auth`), or
/// of every function with `all`, in the stack `stack` planned from template.yaml. The
/// calling crate must depend on each of those function crates. Each function is built with
/// its own role's credentials (`configs`: [`crate::provision::iam::FunctionConfigs`]).
#[macro_export]
macro_rules! registry {
    ($service:ident, $stack:expr, $config:expr, $endpoint:expr) => {
        (|| -> $crate::registry::Built {
            let mut b = $crate::registry::Builder::new($stack, $config, $endpoint);
            $crate::register_functions!(b, $service);
            Ok(b.finish())
        })()
    };
}

/// What [`registry!`](crate::registry!) gives.
pub type Built = anyhow::Result<Registry>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_comes_to_the_status_the_samples_expect() {
        let ok = |v: Value| status(&InvokeOutcome::Ok(v));
        assert_eq!(ok(json!({ "statusCode": 422, "body": "" })), 422);
        assert_eq!(ok(json!({ "isAuthorized": true })), 200);
        assert_eq!(ok(json!({ "isAuthorized": false })), 403);
        assert_eq!(ok(json!({ "batchItemFailures": [] })), 200);
        assert_eq!(ok(json!({ "batchItemFailures": [{ "itemIdentifier": "m1" }] })), 207);
        assert_eq!(ok(json!({ "released": 3 })), 200);
        assert_eq!(ok(Value::Null), 200);
        assert_eq!(status(&error_outcome("Error", "Unauthorized")), 401);
        assert_eq!(status(&error_outcome("Runtime.UnmarshalError", "missing field")), 500);
    }

    #[test]
    fn a_response_keeps_its_status_headers_and_body() {
        let response = Response::builder()
            .status(404)
            .header("content-type", "application/problem+json")
            .body(Body::Text("{}".into()))
            .expect("response");
        let InvokeOutcome::Ok(value) = http_response(response) else { panic!("an HTTP response") };
        assert_eq!(value["statusCode"], 404);
        assert_eq!(value["headers"]["content-type"], "application/problem+json");
        assert_eq!(value["body"], "{}");
        assert_eq!(value["isBase64Encoded"], false);
    }
}

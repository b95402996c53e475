//! Every function of the template, in process: its `Deps` built from the environment the
//! template gives it, its handler called with the same JSON payload Lambda would send. The
//! registry is a devstack [`Invoker`], so the devstack's gateway and event-source pollers
//! drive it exactly as they drive `cargo lambda watch`.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use bazaar_runtime::config::Env;
use devstack::invoke::{InvokeOutcome, Invoker};
use devstack::model::Stack;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use lambda_http::{Body, Response};
use serde_json::{Value, json};

use crate::counting::CURRENT_FUNCTION;

type Handler = Box<dyn Fn(Value) -> BoxFuture<'static, anyhow::Result<InvokeOutcome>> + Send + Sync>;

pub struct Registry {
    handlers: BTreeMap<String, Handler>,
    invocations: std::sync::Mutex<BTreeMap<String, u64>>,
}

impl Invoker for Registry {
    fn invoke<'a>(&'a self, binary: &'a str, payload: Value) -> BoxFuture<'a, anyhow::Result<InvokeOutcome>> {
        match self.handlers.get(binary) {
            Some(handler) => {
                if let Ok(mut counts) = self.invocations.lock() {
                    *counts.entry(binary.to_owned()).or_default() += 1;
                }
                CURRENT_FUNCTION.scope(binary.to_owned(), handler(payload)).boxed()
            }
            None => futures::future::ready(Err(anyhow::anyhow!("no function {binary} in the registry"))).boxed(),
        }
    }
}

/// An HTTP function's response as API Gateway's payload 2.0 integration response.
pub fn http_response(response: Response<Body>) -> Value {
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
    json!({ "statusCode": parts.status.as_u16(), "headers": headers, "body": body, "isBase64Encoded": base64 })
}

fn error_outcome(error_type: impl Into<String>, message: impl Into<String>) -> InvokeOutcome {
    InvokeOutcome::FunctionError { error_type: error_type.into(), error_message: message.into() }
}

struct Builder<'a> {
    stack: &'a Stack,
    config: &'a aws_types::SdkConfig,
    moto_endpoint: &'a str,
    handlers: BTreeMap<String, Handler>,
}

impl Builder<'_> {
    fn env(&self, binary: &str) -> anyhow::Result<Env> {
        let function = self
            .stack
            .functions
            .iter()
            .find(|f| f.binary == binary)
            .with_context(|| format!("template.yaml has no function {binary}"))?;
        Ok(Env::from_map(devstack::env::function_env(self.stack, function, self.moto_endpoint)))
    }
}

impl Builder<'_> {
    /// Registers `binary` as `call(deps, payload)`, its `deps` built once.
    fn add<D, F, Fut>(&mut self, binary: String, deps: D, call: F)
    where
        D: Send + Sync + 'static,
        F: Fn(Arc<D>, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<InvokeOutcome>> + Send + 'static,
    {
        let deps = Arc::new(deps);
        self.handlers.insert(binary, Box::new(move |payload| call(deps.clone(), payload).boxed()));
    }
}

/// A non-HTTP payload as the Lambda runtime hands it over, or the runtime's unmarshal error.
fn lambda_event<T: serde::de::DeserializeOwned>(
    payload: Value,
) -> Result<lambda_runtime::LambdaEvent<T>, InvokeOutcome> {
    serde_json::from_value(payload)
        .map(|event| lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()))
        .map_err(|e| error_outcome("Runtime.UnmarshalError", e.to_string()))
}

/// Builds `$krate`'s `Deps` from the environment the template gives it and registers
/// `$call(deps, payload)` under its binary name.
macro_rules! register_fn {
    ($b:ident, $krate:ident, $call:expr) => {{
        let name = stringify!($krate).replace('_', "-");
        let deps = $krate::Deps::new($b.config, &$b.env(&name)?).with_context(|| name.clone())?;
        $b.add(name, deps, $call);
    }};
}

/// An HTTP function (`handler(&Deps, Request) -> Response<Body>`).
macro_rules! http_fn {
    ($b:ident, $krate:ident) => {
        register_fn!($b, $krate, |deps: Arc<$krate::Deps>, payload: Value| async move {
            let request = lambda_http::request::from_str(&payload.to_string()).context("an API Gateway v2 event")?;
            Ok(InvokeOutcome::Ok(http_response($krate::handler(&deps, request).await)))
        })
    };
}

/// An event function (`handler(&Deps, LambdaEvent<E>) -> Result<R, E>`); `|e| outcome`
/// turns its error into the invoke's function error.
macro_rules! event_fn {
    ($b:ident, $krate:ident) => {
        event_fn!($b, $krate, |e| error_outcome("Error", e.to_string()))
    };
    ($b:ident, $krate:ident, |$e:ident| $error:expr) => {
        register_fn!($b, $krate, |deps: Arc<$krate::Deps>, payload: Value| async move {
            let event = match lambda_event(payload) {
                Ok(event) => event,
                Err(unmarshal) => return Ok(unmarshal),
            };
            Ok(match $krate::handler(&deps, event).await {
                Ok(out) => InvokeOutcome::Ok(serde_json::to_value(out)?),
                Err($e) => $error,
            })
        })
    };
}

/// A Lambda authorizer: its error is a `Diagnostic`, passed on as it is.
macro_rules! authorizer_fn {
    ($b:ident, $krate:ident) => {
        event_fn!($b, $krate, |d| error_outcome(d.error_type, d.error_message))
    };
}

impl Registry {
    /// Builds every function of `stack` against `config`. A function of the template
    /// missing here is an error, so the registry cannot silently fall behind the template.
    pub fn build(stack: &Stack, config: &aws_types::SdkConfig, moto_endpoint: &str) -> anyhow::Result<Registry> {
        let mut b = Builder { stack, config, moto_endpoint, handlers: BTreeMap::new() };
        macro_rules! register {
            ($register:ident, $($krate:ident),* $(,)?) => {
                $($register!(b, $krate);)*
            };
        }
        http_functions!(register, http_fn);
        event_functions!(register, event_fn);
        authorizer_functions!(register, authorizer_fn);

        let missing: Vec<&str> =
            stack.functions.iter().map(|f| f.binary.as_str()).filter(|n| !b.handlers.contains_key(*n)).collect();
        anyhow::ensure!(missing.is_empty(), "functions of the template not in the registry: {missing:?}");
        Ok(Registry { handlers: b.handlers, invocations: Default::default() })
    }

    /// Invocations per function since the last reset.
    pub fn invocations(&self) -> BTreeMap<String, u64> {
        self.invocations.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn reset_invocations(&self) {
        if let Ok(mut counts) = self.invocations.lock() {
            counts.clear();
        }
    }
}

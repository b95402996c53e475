//! Invoking functions: the [`Invoker`] trait the gateway and the pollers call, and its real
//! implementation over `cargo lambda watch`'s Lambda Invoke API.
//!
//! `cargo lambda watch` 1.9.2 answers `POST /2015-03-31/functions/<bin>/invocations` with
//! 200 and the function's JSON on success, and with **500** and a body
//! `{"errorType": "...", "errorMessage": "..."}` (no `X-Amz-Function-Error` header) when the
//! handler returns an error, panics ("Lambda panicked: ...") or cannot deserialize its
//! payload. An unknown binary is a 404 `{"title": "Missing function", "detail": ...}`.
//! Real Lambda instead answers 200 with `X-Amz-Function-Error: Unhandled`; both are mapped.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures::future::BoxFuture;
use serde_json::Value;

/// How one invocation ended, as far as the caller (gateway, poller) cares.
#[derive(Debug, Clone, PartialEq)]
pub enum InvokeOutcome {
    /// The function returned this JSON (`Value::Null` for an empty response).
    Ok(Value),
    /// The function failed: returned an error, panicked or could not read its payload.
    FunctionError { error_type: String, error_message: String },
}

/// Something that runs a function binary with a JSON payload.
///
/// It returns a boxed future (rather than being an `async fn`) so that it is dyn-compatible:
/// the gateway and every poller share one `Arc<dyn Invoker>`. `Err` means the invocation
/// itself failed (function host unreachable, unknown binary), not the function.
pub trait Invoker: Send + Sync {
    fn invoke<'a>(&'a self, binary: &'a str, payload: Value) -> BoxFuture<'a, anyhow::Result<InvokeOutcome>>;
}

/// An [`Invoker`] backed by a closure; lets gateway and poller logic be tested without
/// a function host.
pub struct FnInvoker<F>(F);

impl<F, Fut> FnInvoker<F>
where
    F: Fn(String, Value) -> Fut + Send + Sync,
    Fut: Future<Output = anyhow::Result<InvokeOutcome>> + Send + 'static,
{
    pub fn new(f: F) -> Self {
        FnInvoker(f)
    }
}

impl<F, Fut> Invoker for FnInvoker<F>
where
    F: Fn(String, Value) -> Fut + Send + Sync,
    Fut: Future<Output = anyhow::Result<InvokeOutcome>> + Send + 'static,
{
    fn invoke<'a>(&'a self, binary: &'a str, payload: Value) -> BoxFuture<'a, anyhow::Result<InvokeOutcome>> {
        Box::pin((self.0)(binary.to_owned(), payload))
    }
}

/// The real invoker: the Lambda Invoke API served by `cargo lambda watch`.
#[derive(Debug, Clone)]
pub struct HttpInvoker {
    client: reqwest::Client,
    base_url: String,
}

impl HttpInvoker {
    /// `base_url` is the function host, e.g. `http://127.0.0.1:9000`.
    pub fn new(base_url: impl Into<String>) -> anyhow::Result<Self> {
        // The first invocation of a binary can wait for cargo lambda to (re)build it, which
        // takes minutes on a cold target dir; never time out before that.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(900))
            .build()
            .context("building the HTTP client for the Invoke API")?;
        Ok(HttpInvoker { client, base_url: base_url.into().trim_end_matches('/').to_owned() })
    }

    async fn call(&self, binary: &str, payload: Value) -> anyhow::Result<InvokeOutcome> {
        let url = format!("{}/2015-03-31/functions/{binary}/invocations", self.base_url);
        let response = self
            .client
            .post(&url)
            .json(&payload)
            .send()
            .await
            .with_context(|| format!("invoking {binary} at {url}"))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response.bytes().await.with_context(|| format!("reading {binary}'s response"))?;
        outcome_from_response(status.as_u16(), function_error, &body).with_context(|| format!("invoking {binary}"))
    }
}

impl Invoker for HttpInvoker {
    fn invoke<'a>(&'a self, binary: &'a str, payload: Value) -> BoxFuture<'a, anyhow::Result<InvokeOutcome>> {
        Box::pin(self.call(binary, payload))
    }
}

/// Maps an Invoke API response (status, whether `X-Amz-Function-Error` was set, body) to an
/// outcome. Separate from the HTTP call so that the mapping is unit-tested.
pub fn outcome_from_response(status: u16, function_error_header: bool, body: &[u8]) -> anyhow::Result<InvokeOutcome> {
    let json: Option<Value> =
        if body.iter().all(u8::is_ascii_whitespace) { Some(Value::Null) } else { serde_json::from_slice(body).ok() };
    if (200..300).contains(&status) && !function_error_header {
        return match json {
            Some(value) => Ok(InvokeOutcome::Ok(value)),
            None => bail!("the function returned a response that is not JSON"),
        };
    }
    // A function error carries errorType/errorMessage (cargo lambda: 500; Lambda: 200 + header).
    if let Some(error) = json.as_ref().and_then(function_error_fields)
        && (status == 500 || function_error_header)
    {
        return Ok(error);
    }
    let text = String::from_utf8_lossy(body);
    bail!("the Invoke API answered {status}: {}", text.trim())
}

fn function_error_fields(value: &Value) -> Option<InvokeOutcome> {
    let message = value.get("errorMessage")?.as_str()?;
    let error_type = value.get("errorType").and_then(Value::as_str).unwrap_or("");
    Some(InvokeOutcome::FunctionError { error_type: error_type.to_owned(), error_message: message.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn success_is_the_json_body() {
        let outcome = outcome_from_response(200, false, br#"{"a":1}"#).expect("ok");
        assert_eq!(outcome, InvokeOutcome::Ok(json!({"a": 1})));
        let empty = outcome_from_response(200, false, b"").expect("ok");
        assert_eq!(empty, InvokeOutcome::Ok(Value::Null));
    }

    #[test]
    fn cargo_lambda_500_is_a_function_error() {
        let body = br#"{"errorType":"&alloc::boxed::Box<dyn core::error::Error>","errorMessage":"Unauthorized"}"#;
        let outcome = outcome_from_response(500, false, body).expect("mapped");
        assert!(matches!(
            outcome,
            InvokeOutcome::FunctionError { ref error_message, .. } if error_message == "Unauthorized"
        ));
    }

    #[test]
    fn lambda_style_header_is_a_function_error() {
        let body = br#"{"errorType":"Runtime.ExitError","errorMessage":"exited"}"#;
        let outcome = outcome_from_response(200, true, body).expect("mapped");
        assert!(matches!(outcome, InvokeOutcome::FunctionError { .. }));
    }

    #[test]
    fn unknown_binary_is_an_invoke_error() {
        let body = br#"{"detail":"that function doesn't exist","title":"Missing function"}"#;
        let error = outcome_from_response(404, false, body).expect_err("not a function error");
        assert!(error.to_string().contains("404"));
    }
}

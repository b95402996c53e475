//! The HTTP lifecycle of every API function: correlation id, a tracing span, JSON bodies in
//! and out, and the one place where errors become `application/problem+json` responses.

use std::future::Future;
use std::time::Instant;

use http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use crate::{CorrelationId, Identity, Problem, correlation, problem};

/// Request bodies larger than this are refused with 413 before parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What a handler may fail with: a problem for the caller, or an unexpected error that
/// becomes a bare 500 (logged with its chain, never sent).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Problem(Problem),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    /// The HTTP status this error is answered with (500 for an unexpected one).
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Problem(p) => p.status,
            ApiError::Unexpected(_) => 500,
        }
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError::Problem(p)
    }
}

/// Per-request facts a handler needs besides the request itself.
#[derive(Debug, Clone)]
pub struct RequestCx {
    pub correlation_id: CorrelationId,
    /// The client's IP as API Gateway saw it (`requestContext.http.sourceIp`).
    pub source_ip: String,
}

impl RequestCx {
    pub fn from_request(req: &Request) -> RequestCx {
        let (request_id, source_ip) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => (ctx.request_id.clone(), ctx.http.source_ip.clone()),
            _ => (None, None),
        };
        let header = req.headers().get(correlation::HEADER).and_then(|v| v.to_str().ok());
        RequestCx {
            correlation_id: CorrelationId::from_parts(header, request_id.as_deref()),
            source_ip: source_ip.unwrap_or_else(|| "unknown".to_owned()),
        }
    }

    /// The caller's identity from the authorizer context (401 without one).
    pub fn identity(&self, req: &Request) -> Result<Identity, Problem> {
        Identity::from_request(req)
    }
}

/// Runs `handler` for one request and always produces a response: the handler's, or the
/// problem it failed with. Every line logged inside carries the correlation id.
pub async fn respond<F, Fut>(req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(Request, RequestCx) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let cx = RequestCx::from_request(&req);
    let span = tracing::info_span!("request", correlation_id = %cx.correlation_id);
    let method = req.method().clone();
    let path = req.raw_http_path().to_owned();
    let correlation_id = cx.correlation_id.clone();
    let started = Instant::now();
    async move {
        let mut response = match handler(req, cx).await {
            Ok(response) => response,
            Err(ApiError::Problem(p)) => problem_response(p, &correlation_id),
            Err(ApiError::Unexpected(e)) => {
                tracing::error!(error = format!("{e:#}"), "unexpected error");
                problem_response(Problem::internal(), &correlation_id)
            }
        };
        if let Ok(v) = HeaderValue::from_str(correlation_id.as_str()) {
            response.headers_mut().insert(correlation::HEADER, v);
        }
        let status = response.status().as_u16();
        let ms = started.elapsed().as_millis() as u64;
        tracing::info!(%method, %path, status, ms, "request handled");
        response
    }
    .instrument(span)
    .await
}

/// A problem as an HTTP response.
pub fn problem_response(mut problem: Problem, correlation_id: &CorrelationId) -> Response<Body> {
    problem.correlation_id = Some(correlation_id.to_string());
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&problem).unwrap_or_default();
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, problem::CONTENT_TYPE)
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(seconds) = problem.retry_after {
        builder = builder.header(header::RETRY_AFTER, seconds.to_string());
    }
    builder.body(Body::Text(body)).unwrap_or_else(|_| Response::new(Body::Empty))
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value).map_err(anyhow::Error::from)?;
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Text(body))
        .map_err(|e| ApiError::Unexpected(e.into()))
}

/// 204 No Content.
pub fn no_content() -> Result<Response<Body>, ApiError> {
    Response::builder().status(StatusCode::NO_CONTENT).body(Body::Empty).map_err(|e| ApiError::Unexpected(e.into()))
}

/// Parses a JSON request body: 415 unless it is JSON, 413 past [`MAX_BODY_BYTES`], 400 when
/// empty or malformed, with serde's description of what is wrong (position and field, never
/// anything internal).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !(mime == "application/json" || mime.ends_with("+json")) {
        return Err(Problem::unsupported_media_type());
    }
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Problem::payload_too_large(MAX_BODY_BYTES));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request("a JSON request body is required"));
    }
    let invalid = |e: serde_json::Error| Problem::bad_request(format!("invalid JSON body: {e}"));
    match serde_json::from_slice(bytes) {
        Ok(body) => Ok(body),
        // JSON has one number type: `5.0` is the integer 5 (JSON Schema's `integer` says so
        // too), where serde refuses it for an integer field. Read again with such numbers
        // written as integers (what is then wrong is wrong with the body as meant).
        Err(e) => match serde_json::from_slice::<Value>(bytes).ok().and_then(integral) {
            Some(value) => serde_json::from_value(value).map_err(invalid),
            None => Err(invalid(e)),
        },
    }
}

/// `value` with every float of no fractional part that fits an `i64` written as that integer;
/// `None` when it has none (nothing would read differently).
fn integral(value: Value) -> Option<Value> {
    fn rewrite(value: &mut Value, changed: &mut bool) {
        match value {
            Value::Number(n) if n.is_f64() => {
                let float = n.as_f64().unwrap_or(f64::NAN);
                // i64::MAX as f64 rounds up to 2^63, which does not fit: the bound is exclusive.
                if float.fract() == 0.0 && float >= i64::MIN as f64 && float < i64::MAX as f64 {
                    *value = Value::from(float as i64);
                    *changed = true;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, changed)),
            Value::Object(map) => map.values_mut().for_each(|v| rewrite(v, changed)),
            _ => {}
        }
    }
    let (mut value, mut changed) = (value, false);
    rewrite(&mut value, &mut changed);
    changed.then_some(value)
}

/// A path parameter (`{id}`) of the route, or 404 when absent.
pub fn path_param(req: &Request, name: &str) -> Result<String, Problem> {
    req.path_parameters_ref().and_then(|p| p.first(name)).map(str::to_owned).ok_or_else(Problem::not_found)
}

/// A query string parameter (`?name=value`), if present and not empty.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// A request header as text, if present and valid UTF-8.
pub fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `?limit=` for list routes: `default` when absent, 400 unless 1..=`max`.
pub fn limit_param(req: &Request, default: i32, max: i32) -> Result<i32, Problem> {
    match query_param(req, "limit") {
        None => Ok(default),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| Problem::bad_request(format!("limit must be an integer from 1 to {max}"))),
    }
}

/// Serves an HTTP handler on the Lambda runtime. The handler never fails: errors were
/// already turned into problem responses by [`respond`].
pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send,
{
    lambda_http::run(lambda_http::service_fn(|req| {
        let fut = handler(req);
        async move { Ok::<_, std::convert::Infallible>(fut.await) }
    }))
    .await
}

/// The `main` of an HTTP function crate whose library exposes `Deps::new(&SdkConfig, &Env)`
/// and `handler(&Deps, Request)`: logging, dependencies built once at init, then the
/// runtime. `http_main!(krate, without_aws)` for a function that calls no AWS service.
#[macro_export]
macro_rules! http_main {
    ($krate:ident $(, $without_aws:ident)?) => {
        $crate::lambda_main!($krate $(, $without_aws)?; |deps| $crate::http::run(|req| $krate::handler(&deps, req)));
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut b = http::Request::builder().method("POST").uri("/x");
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        b.body(Body::from(body)).expect("request")
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Login {
        email: String,
    }

    #[test]
    fn json_body_refuses_what_is_not_json_with_a_4xx() {
        assert_eq!(json_body::<Login>(&request(None, "{}")).expect_err("no ct").status, 415);
        assert_eq!(json_body::<Login>(&request(Some("application/json"), "")).expect_err("empty").status, 400);
        let bad = json_body::<Login>(&request(Some("application/json"), "{\"email\": 3}")).expect_err("type");
        assert_eq!(bad.status, 400);
        assert!(bad.detail.unwrap_or_default().contains("invalid type"));
        let big = "x".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(json_body::<Login>(&request(Some("application/json"), &big)).expect_err("big").status, 413);
        assert!(json_body::<Login>(&request(Some("application/json; charset=utf-8"), "{\"email\":\"a\"}")).is_ok());
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Line {
        quantity: i64,
        weight: f64,
        lines: Vec<i64>,
    }

    #[test]
    fn an_integer_may_be_written_with_a_zero_fraction_as_json_schema_allows() {
        let body = |text: &str| json_body::<Line>(&request(Some("application/json"), text));
        let read = body(r#"{"quantity": 16276.0, "weight": 2.0, "lines": [1, -3.0, 0.0]}"#).expect("integers");
        assert_eq!(read, Line { quantity: 16276, weight: 2.0, lines: vec![1, -3, 0] });
        assert_eq!(body(r#"{"quantity": 1e3, "weight": 2.5, "lines": []}"#).expect("1e3").quantity, 1000);
        for (text, why) in [
            (r#"{"quantity": 2.5, "weight": 1, "lines": []}"#, "floating point `2.5`"),
            (r#"{"quantity": 1e19, "weight": 1, "lines": []}"#, "floating point"),
            (r#"{"quantity": 1.0, "weight": 1, "lines": "x"}"#, "invalid type: string \"x\", expected a sequence"),
            (r#"{"quantity": "1", "weight": 1, "lines": []}"#, "invalid type: string"),
        ] {
            let refused = body(text).expect_err(text);
            assert_eq!(refused.status, 400, "{text}");
            assert!(refused.detail.unwrap_or_default().contains(why), "{text}");
        }
    }

    #[tokio::test]
    async fn unexpected_errors_become_a_bare_500_with_the_correlation_id() {
        let req = request(None, "").map(|b| b);
        let (parts, body) = req.into_parts();
        let mut req = http::Request::from_parts(parts, body);
        req.headers_mut().insert(correlation::HEADER, HeaderValue::from_static("corr-42"));
        let response = respond(req, |_, _| async {
            Err::<Response<Body>, _>(ApiError::Unexpected(anyhow::anyhow!("db password is hunter2")))
        })
        .await;
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()[header::CONTENT_TYPE], problem::CONTENT_TYPE);
        assert_eq!(response.headers()[correlation::HEADER], "corr-42");
        let body = std::str::from_utf8(response.body().as_ref()).expect("utf8").to_owned();
        assert!(!body.contains("hunter2"), "internal detail leaked: {body}");
        assert!(body.contains("corr-42"));
    }

    #[tokio::test]
    async fn a_problem_keeps_its_status_and_retry_after() {
        let response = respond(request(None, ""), |_, _| async {
            Err::<Response<Body>, _>(ApiError::from(Problem::too_many_requests(30)))
        })
        .await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "30");
    }
}

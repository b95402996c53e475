//! The events API Gateway (HTTP API, payload format 2.0) hands to functions: the request
//! event and the Lambda authorizer's REQUEST event.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::body::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::routes::RouteMatch;
use crate::model::{ACCOUNT_ID, REGION};

/// API id the local gateway reports (`requestContext.apiId`, route ARNs).
pub const API_ID: &str = "local";

/// An HTTP request as the gateway received it.
#[derive(Debug, Clone)]
pub struct GatewayRequest {
    pub method: http::Method,
    pub uri: http::Uri,
    pub version: http::Version,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    /// The peer's address (`requestContext.http.sourceIp`).
    pub source_ip: IpAddr,
}

impl GatewayRequest {
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    pub fn raw_query(&self) -> &str {
        self.uri.query().unwrap_or("")
    }

    /// A header's values joined with commas, as API Gateway presents repeated headers.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        (!values.is_empty()).then(|| values.join(","))
    }

    /// Lower-cased headers without `cookie` (2.0 moves cookies to their own field), plus
    /// the `x-forwarded-*` headers API Gateway adds (here the scheme is plain http).
    pub fn event_headers(&self) -> BTreeMap<String, String> {
        let mut headers: BTreeMap<String, String> = self
            .headers
            .keys()
            .filter(|name| name.as_str() != "cookie")
            .filter_map(|name| Some((name.as_str().to_owned(), self.header(name.as_str())?)))
            .collect();
        headers.insert("x-forwarded-proto".to_owned(), "http".to_owned());
        headers
    }

    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Query parameters, decoded; repeated names comma-joined.
    pub fn query_parameters(&self) -> BTreeMap<String, String> {
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(self.raw_query().as_bytes()) {
            params
                .entry(name.into_owned())
                .and_modify(|v| {
                    v.push(',');
                    v.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        params
    }
}

/// The 2.0 request event for an integration.
pub fn http_event(
    request: &GatewayRequest,
    matched: &RouteMatch<'_>,
    request_id: &str,
    authorizer_context: Option<&Value>,
) -> Value {
    let mut context = request_context(request, &matched.route.route_key, request_id);
    if let Some(lambda) = authorizer_context {
        context["authorizer"] = json!({ "lambda": lambda });
    }
    let mut event = common_fields(request, matched);
    event["version"] = json!("2.0");
    event["requestContext"] = context;
    let (body, is_base64) = body_field(request);
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    event["isBase64Encoded"] = json!(is_base64);
    event
}

/// The 2.0 REQUEST event for a Lambda authorizer.
pub fn authorizer_event(
    request: &GatewayRequest,
    matched: &RouteMatch<'_>,
    request_id: &str,
    identity_source: &[String],
) -> Value {
    let route = matched.route;
    let route_arn =
        format!("arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/$default/{}{}", request.method, request.path());
    let mut event = common_fields(request, matched);
    event["version"] = json!("2.0");
    event["type"] = json!("REQUEST");
    event["routeArn"] = json!(route_arn);
    event["identitySource"] = json!(identity_source);
    event["requestContext"] = request_context(request, &route.route_key, request_id);
    event
}

/// Fields both events share; empty collections are left out as API Gateway does.
fn common_fields(request: &GatewayRequest, matched: &RouteMatch<'_>) -> Value {
    let mut event = json!({
        "routeKey": matched.route.route_key,
        "rawPath": request.path(),
        "rawQueryString": request.raw_query(),
        "headers": request.event_headers(),
    });
    let cookies = request.cookies();
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    let query = request.query_parameters();
    if !query.is_empty() {
        event["queryStringParameters"] = json!(query);
    }
    if !matched.path_parameters.is_empty() {
        event["pathParameters"] = json!(matched.path_parameters);
    }
    event
}

fn request_context(request: &GatewayRequest, route_key: &str, request_id: &str) -> Value {
    let now = chrono::Utc::now();
    let domain = request.header("host").unwrap_or_else(|| "localhost".into());
    let prefix = domain.split(['.', ':']).next().unwrap_or_default().to_owned();
    json!({
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": request.method.as_str(),
            "path": request.path(),
            "protocol": format!("{:?}", request.version),
            "sourceIp": request.source_ip.to_string(),
            "userAgent": request.header("user-agent").unwrap_or_default(),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": now.timestamp_millis(),
    })
}

/// The body as text, or base64 for binary content types and non-UTF-8 bytes.
fn body_field(request: &GatewayRequest) -> (Option<String>, bool) {
    if request.body.is_empty() {
        return (None, false);
    }
    let content_type = request.header("content-type").unwrap_or_default();
    match std::str::from_utf8(&request.body) {
        Ok(text) if is_text(&content_type) => (Some(text.to_owned()), false),
        _ => (Some(BASE64.encode(&request.body)), true),
    }
}

fn is_text(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    ct.is_empty()
        || ct.starts_with("text/")
        || ["json", "xml", "javascript", "x-www-form-urlencoded", "yaml", "graphql"]
            .iter()
            .any(|kind| ct.contains(kind))
}

//! API Gateway v2 (HTTP API) request events as the gateway sends them, with the identity
//! the Lambda authorizer would attach, and the reading of handlers' responses.

use bazaar_runtime::Identity;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};

/// An API Gateway v2 request, built step by step.
pub struct Req {
    event: Value,
}

impl Req {
    /// `method path` from 203.0.113.1, its route key the path itself (see [`Req::route`]).
    pub fn new(method: &str, path: &str) -> Req {
        let event = json!({
            "version": "2.0",
            "routeKey": format!("{method} {path}"),
            "rawPath": path,
            "rawQueryString": "",
            "headers": { "host": "127.0.0.1:3000", "x-forwarded-proto": "http" },
            "requestContext": {
                "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1", "stage": "$default",
                "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": format!("{method} {path}"), "timeEpoch": 0,
                "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1", "userAgent": "test" }
            },
            "isBase64Encoded": false
        });
        Req { event }
    }

    /// The route that matched, with its parameters named (`/products/{id}`).
    pub fn route(mut self, route: &str) -> Req {
        let method = self.event["requestContext"]["http"]["method"].as_str().unwrap_or_default().to_owned();
        let key = json!(format!("{method} {route}"));
        self.event["routeKey"] = key.clone();
        self.event["requestContext"]["routeKey"] = key;
        self
    }

    pub fn source_ip(mut self, ip: &str) -> Req {
        self.event["requestContext"]["http"]["sourceIp"] = json!(ip);
        self
    }

    /// The caller the authorizer vouched for, as `requestContext.authorizer.lambda`; `None`
    /// leaves the request anonymous.
    pub fn identity<'a>(mut self, identity: impl Into<Option<&'a Identity>>) -> Req {
        if let Some(identity) = identity.into() {
            self.event["requestContext"]["authorizer"] = json!({ "lambda": identity.to_context() });
        }
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.event["headers"][name] = json!(value);
        self
    }

    pub fn path_param(mut self, name: &str, value: &str) -> Req {
        self.event["pathParameters"][name] = json!(value);
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Req {
        self.event["queryStringParameters"][name] = json!(value);
        let raw = self.event["rawQueryString"].as_str().unwrap_or_default().to_owned();
        let sep = if raw.is_empty() { "" } else { "&" };
        self.event["rawQueryString"] = json!(format!("{raw}{sep}{name}={value}"));
        self
    }

    /// `body` as JSON, with its content type.
    pub fn json(self, body: &Value) -> Req {
        self.json_text(&body.to_string())
    }

    /// `body` (JSON text, well formed or not) with the JSON content type.
    pub fn json_text(self, body: &str) -> Req {
        self.header("content-type", "application/json").body(body)
    }

    /// A raw body, no content type.
    pub fn body(mut self, body: &str) -> Req {
        self.event["body"] = json!(body);
        self
    }

    pub fn build(self) -> Request {
        lambda_http::request::from_str(&self.event.to_string()).expect("API Gateway v2 event")
    }
}

pub fn text(r: &Response<Body>) -> String {
    String::from_utf8_lossy(r.body().as_ref()).into_owned()
}

/// The body as JSON (`Null` when it is not JSON).
pub fn body_json(r: &Response<Body>) -> Value {
    serde_json::from_slice(r.body().as_ref()).unwrap_or(Value::Null)
}

/// Asserts a problem+json response with `status`, in the header and in the body; returns
/// the body.
pub fn problem(r: &Response<Body>, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "{}", text(r));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body = body_json(r);
    assert_eq!(body["status"], status);
    body
}

/// [`problem`], whose `type` is also one of Bazaar's problem URNs; returns the body.
pub fn assert_problem(r: &Response<Body>, status: u16) -> Value {
    let body = problem(r, status);
    assert!(body["type"].as_str().is_some_and(|t| t.starts_with("urn:bazaar:problem:")), "{body}");
    body
}

/// The status a sample event got; a 4xx must be problem+json (`name` says which sample).
pub fn outcome(name: &str, r: &Response<Body>) -> u16 {
    if r.status().is_client_error() {
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{name}");
    }
    r.status().as_u16()
}

//! Turning a function's result into the HTTP response, as API Gateway does for payload
//! format 2.0, and the gateway's own `{"message": ...}` responses.

use axum::body::Body;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::{CONTENT_TYPE, SET_COOKIE};
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::invoke::InvokeOutcome;

/// API Gateway's own error responses: `{"message": "..."}`.
pub fn message(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "message": message }))
}

pub fn internal_error() -> Response {
    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Maps an invocation's outcome; any failure is a 500 (details go to the log, not the client).
pub fn from_outcome(outcome: &anyhow::Result<InvokeOutcome>) -> Response {
    match outcome {
        Ok(InvokeOutcome::Ok(value)) => match from_value(value) {
            Ok(response) => response,
            Err(problem) => {
                tracing::warn!("malformed integration response: {problem}");
                internal_error()
            }
        },
        Ok(InvokeOutcome::FunctionError { error_type, .. }) => {
            // errorMessage may carry user data; the type is enough to point at the failure.
            tracing::warn!("function error ({error_type})");
            internal_error()
        }
        Err(error) => {
            tracing::error!("invoke failed: {error:#}");
            internal_error()
        }
    }
}

/// A 2.0 response: an object with `statusCode` is a full response; anything else is
/// `200 application/json` with the value as the body.
pub fn from_value(value: &Value) -> Result<Response, String> {
    let Some(status) = value.get("statusCode") else {
        return Ok(json_response(StatusCode::OK, value));
    };
    let status = status
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| format!("invalid statusCode {status}"))?;
    let body = body_bytes(value)?;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, v) in value.get("headers").and_then(Value::as_object).into_iter().flatten() {
        insert(headers, name, v, false)?;
    }
    let multi = value.get("multiValueHeaders").and_then(Value::as_object);
    for (name, values) in multi.into_iter().flatten() {
        for v in values.as_array().into_iter().flatten() {
            insert(headers, name, v, true)?;
        }
    }
    for cookie in value.get("cookies").and_then(Value::as_array).into_iter().flatten() {
        insert(headers, SET_COOKIE.as_str(), cookie, true)?;
    }
    Ok(response)
}

fn body_bytes(value: &Value) -> Result<Vec<u8>, String> {
    let body = match value.get("body") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if value.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
        BASE64.decode(body.as_bytes()).map_err(|e| format!("body is not base64: {e}"))
    } else {
        Ok(body.into_bytes())
    }
}

fn insert(headers: &mut http::HeaderMap, name: &str, value: &Value, append: bool) -> Result<(), String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Null => return Ok(()),
        other => other.to_string(),
    };
    let name = HeaderName::try_from(name).map_err(|e| format!("header {name:?}: {e}"))?;
    let value = HeaderValue::try_from(text).map_err(|e| format!("header {name}: {e}"))?;
    if append {
        headers.append(name, value);
    } else {
        headers.insert(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_response_is_mapped() {
        let value = json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-n": 5},
            "multiValueHeaders": {"x-m": ["a", "b"]},
            "cookies": ["a=1; HttpOnly", "b=2"],
            "body": "{\"ok\":true}"
        });
        let response = from_value(&value).expect("valid");
        assert_eq!(response.status(), StatusCode::CREATED);
        let h = response.headers();
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["x-n"], "5");
        assert_eq!(h.get_all("x-m").iter().count(), 2);
        assert_eq!(h.get_all("set-cookie").iter().count(), 2);
    }

    #[test]
    fn invalid_status_is_rejected() {
        assert!(from_value(&json!({"statusCode": "abc"})).is_err());
        assert!(from_value(&json!({"statusCode": 42})).is_err());
        assert!(from_value(&json!({"statusCode": 200, "body": "!!", "isBase64Encoded": true})).is_err());
    }

    #[test]
    fn plain_json_is_200() {
        let response = from_value(&json!({"hello": "world"})).expect("valid");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}

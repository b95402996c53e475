//! CORS as an HTTP API with a CorsConfiguration does it: the gateway answers preflight
//! requests itself and owns the CORS headers of every response (an integration's own
//! `Access-Control-*` headers are dropped).

use axum::response::Response;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use super::event::GatewayRequest;
use crate::model::Cors;

/// The API's CORS configuration with its header values prepared.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    config: Cors,
}

impl CorsPolicy {
    pub fn new(config: Cors) -> Self {
        CorsPolicy { config }
    }

    /// Whether `origin` may read responses (an exact match or a `*` entry).
    pub fn allows(&self, origin: &str) -> bool {
        self.config.allow_origins.iter().any(|o| o == "*" || o == origin)
    }

    /// The 204 answer to a preflight request, or None when the request is not a preflight.
    /// A disallowed origin still gets its 204, without any CORS header, so the browser refuses.
    pub fn preflight(&self, request: &GatewayRequest) -> Option<Response> {
        let is_preflight = request.method == Method::OPTIONS
            && request.headers.contains_key(header::ORIGIN)
            && request.headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if !is_preflight {
            return None;
        }
        let mut response = Response::new(axum::body::Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let origin = request.header("origin").unwrap_or_default();
        if self.allows(&origin) {
            let headers = response.headers_mut();
            self.origin_headers(headers, &origin);
            let c = &self.config;
            put(headers, header::ACCESS_CONTROL_ALLOW_METHODS, &c.allow_methods.join(","));
            put(headers, header::ACCESS_CONTROL_ALLOW_HEADERS, &c.allow_headers.join(","));
            if let Some(max_age) = c.max_age {
                put(headers, header::ACCESS_CONTROL_MAX_AGE, &max_age.to_string());
            }
        }
        Some(response)
    }

    /// Replaces the integration's CORS headers with the API's for an allowed origin.
    pub fn decorate(&self, request: &GatewayRequest, response: &mut Response) {
        let headers = response.headers_mut();
        let integration_cors: Vec<_> =
            headers.keys().filter(|name| name.as_str().starts_with("access-control-")).cloned().collect();
        for name in integration_cors {
            headers.remove(name);
        }
        let Some(origin) = request.header("origin") else {
            return;
        };
        if self.allows(&origin) {
            self.origin_headers(headers, &origin);
            if !self.config.expose_headers.is_empty() {
                let expose = self.config.expose_headers.join(",");
                put(headers, header::ACCESS_CONTROL_EXPOSE_HEADERS, &expose);
            }
        }
    }

    fn origin_headers(&self, headers: &mut HeaderMap, origin: &str) {
        // With credentials a wildcard is not allowed by browsers, so echo the origin then.
        let wildcard = self.config.allow_origins.iter().any(|o| o == "*");
        let value = if wildcard && !self.config.allow_credentials { "*" } else { origin };
        put(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if self.config.allow_credentials {
            put(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn put(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    // Values come from the template or an Origin header that already parsed as a header;
    // an empty list (nothing configured) sends no header at all.
    if value.is_empty() {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

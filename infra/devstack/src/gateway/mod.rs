//! The local API Gateway: an HTTP API (payload format 2.0) built from the stack's routes,
//! with its Lambda authorizer, CORS, per-route throttling, and one local-only route,
//! `GET /_local/outbox`, showing the email and SMS moto recorded.

pub mod auth;
pub mod cors;
pub mod event;
pub mod response;
pub mod routes;
pub mod throttle;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode};

use crate::invoke::Invoker;
use crate::model::Stack;
use auth::{AuthResult, AuthorizerRuntime};
use cors::CorsPolicy;
pub use event::GatewayRequest;
use response::message;
use routes::{RouteMatch, RouteTable};
use throttle::Throttle;

/// The largest request body API Gateway accepts (10 MB).
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Path of the local-only outbox route.
pub const OUTBOX_PATH: &str = "/_local/outbox";

/// Settings that are not in the template.
#[derive(Debug, Clone, Default)]
pub struct GatewayOptions {
    /// moto's endpoint, for `GET /_local/outbox`; None disables that route.
    pub moto_endpoint: Option<String>,
}

/// The gateway: routes, authorizers, CORS and throttling over an [`Invoker`].
pub struct Gateway {
    routes: RouteTable,
    authorizers: BTreeMap<String, AuthorizerRuntime>,
    cors: Option<CorsPolicy>,
    throttle: Option<Throttle>,
    invoker: Arc<dyn Invoker>,
    options: GatewayOptions,
    http: reqwest::Client,
}

impl Gateway {
    /// Builds the gateway from the stack; an authorizer or route that names an unknown
    /// function is an error.
    pub fn new(stack: &Stack, invoker: Arc<dyn Invoker>, options: GatewayOptions) -> anyhow::Result<Gateway> {
        let routes = RouteTable::from_stack(stack)?;
        let api = stack.http_api.as_ref();
        let mut authorizers = BTreeMap::new();
        for (name, config) in api.map(|a| &a.authorizers).into_iter().flatten() {
            let function = stack
                .function(&config.function_logical_id)
                .with_context(|| format!("authorizer {name}: unknown function"))?;
            authorizers.insert(name.clone(), AuthorizerRuntime::new(config, &function.binary));
        }
        for route in routes.routes() {
            if let Some(name) = &route.authorizer {
                anyhow::ensure!(
                    authorizers.contains_key(name),
                    "route {} uses unknown authorizer {name}",
                    route.route_key
                );
            }
        }
        Ok(Gateway {
            routes,
            authorizers,
            cors: api.and_then(|a| a.cors.clone()).map(CorsPolicy::new),
            throttle: api.and_then(|a| Throttle::new(a.throttling_rate_limit, a.throttling_burst_limit)),
            invoker,
            options,
            http: reqwest::Client::new(),
        })
    }

    /// The axum router; serve it with [`serve`] so that the peer address is known.
    pub fn router(self) -> Router {
        Router::new().fallback(handle_http).with_state(Arc::new(self))
    }

    /// Handles one request end to end (what the HTTP server calls for every request).
    pub async fn handle(&self, request: GatewayRequest) -> Response {
        let started = Instant::now();
        let request_id = uuid::Uuid::new_v4().to_string();
        let preflight = self.cors.as_ref().and_then(|c| c.preflight(&request));
        let (mut response, function) = match preflight {
            Some(preflight) => (preflight, None),
            None => self.dispatch(&request, &request_id).await,
        };
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("apigw-requestid", id);
        }
        // Only method, path (no query string: it may carry tokens), status and timing.
        tracing::info!(
            "{} {} {} {}ms {}",
            request.method,
            request.path(),
            response.status().as_u16(),
            started.elapsed().as_millis(),
            function.unwrap_or("-"),
        );
        response
    }

    /// The response (with the API's CORS headers) and the function that produced it.
    async fn dispatch<'a>(&'a self, request: &GatewayRequest, request_id: &str) -> (Response, Option<&'a str>) {
        let (mut response, function) = self.route(request, request_id).await;
        if let Some(cors) = &self.cors {
            cors.decorate(request, &mut response);
        }
        (response, function)
    }

    async fn route<'a>(&'a self, request: &GatewayRequest, request_id: &str) -> (Response, Option<&'a str>) {
        if request.path() == OUTBOX_PATH && request.method == Method::GET {
            return (self.outbox().await, None);
        }
        let Some(matched) = self.routes.find(request.method.as_str(), request.path()) else {
            return (message(StatusCode::NOT_FOUND, "Not Found"), None);
        };
        let binary = matched.route.binary.as_str();
        if let Some(throttle) = &self.throttle
            && !throttle.try_acquire(&matched.route.route_key)
        {
            return (message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests"), None);
        }
        let context = match self.authorize(request, &matched, request_id).await {
            Ok(context) => context,
            Err((response, authorizer)) => return (response, Some(authorizer)),
        };
        let event = event::http_event(request, &matched, request_id, context.as_ref());
        let outcome = self.invoker.invoke(binary, event).await;
        (response::from_outcome(&outcome), Some(binary))
    }

    /// Runs the route's authorizer: Ok(context) to proceed (None for a public route), or
    /// the refusal and the authorizer's binary.
    async fn authorize<'a>(
        &'a self,
        request: &GatewayRequest,
        matched: &RouteMatch<'_>,
        request_id: &str,
    ) -> Result<Option<serde_json::Value>, (Response, &'a str)> {
        let Some(authorizer) = matched.route.authorizer.as_ref().and_then(|name| self.authorizers.get(name)) else {
            return Ok(None);
        };
        let result = authorizer.authorize(self.invoker.as_ref(), request, matched, request_id).await;
        let refusal = match result {
            AuthResult::Allowed(context) => return Ok(Some(context)),
            AuthResult::Unauthorized => message(StatusCode::UNAUTHORIZED, "Unauthorized"),
            AuthResult::Forbidden => message(StatusCode::FORBIDDEN, "Forbidden"),
            AuthResult::Failed => response::internal_error(),
        };
        Err((refusal, authorizer.binary.as_str()))
    }

    async fn outbox(&self) -> Response {
        let Some(endpoint) = &self.options.moto_endpoint else {
            return message(StatusCode::NOT_FOUND, "Not Found");
        };
        match crate::outbox::fetch(&self.http, endpoint).await {
            Ok(outbox) => axum::Json(outbox).into_response(),
            Err(error) => {
                tracing::error!("reading the outbox from moto: {error:#}");
                response::internal_error()
            }
        }
    }
}

/// The single axum handler: every request goes through [`Gateway::handle`].
async fn handle_http(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let source_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    };
    let request = GatewayRequest {
        method: parts.method,
        uri: parts.uri,
        version: parts.version,
        headers: parts.headers,
        body,
        source_ip,
    };
    gateway.handle(request).await
}

/// Serves the gateway on `listener` until the task is dropped or the listener fails.
pub async fn serve(listener: tokio::net::TcpListener, gateway: Gateway) -> std::io::Result<()> {
    let app = gateway.router();
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
}

//! `GET /.well-known/openid-configuration`: discovery for clients that verify tokens
//! themselves. URLs are built from the host the request came to.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

pub struct Deps {
    pub issuer: String,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(_config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { issuer: env.required("JWT_ISSUER")? })
    }
}

/// The claims of an access token.
const CLAIMS: &[&str] = &["sub", "iss", "aud", "exp", "iat", "nbf", "jti", "email", "roles", "permissions"];

/// The discovery document (OpenID Connect Discovery 1.0).
// Fields in alphabetical order: the order it has always been written in.
#[derive(Serialize, schemars::JsonSchema)]
struct OpenIdConfiguration<'a> {
    claims_supported: &'static [&'static str],
    id_token_signing_alg_values_supported: &'static [&'static str],
    /// The `iss` of every access token.
    issuer: &'a str,
    /// Where the public signing keys are (`GET /.well-known/jwks.json`).
    jwks_uri: String,
    response_types_supported: &'static [&'static str],
    subject_types_supported: &'static [&'static str],
    /// `POST /auth/login`.
    token_endpoint: String,
    token_endpoint_auth_methods_supported: &'static [&'static str],
    /// `GET /auth/me`.
    userinfo_endpoint: String,
}

/// `https://<host>` of the request (API Gateway sets Host and X-Forwarded-Proto).
fn base_url(req: &Request) -> String {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let host = header("host").filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)));
    let proto = match header("x-forwarded-proto") {
        Some("http") => "http",
        _ => "https",
    };
    host.map(|h| format!("{proto}://{h}")).unwrap_or_default()
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get(
        "/.well-known/openid-configuration",
        "getOpenIdConfiguration",
        "OpenID discovery document",
    )
    .public()
    .describe(
        "Anyone may read it: the issuer, the JWKS and the endpoints, for clients that verify access \
         tokens themselves. The URLs are built from the host (and `X-Forwarded-Proto`) the request came to.",
    )
    .returns::<OpenIdConfiguration<'static>>(200, "The discovery document.")
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let base = base_url(&req);
        json(
            StatusCode::OK,
            &OpenIdConfiguration {
                claims_supported: CLAIMS,
                id_token_signing_alg_values_supported: &["RS256"],
                issuer: &deps.issuer,
                jwks_uri: format!("{base}/.well-known/jwks.json"),
                response_types_supported: &["token"],
                subject_types_supported: &["public"],
                token_endpoint: format!("{base}/auth/login"),
                token_endpoint_auth_methods_supported: &["none"],
                userinfo_endpoint: format!("{base}/auth/me"),
            },
        )
    })
    .await
}

//! `GET /.well-known/openid-configuration`: discovery for clients that verify tokens
//! themselves. URLs are built from the host the request came to.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub struct Deps {
    pub issuer: String,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(_config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { issuer: env.required("JWT_ISSUER")? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
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

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let base = base_url(&req);
        json(
            StatusCode::OK,
            &serde_json::json!({
                "issuer": deps.issuer,
                "jwks_uri": format!("{base}/.well-known/jwks.json"),
                "token_endpoint": format!("{base}/auth/login"),
                "userinfo_endpoint": format!("{base}/auth/me"),
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "jti", "email", "roles", "permissions"],
            }),
        )
    })
    .await
}

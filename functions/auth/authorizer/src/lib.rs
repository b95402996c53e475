//! The HTTP API's Lambda authorizer (payload 2.0, simple responses). A valid RS256 access
//! token yields `isAuthorized: true` with the caller's identity as context; anything else
//! fails with "Unauthorized", which API Gateway turns into a 401.

use bazaar_runtime::config::Env;
use std::collections::HashMap;

use auth_core::keys::PublicKeySource;
use auth_core::tokens::{self, TokenError};
use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use bazaar_runtime::Identity;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

pub type Response = ApiGatewayV2CustomAuthorizerSimpleResponse<HashMap<String, Value>>;

pub struct Deps {
    pub keys: PublicKeySource,
    pub issuer: String,
    pub audience: String,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            keys: PublicKeySource::from_env(config, env)?,
            issuer: env.required("JWT_ISSUER")?,
            audience: env.required("JWT_AUDIENCE")?,
        })
    }
}

/// The error API Gateway maps to 401: its message must be exactly "Unauthorized".
pub fn unauthorized() -> Diagnostic {
    Diagnostic { error_type: "Unauthorized".into(), error_message: "Unauthorized".into() }
}

/// The bearer token of the request: the identity source, else the Authorization header.
fn bearer(event: &ApiGatewayV2CustomAuthorizerV2Request) -> Option<String> {
    let raw = event
        .identity_source
        .as_ref()
        .and_then(|s| s.first().cloned())
        .or_else(|| event.headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned))?;
    let (scheme, token) = raw.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

pub async fn handler(
    deps: &Deps,
    event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>,
) -> Result<Response, Diagnostic> {
    let Some(token) = bearer(&event.payload) else {
        tracing::info!(reason = "no bearer token", "denied");
        return Err(unauthorized());
    };
    let kid = tokens::key_id(&token).map_err(|e| deny(&e))?;
    let keys = deps.keys.keyset_for(&kid).await.map_err(|e| {
        tracing::error!(error = %e, "public keys unavailable");
        Diagnostic { error_type: "KeysUnavailable".into(), error_message: "public keys unavailable".into() }
    })?;
    let claims = tokens::verify_access(&token, &keys, &deps.issuer, &deps.audience).map_err(|e| deny(&e))?;
    let identity =
        Identity { sub: claims.sub, email: claims.email, roles: claims.roles, permissions: claims.permissions };
    let mut response = Response::default();
    response.is_authorized = true;
    response.context = identity.to_context();
    Ok(response)
}

fn deny(reason: &TokenError) -> Diagnostic {
    tracing::info!(reason = %reason, "denied");
    unauthorized()
}

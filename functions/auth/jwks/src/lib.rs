//! `GET /.well-known/jwks.json`: every active public signing key.

use auth_core::keys::PublicKeySource;
use bazaar_runtime::ApiError;
use bazaar_runtime::config::Env;
use bazaar_runtime::http::respond;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};

pub struct Deps {
    pub keys: PublicKeySource,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { keys: PublicKeySource::from_env(config, env)? })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/.well-known/jwks.json", "getJwks", "The public signing keys")
        .public()
        .describe(
            "Anyone may read it: every active RS256 public key (JWKS, RFC 7517), by `kid`, for clients \
             that verify access tokens themselves. After a key rotation the previous key stays listed \
             until the tokens it signed have expired. 503 while the keys cannot be read.",
        )
        .returns::<auth_core::keys::Jwks>(200, "The key set.")
        .with_header("Cache-Control", "`public, max-age=300`: the keys may be cached for five minutes.")
        .problems(&[503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |_req, _cx| async move {
        let keys = deps.keys.keyset().await?;
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "public, max-age=300")
            .body(Body::Text(serde_json::to_string(&keys.jwks).map_err(anyhow::Error::from)?))
            .map_err(|e| ApiError::Unexpected(e.into()))
    })
    .await
}

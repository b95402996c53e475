//! Access tokens (RS256 JWT) and opaque refresh / reset tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::User;
use crate::keys::{KeySet, Signer};
use crate::settings::TokenSettings;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub email: String,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

/// Signs an access token for `user`, whose roles grant `permissions`, valid from `now` for
/// the configured lifetime.
pub fn issue_access(
    signer: &Signer,
    settings: &TokenSettings,
    user: &User,
    permissions: Vec<String>,
    now: i64,
) -> anyhow::Result<String> {
    let claims = AccessClaims {
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        sub: user.user_id.clone(),
        exp: now + settings.access_ttl_seconds,
        iat: now,
        nbf: now,
        jti: uuid::Uuid::new_v4().to_string(),
        email: user.email.as_str().to_owned(),
        roles: user.roles.clone(),
        permissions,
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(signer.kid.clone());
    crate::jwt_crypto::install();
    Ok(jsonwebtoken::encode(&header, &claims, &signer.key)?)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("algorithm not allowed")]
    Algorithm,
    #[error("no or unknown key id")]
    UnknownKey,
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// The key id a token claims to be signed with, after checking it is an RS256 JWT.
pub fn key_id(token: &str) -> Result<String, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(TokenError::Algorithm);
    }
    header.kid.filter(|k| !k.is_empty()).ok_or(TokenError::UnknownKey)
}

/// Verifies an access token strictly: RS256 only, a known kid, signature, `iss`, `aud`,
/// `exp` and `nbf` (with [`LEEWAY_SECONDS`]), and every claim present.
pub fn verify_access(token: &str, keys: &KeySet, issuer: &str, audience: &str) -> Result<AccessClaims, TokenError> {
    let kid = key_id(token)?;
    let key = keys.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    crate::jwt_crypto::install();
    jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| TokenError::Invalid(format!("{:?}", e.kind())))
}

/// A new opaque secret (256 bits, base64url): refresh and reset tokens.
pub fn new_opaque_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What is stored instead of an opaque token: its SHA-256, hex. Tokens are random and
/// long, so a fast hash is enough; the database never holds a usable token.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

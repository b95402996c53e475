//! Signing and verification keys. The private key (SSM SecureString, JSON
//! `{"kid", "private_key_pem"}`) is only read by the functions that issue tokens; the
//! public JWKS (SSM String) lists every active key, so after a rotation tokens signed with
//! the previous key stay valid until they expire.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bazaar_aws::ssm::CachedParameter;
use bazaar_runtime::config::{ConfigError, Env};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};

use crate::AuthError;

/// How long a key read from SSM is trusted before it is read again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(300);

#[derive(Deserialize)]
struct SigningKeyDoc {
    kid: String,
    private_key_pem: String,
}

/// The current signing key.
pub struct Signer {
    pub kid: String,
    pub(crate) key: EncodingKey,
}

impl Signer {
    pub fn from_json(json: &str) -> anyhow::Result<Signer> {
        let doc: SigningKeyDoc = serde_json::from_str(json)?;
        anyhow::ensure!(!doc.kid.is_empty(), "signing key has an empty kid");
        let key = EncodingKey::from_rsa_pem(doc.private_key_pem.as_bytes())?;
        // Refused now, when the key is read, rather than at the first login.
        ring::signature::RsaKeyPair::from_der(key.as_bytes())
            .map_err(|e| anyhow::anyhow!("the signing key is not a usable RSA key: {e}"))?;
        Ok(Signer { kid: doc.kid, key })
    }
}

/// Every active public key, by key id, and the JWKS to publish.
pub struct KeySet {
    pub(crate) keys: HashMap<String, DecodingKey>,
    pub jwks: Jwks,
}

/// The published key set (RFC 7517): the public half of every active signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Jwks {
    pub keys: Vec<PublicJwk>,
}

/// One RSA public signing key.
// Fields in alphabetical order: the order the JWKS has always been written in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PublicJwk {
    /// Always `RS256`.
    pub alg: &'static str,
    /// The public exponent, base64url.
    pub e: String,
    /// The key id access tokens name in their header.
    pub kid: String,
    /// Always `RSA`.
    pub kty: &'static str,
    /// The modulus, base64url.
    pub n: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
}

impl KeySet {
    /// Accepts only RSA signature keys with a kid; private members are never republished.
    pub fn from_jwks(json: &str) -> anyhow::Result<KeySet> {
        let set: JwkSet = serde_json::from_str(json)?;
        let mut keys = HashMap::new();
        let mut public = Vec::new();
        for jwk in &set.keys {
            let (Some(kid), AlgorithmParameters::RSA(rsa)) = (&jwk.common.key_id, &jwk.algorithm) else {
                continue;
            };
            keys.insert(kid.clone(), DecodingKey::from_rsa_components(&rsa.n, &rsa.e)?);
            public.push(PublicJwk {
                alg: "RS256",
                e: rsa.e.clone(),
                kid: kid.clone(),
                kty: "RSA",
                n: rsa.n.clone(),
                use_: "sig",
            });
        }
        anyhow::ensure!(!keys.is_empty(), "the JWKS holds no RSA key with a kid");
        Ok(KeySet { keys, jwks: Jwks { keys: public } })
    }

    pub fn contains(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }
}

/// A key document kept in SSM: which parameter names it and how it is read.
pub trait KeyParameter: Sized + Send + Sync + 'static {
    /// The variable that names the parameter.
    const VARIABLE: &'static str;
    /// Whether the parameter is a SecureString.
    const SECRET: bool;
    fn parse(json: &str) -> anyhow::Result<Self>;
}

impl KeyParameter for Signer {
    const VARIABLE: &'static str = "JWT_SIGNING_KEY_PARAMETER";
    const SECRET: bool = true;
    fn parse(json: &str) -> anyhow::Result<Signer> {
        Signer::from_json(json)
    }
}

impl KeyParameter for KeySet {
    const VARIABLE: &'static str = "JWT_PUBLIC_KEYS_PARAMETER";
    const SECRET: bool = false;
    fn parse(json: &str) -> anyhow::Result<KeySet> {
        KeySet::from_jwks(json)
    }
}

/// A key document from SSM, cached parsed for [`KEY_CACHE_TTL`].
pub struct KeySource<K> {
    param: CachedParameter<K>,
}

/// The signing key.
pub type SigningKeySource = KeySource<Signer>;
/// The public keys; re-read at most once a minute when a token names a key id not yet known
/// (a key added by a rotation).
pub type PublicKeySource = KeySource<KeySet>;

impl<K: KeyParameter> KeySource<K> {
    pub fn new(client: aws_sdk_ssm::Client, parameter: impl Into<String>) -> Self {
        KeySource { param: CachedParameter::new(client, parameter, K::SECRET, KEY_CACHE_TTL, K::parse) }
    }

    /// The parameter named by `K::VARIABLE`.
    pub fn from_env(config: &aws_types::SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self::new(aws_sdk_ssm::Client::new(config), env.required(K::VARIABLE)?))
    }

    async fn get(&self) -> Result<Arc<K>, AuthError> {
        self.param.get().await.map_err(AuthError::KeyUnavailable)
    }
}

impl SigningKeySource {
    pub async fn signer(&self) -> Result<Arc<Signer>, AuthError> {
        self.get().await
    }
}

impl PublicKeySource {
    pub async fn keyset(&self) -> Result<Arc<KeySet>, AuthError> {
        self.get().await
    }

    /// The key set, refreshed first if it lacks `kid` and was read over a minute ago.
    pub async fn keyset_for(&self, kid: &str) -> Result<Arc<KeySet>, AuthError> {
        let set = self.keyset().await?;
        let stale = self.param.age().await.is_none_or(|age| age > Duration::from_secs(60));
        if set.contains(kid) || !stale {
            return Ok(set);
        }
        self.param.refresh().await.map_err(AuthError::KeyUnavailable)
    }
}

//! Opaque, tamper-checked pagination cursors: a DynamoDB `LastEvaluatedKey` serialized,
//! signed with HMAC-SHA256 and base64url-encoded. A client can hand a cursor back but
//! cannot forge or edit one to read past its own partition.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::dynamo::Item;

const TAG_LEN: usize = 32;

/// Why a cursor was refused (a 400 for the caller, with this text as the detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("the cursor is not valid")]
    Invalid,
    #[error("the cursor belongs to another listing")]
    OtherListing,
}

/// Seals and opens cursors with one key.
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    /// A key of at least 16 bytes.
    pub fn new(secret: impl AsRef<[u8]>) -> anyhow::Result<CursorKey> {
        let secret = secret.as_ref();
        anyhow::ensure!(secret.len() >= 16, "the cursor key must be at least 16 bytes");
        Ok(CursorKey(secret.to_vec()))
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(payload);
        mac
    }

    /// The cursor for `last_evaluated_key`.
    pub fn seal(&self, last_evaluated_key: &Item) -> anyhow::Result<String> {
        let value: serde_json::Value = serde_dynamo::from_item(last_evaluated_key.clone())?;
        let mut bytes = serde_json::to_vec(&value)?;
        let tag = self.mac(&bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag);
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The key a cursor stands for, if this key sealed it.
    pub fn open(&self, cursor: &str) -> Result<Item, CursorError> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).map_err(|_| CursorError::Invalid)?;
        if bytes.len() <= TAG_LEN || bytes.len() > 4096 {
            return Err(CursorError::Invalid);
        }
        let (payload, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        self.mac(payload).verify_slice(tag).map_err(|_| CursorError::Invalid)?;
        let value: serde_json::Value = serde_json::from_slice(payload).map_err(|_| CursorError::Invalid)?;
        serde_dynamo::to_item(value).map_err(|_| CursorError::Invalid)
    }

    /// The start key `cursor` stands for (`None` without a cursor), only if this key sealed
    /// it and `belongs` accepts it as a key of the listing asked for.
    pub fn open_scoped(
        &self,
        cursor: Option<&str>,
        belongs: impl FnOnce(&Item) -> bool,
    ) -> Result<Option<Item>, CursorError> {
        let Some(cursor) = cursor else { return Ok(None) };
        let key = self.open(cursor)?;
        if belongs(&key) { Ok(Some(key)) } else { Err(CursorError::OtherListing) }
    }
}

/// A listing's page size when `?limit=` is absent, and the most a page may hold.
pub const DEFAULT_LIMIT: i32 = 20;
pub const MAX_LIMIT: i32 = 100;

/// What a listing function depends on: its service's store, and the secret that signs the
/// opaque `next_cursor` (`CURSOR_SECRET_PARAMETER`). Its crate's `Deps` is
/// `Listing<TheStore>`.
#[cfg(feature = "ssm")]
pub struct Listing<S> {
    pub store: S,
    pub cursors: CursorSecret,
}

#[cfg(feature = "ssm")]
impl<S: crate::table::Store> Listing<S> {
    pub fn new(config: &aws_types::SdkConfig, env: &bazaar_runtime::config::Env) -> anyhow::Result<Listing<S>> {
        Ok(Listing { store: S::from_env(config, env)?, cursors: CursorSecret::from_env(config, env)? })
    }
}

/// A stage's cursor key: the SSM SecureString named by `CURSOR_SECRET_PARAMETER`, read on
/// first use and cached (as the other secrets are), so a rotated secret is picked up
/// without a redeploy and an unreachable parameter store fails one request with 503, not
/// the cold start. Cursors sealed with the previous secret are then refused with a 400,
/// as a tampered one would be: the client starts its listing again.
#[cfg(feature = "ssm")]
pub struct CursorSecret(crate::ssm::CachedParameter<CursorKey>);

#[cfg(feature = "ssm")]
impl CursorSecret {
    /// How long the key read from SSM is trusted before it is read again.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(300);

    pub fn new(ssm: aws_sdk_ssm::Client, parameter: impl Into<String>) -> CursorSecret {
        CursorSecret(crate::ssm::CachedParameter::new(ssm, parameter, true, Self::TTL, |text| {
            CursorKey::new(text.trim())
        }))
    }

    /// The parameter named by `CURSOR_SECRET_PARAMETER`, read with a client built from `config`.
    pub fn from_env(
        config: &aws_types::SdkConfig,
        env: &bazaar_runtime::config::Env,
    ) -> Result<CursorSecret, bazaar_runtime::config::ConfigError> {
        Ok(CursorSecret::new(aws_sdk_ssm::Client::new(config), env.required("CURSOR_SECRET_PARAMETER")?))
    }

    /// The key, or a 503 problem when it cannot be read now (the cause is logged, not sent).
    pub async fn key(&self) -> Result<std::sync::Arc<CursorKey>, bazaar_runtime::Problem> {
        self.0.get().await.map_err(|e| {
            tracing::error!(error = format!("{e:#}"), "the cursor secret cannot be read");
            bazaar_runtime::Problem::unavailable()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::s;

    fn key() -> CursorKey {
        CursorKey::new("0123456789abcdef-test").expect("key")
    }

    #[test]
    fn a_cursor_round_trips_and_a_tampered_one_is_refused() {
        let item: Item = [("pk".to_owned(), s("PRODUCT#1")), ("gsi1sk".to_owned(), s("lamp#1"))].into();
        let cursor = key().seal(&item).expect("seals");
        assert_eq!(key().open(&cursor).expect("opens"), item);

        let mut raw = URL_SAFE_NO_PAD.decode(&cursor).expect("b64");
        raw[2] ^= 1;
        assert_eq!(key().open(&URL_SAFE_NO_PAD.encode(raw)), Err(CursorError::Invalid));
        let other = CursorKey::new("another-key-of-16+bytes").expect("key");
        assert_eq!(other.open(&cursor), Err(CursorError::Invalid));
        assert_eq!(key().open("not base64!"), Err(CursorError::Invalid));
        assert_eq!(key().open(""), Err(CursorError::Invalid));
    }

    #[test]
    fn a_cursor_opens_only_for_its_own_listing() {
        let key = key();
        let item: Item = [("pk".to_owned(), s("A"))].into();
        let cursor = key.seal(&item).expect("seals");
        let of_a = |k: &Item| crate::dynamo::string(k, "pk") == Some("A");
        assert_eq!(key.open_scoped(None, of_a), Ok(None));
        assert_eq!(key.open_scoped(Some(&cursor), of_a), Ok(Some(item)));
        assert_eq!(key.open_scoped(Some(&cursor), |_| false), Err(CursorError::OtherListing));
        assert_eq!(key.open_scoped(Some("forged"), of_a), Err(CursorError::Invalid));
    }
}

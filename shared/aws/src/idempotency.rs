//! The remembered answer to a caller's `Idempotency-Key`: an `IDEMPOTENCY#<sub>#<key>` /
//! `IDEMPOTENCY` item written in the same transaction as what the request created, so a
//! retried request finds it and gets the same answer instead of creating twice.
//!
//! Before that, the request is checked by the header itself and the canonical hash of its
//! body, which the remembered answer keeps, so the same key with another body is refused.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::dynamo::keyed;
use crate::table::{Table, Write};

/// The longest key accepted, in characters.
pub const MAX_KEY_CHARS: usize = 100;
/// How long a key is remembered (DynamoDB TTL).
pub const KEY_RETENTION_SECONDS: i64 = 7 * 24 * 3600;

/// The `Idempotency-Key` header, trimmed: required, 1..=[`MAX_KEY_CHARS`] printable
/// characters; otherwise the detail of the 400 to answer with.
pub fn parse(header: Option<&str>) -> Result<String, String> {
    let key = header.map(str::trim).unwrap_or("");
    if key.is_empty() {
        return Err("the Idempotency-Key header is required".into());
    }
    if key.chars().count() > MAX_KEY_CHARS || key.chars().any(char::is_control) {
        return Err(format!("the Idempotency-Key header must be 1 to {MAX_KEY_CHARS} printable characters"));
    }
    Ok(key.to_owned())
}

/// sha256 (hex) of the canonical form of a request body: the parsed body serialized again,
/// so whitespace and key order do not matter, the values (and the order of lists) do.
pub fn body_hash<T: Serialize>(body: &T) -> String {
    let canonical = serde_json::to_vec(body).unwrap_or_default();
    Sha256::digest(&canonical).iter().map(|b| format!("{b:02x}")).collect()
}

pub const SK: &str = "IDEMPOTENCY";

/// The partition key of caller `sub`'s record of `key`.
pub fn pk(sub: &str, key: &str) -> String {
    format!("IDEMPOTENCY#{sub}#{key}")
}

impl Table {
    /// Caller `sub`'s record of `key` (consistent read); `None` when the key is new.
    pub async fn idempotency<T: DeserializeOwned>(&self, sub: &str, key: &str) -> anyhow::Result<Option<T>> {
        self.get(pk(sub, key), SK).await
    }

    /// The write that remembers `record` as the answer to caller `sub`'s `key`; it fails the
    /// transaction at its index when the key was taken first.
    pub fn remember<T: Serialize>(&self, sub: &str, key: &str, record: &T) -> anyhow::Result<Write> {
        self.put_new(keyed(pk(sub, key), SK, record)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_required_printable_and_bounded() {
        assert_eq!(parse(Some("  k-1 ")).as_deref(), Ok("k-1"));
        assert!(parse(None).expect_err("absent").contains("required"));
        assert!(parse(Some("  ")).expect_err("blank").contains("required"));
        assert!(parse(Some("a\tb")).expect_err("control").contains("printable"));
        assert!(parse(Some(&"k".repeat(MAX_KEY_CHARS))).is_ok());
        assert!(parse(Some(&"k".repeat(MAX_KEY_CHARS + 1))).is_err());
    }

    #[test]
    fn the_hash_is_of_the_values_not_the_spelling() {
        let a: serde_json::Value = serde_json::from_str(r#"{"x": 1, "y": [1, 2]}"#).expect("json");
        let b: serde_json::Value = serde_json::from_str(r#"{ "y":[1,2],"x":1 }"#).expect("json");
        assert_eq!(body_hash(&a), body_hash(&b));
        assert_eq!(body_hash(&a).len(), 64);
        assert_ne!(body_hash(&a), body_hash(&serde_json::json!({"x": 1, "y": [2, 1]})));
    }
}

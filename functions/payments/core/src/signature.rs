//! The provider webhook's signature: `Bazaar-Signature: t=<unix seconds>,v1=<hex>` where the
//! hex is HMAC-SHA256 over `"<t>.<raw body>"` with the shared secret. The timestamp bounds
//! replays; several `v1=` entries are accepted (the provider signs with old and new secret
//! while rotating).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const HEADER: &str = "bazaar-signature";

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing")]
    Missing,
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

fn mac(secret: &[u8], t: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length: new_from_slice cannot fail for it.
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value a provider sends for `body` at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex(&mac(secret, t, body).finalize().into_bytes()))
}

/// A signature header that is present, well-formed and fresh: what can be checked without
/// the secret, so a request failing that is refused before the secret is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    t: i64,
    signatures: Vec<Vec<u8>>,
}

impl Signed {
    /// Reads `header`: `t=` once and at least one `v1=` (hex), `|now - t| <= tolerance_seconds`.
    pub fn parse(header: Option<&str>, now: i64, tolerance_seconds: i64) -> Result<Signed, SignatureError> {
        let header = header.filter(|h| !h.trim().is_empty()).ok_or(SignatureError::Missing)?;
        let mut t = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
            match key.trim() {
                "t" if t.is_none() => t = Some(value.trim().parse::<i64>().map_err(|_| SignatureError::Malformed)?),
                "t" => return Err(SignatureError::Malformed),
                "v1" => signatures.push(unhex(value.trim()).ok_or(SignatureError::Malformed)?),
                // Other schemes (v0, future versions) are ignored, as providers do.
                _ => {}
            }
        }
        let t = t.ok_or(SignatureError::Malformed)?;
        if signatures.is_empty() {
            return Err(SignatureError::Malformed);
        }
        if now.abs_diff(t) > tolerance_seconds.max(0).unsigned_abs() {
            return Err(SignatureError::Stale);
        }
        Ok(Signed { t, signatures })
    }

    /// Whether one `v1` equals (compared in constant time) the HMAC of `"<t>.<body>"`.
    pub fn check(&self, secret: &[u8], body: &[u8]) -> Result<(), SignatureError> {
        if self.signatures.iter().any(|sig| mac(secret, self.t, body).verify_slice(sig).is_ok()) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `header` checked against `body` as the webhook does: [`Signed::parse`], then [`Signed::check`].
    fn verify(
        secret: &[u8],
        header: Option<&str>,
        body: &[u8],
        now: i64,
        tolerance_seconds: i64,
    ) -> Result<(), SignatureError> {
        Signed::parse(header, now, tolerance_seconds)?.check(secret, body)
    }

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"event_id":"e1","payment_id":"p1","outcome":"succeeded"}"#;
    const NOW: i64 = 1_795_255_200;

    #[test]
    fn a_signed_body_verifies() {
        let header = sign(SECRET, NOW, BODY);
        assert!(header.starts_with(&format!("t={NOW},v1=")));
        assert_eq!(header.len(), format!("t={NOW},v1=").len() + 64);
        assert_eq!(verify(SECRET, Some(&header), BODY, NOW + 10, 300), Ok(()));
    }

    #[test]
    fn the_known_answer_matches_hmac_sha256() {
        // HMAC-SHA256(key = "key", "0.The quick brown fox jumps over the lazy dog"), from Python's hmac.
        let header = sign(b"key", 0, b"The quick brown fox jumps over the lazy dog");
        assert_eq!(header, "t=0,v1=8511f28f7a1949f0c42772b447d68b2daf760f5f0439a20a17e3b4e7cd395763");
    }

    #[test]
    fn a_tampered_body_or_wrong_secret_is_a_mismatch() {
        let header = sign(SECRET, NOW, BODY);
        assert_eq!(verify(SECRET, Some(&header), b"{}", NOW, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"other", Some(&header), BODY, NOW, 300), Err(SignatureError::Mismatch));
        // Replaying the signature with another timestamp does not verify either.
        let moved = header.replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
        assert_eq!(verify(SECRET, Some(&moved), BODY, NOW, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn timestamps_outside_the_tolerance_are_stale_both_ways() {
        let old = sign(SECRET, NOW - 301, BODY);
        assert_eq!(verify(SECRET, Some(&old), BODY, NOW, 300), Err(SignatureError::Stale));
        let future = sign(SECRET, NOW + 301, BODY);
        assert_eq!(verify(SECRET, Some(&future), BODY, NOW, 300), Err(SignatureError::Stale));
        let edge = sign(SECRET, NOW - 300, BODY);
        assert_eq!(verify(SECRET, Some(&edge), BODY, NOW, 300), Ok(()));
    }

    #[test]
    fn malformed_headers_are_refused() {
        assert_eq!(verify(SECRET, None, BODY, NOW, 300), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some("  "), BODY, NOW, 300), Err(SignatureError::Missing));
        for bad in ["garbage", "t=abc,v1=00", "v1=00", &format!("t={NOW}"), &format!("t={NOW},v1=zz"), "t=1,t=2,v1=00"]
        {
            assert_eq!(verify(SECRET, Some(bad), BODY, NOW, 300), Err(SignatureError::Malformed), "{bad}");
        }
    }

    #[test]
    fn any_matching_v1_is_accepted_during_a_rotation() {
        let good = sign(SECRET, NOW, BODY);
        let old = sign(b"old-secret", NOW, BODY);
        let old_v1 = old.split(",v1=").nth(1).expect("v1");
        let both = format!("{good},v1={old_v1}, v0=ignored");
        assert_eq!(verify(SECRET, Some(&both), BODY, NOW, 300), Ok(()));
        assert_eq!(verify(b"old-secret", Some(&both), BODY, NOW, 300), Ok(()));
    }
}

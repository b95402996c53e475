//! Single-use links sent by email (a password reset, an email verification) whose token
//! never travels in an event.
//!
//! The auth service records a link by a random id; its token is `<id>.<mac>`, the mac an
//! HMAC-SHA256 of the purpose and the id under the link key (an SSM SecureString only auth
//! and notifications can read). Events carry the id alone (`bazaar_events::auth::LinkRef`):
//! notifications derives the token when it renders the email, auth checks the mac before it
//! looks the id up. The outbox, the bus, the queues, the DLQs and the archive never hold a
//! working link, and a stolen id is useless without the key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// What a link is for; a token minted for one purpose never opens another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    PasswordReset,
    EmailVerification,
}

impl LinkPurpose {
    fn label(self) -> &'static [u8] {
        match self {
            LinkPurpose::PasswordReset => b"bazaar-link:password-reset:",
            LinkPurpose::EmailVerification => b"bazaar-link:email-verification:",
        }
    }
}

/// The shortest link key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;
/// The longest link id accepted (auth's ids are UUIDs).
pub const MAX_ID_BYTES: usize = 64;

/// The link key. Debug never shows it.
#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

impl LinkKey {
    /// The key as stored in SSM: at least [`MIN_KEY_BYTES`] bytes of text (surrounding
    /// whitespace ignored).
    pub fn parse(text: &str) -> anyhow::Result<LinkKey> {
        let key = text.trim().as_bytes();
        anyhow::ensure!(key.len() >= MIN_KEY_BYTES, "a link key has at least {MIN_KEY_BYTES} bytes");
        Ok(LinkKey(key.to_vec()))
    }

    fn mac(&self, purpose: LinkPurpose, id: &str) -> [u8; 32] {
        // HMAC takes a key of any length: new_from_slice cannot fail.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(purpose.label());
        mac.update(id.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The token of link `id` for `purpose`: `<id>.<mac>`. `id` must be a link id
    /// (1 to [`MAX_ID_BYTES`] characters of `[A-Za-z0-9-]`), as [`LinkKey::open`] expects.
    pub fn token(&self, purpose: LinkPurpose, id: &str) -> String {
        format!("{id}.{}", URL_SAFE_NO_PAD.encode(self.mac(purpose, id)))
    }

    /// The id of a token minted for `purpose` under this key, or `None` for anything else
    /// (malformed, another purpose, another key, a changed id). The comparison is constant-time.
    pub fn open<'t>(&self, purpose: LinkPurpose, token: &'t str) -> Option<&'t str> {
        let (id, mac) = token.split_once('.')?;
        if !is_link_id(id) {
            return None;
        }
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        bool::from(given.ct_eq(&self.mac(purpose, id))).then_some(id)
    }
}

/// Whether `id` can name a link: 1 to [`MAX_ID_BYTES`] ASCII letters, digits and `-`.
pub fn is_link_id(id: &str) -> bool {
    (1..=MAX_ID_BYTES).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The page `base` (a configured URL) with `token` as its `token` query parameter.
pub fn url(base: &str, token: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}token={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "6f1c7a52-8d0e-4c57-9a53-3c0a9a5b1e20";

    fn key(text: &str) -> LinkKey {
        LinkKey::parse(text).expect("key")
    }

    #[test]
    fn a_token_opens_for_its_purpose_and_key_only() {
        let k = key("0123456789abcdef0123456789abcdef");
        let token = k.token(LinkPurpose::PasswordReset, ID);
        assert!(token.starts_with(&format!("{ID}.")));
        assert_eq!(k.open(LinkPurpose::PasswordReset, &token), Some(ID));
        assert_eq!(k.open(LinkPurpose::EmailVerification, &token), None, "another purpose");
        assert_eq!(key("another key of thirty-two bytes!!").open(LinkPurpose::PasswordReset, &token), None);
        let forged = token.replacen('6', "7", 1);
        assert_eq!(k.open(LinkPurpose::PasswordReset, &forged), None, "another id with the same mac");
        for junk in ["", ".", ID, &format!("{ID}."), &format!("{ID}.!!"), &format!("a b.{}", &token[ID.len() + 1..])] {
            assert_eq!(k.open(LinkPurpose::PasswordReset, junk), None, "{junk:?}");
        }
    }

    #[test]
    fn keys_are_long_enough_and_never_shown() {
        assert!(LinkKey::parse("short").is_err());
        let k = key("  0123456789abcdef0123456789abcdef\n");
        assert_eq!(format!("{k:?}"), "LinkKey(..)");
        assert_eq!(
            k.token(LinkPurpose::EmailVerification, "x"),
            key("0123456789abcdef0123456789abcdef").token(LinkPurpose::EmailVerification, "x")
        );
    }

    #[test]
    fn urls_get_the_token_as_a_query_parameter() {
        assert_eq!(url("https://shop.example/reset", "a.b"), "https://shop.example/reset?token=a.b");
        assert_eq!(url("https://shop.example/p?lang=de", "a.b"), "https://shop.example/p?lang=de&token=a.b");
    }
}

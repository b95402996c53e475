//! Phone numbers are verified with a one-time code before any SMS goes to them: setting a
//! new number stores it unverified and texts it a 6-digit code (a few a day at most), kept
//! only as a salted hash, for ten minutes and five attempts; the code marks the number
//! verified. A 6-digit code's hash is no secret to whoever reads the table (a million
//! guesses open it): the expiry and the attempt limit, counted before the code is compared,
//! are what protect it.

use bazaar_runtime::config::{ConfigError, Env};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::prefs::Preferences;

/// How long a code works.
pub const CODE_TTL_SECONDS: i64 = 600;
/// Attempts at one code before a new one is needed.
pub const MAX_ATTEMPTS: u32 = 5;

/// `PHONE_CODES_PER_USER_PER_DAY`: codes texted to a user's numbers per UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneSettings {
    pub codes_per_day: u64,
}

impl PhoneSettings {
    pub fn from_env(env: &Env) -> Result<PhoneSettings, ConfigError> {
        Ok(PhoneSettings { codes_per_day: env.parsed_or("PHONE_CODES_PER_USER_PER_DAY", 3)? })
    }
}

/// [`Code::parse`] as the document's pattern (surrounding whitespace, which it trims, left out).
pub const CODE_PATTERN: &str = "^[0-9]{6}$";

/// A one-time code: six digits. Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Code(******)")
    }
}

impl Code {
    pub fn generate() -> Code {
        Code(format!("{:06}", rand::random_range(0..1_000_000u32)))
    }

    pub fn parse(text: &str) -> Result<Code, String> {
        let text = text.trim();
        if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Code(text.to_owned()))
        } else {
            Err("must be the 6 digits of the code sent by SMS".to_owned())
        }
    }

    /// The SMS that carries it.
    pub fn sms_text(&self) -> String {
        format!("Bazaar: your verification code is {}. It expires in {} minutes.", self.0, CODE_TTL_SECONDS / 60)
    }
}

/// The code last texted to a user's number (`PHONE#<user>/CODE`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    /// The number it was sent to: it verifies that number only.
    pub number: String,
    pub salt: String,
    pub code_hash: String,
    pub expires_at: i64,
    #[serde(default)]
    pub attempts: u32,
}

impl std::fmt::Debug for PendingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCode").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

fn hash(salt: &str, number: &str, code: &Code) -> String {
    let digest = Sha256::new()
        .chain_update(salt)
        .chain_update(b"|")
        .chain_update(number)
        .chain_update(b"|")
        .chain_update(&code.0);
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl PendingCode {
    pub fn new(number: &str, code: &Code, now: i64) -> PendingCode {
        let salt: String = rand::random::<[u8; 16]>().iter().map(|b| format!("{b:02x}")).collect();
        let code_hash = hash(&salt, number, code);
        PendingCode { number: number.to_owned(), salt, code_hash, expires_at: now + CODE_TTL_SECONDS, attempts: 0 }
    }

    /// Whether it still works at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.expires_at > now && self.attempts < MAX_ATTEMPTS
    }

    /// Whether `code` is this code (compared in constant time).
    pub fn matches(&self, code: &Code) -> bool {
        bool::from(hash(&self.salt, &self.number, code).as_bytes().ct_eq(self.code_hash.as_bytes()))
    }
}

/// What storing `new` preferences does to the phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneChange {
    /// The number stays as it is (verified or not): store the preferences with that state.
    Keep { verified: bool },
    /// A number that needs a code: text one.
    SendCode,
}

/// A number already stored keeps its state (verified, or waiting for a live code); any
/// other number (new, or whose code is used up) needs a code; no number, nothing.
pub fn change(current: &Preferences, pending: Option<&PendingCode>, new: &Preferences, now: i64) -> PhoneChange {
    let Some(number) = new.phone_number.as_ref() else {
        return PhoneChange::Keep { verified: false };
    };
    if current.phone_number.as_ref() != Some(number) {
        return PhoneChange::SendCode;
    }
    if current.phone_verified {
        return PhoneChange::Keep { verified: true };
    }
    match pending {
        Some(code) if code.number == number.as_str() && code.is_live(now) => PhoneChange::Keep { verified: false },
        _ => PhoneChange::SendCode,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefs::PhoneNumber;

    fn prefs(number: Option<&str>, verified: bool) -> Preferences {
        Preferences {
            email: true,
            sms: true,
            phone_number: number.map(|n| PhoneNumber::parse(n).expect("e164")),
            phone_verified: verified,
        }
    }

    #[test]
    fn a_code_matches_only_itself_and_only_for_its_number() {
        let code = Code::parse("012345").expect("code");
        let pending = PendingCode::new("+15550001", &code, 1000);
        assert!(pending.matches(&code));
        assert!(!pending.matches(&Code::parse("012346").expect("code")));
        assert!(!PendingCode { number: "+15550002".into(), ..pending.clone() }.matches(&code));
        assert!(!format!("{pending:?} {code:?}").contains("012345"));
        assert!(pending.is_live(1000 + CODE_TTL_SECONDS - 1) && !pending.is_live(1000 + CODE_TTL_SECONDS));
        assert!(!PendingCode { attempts: MAX_ATTEMPTS, ..pending }.is_live(1000));
        for bad in ["12345", "1234567", "12a456", ""] {
            assert!(Code::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Code::generate().0.len(), 6);
    }

    #[test]
    fn only_a_number_without_a_live_code_gets_a_new_one() {
        let now = 1000;
        let live = PendingCode::new("+15550001", &Code::generate(), now);
        let (a, b) = (Some("+15550001"), Some("+15550002"));
        assert_eq!(change(&prefs(None, false), None, &prefs(None, false), now), PhoneChange::Keep { verified: false });
        assert_eq!(change(&prefs(a, true), None, &prefs(a, false), now), PhoneChange::Keep { verified: true });
        assert_eq!(change(&prefs(a, true), None, &prefs(b, false), now), PhoneChange::SendCode);
        assert_eq!(change(&prefs(a, false), Some(&live), &prefs(a, false), now), PhoneChange::Keep { verified: false });
        assert_eq!(
            change(&prefs(a, false), Some(&live), &prefs(a, false), now + CODE_TTL_SECONDS),
            PhoneChange::SendCode
        );
        assert_eq!(change(&prefs(a, false), None, &prefs(a, false), now), PhoneChange::SendCode);
        assert_eq!(change(&prefs(None, false), None, &prefs(a, false), now), PhoneChange::SendCode);
    }
}

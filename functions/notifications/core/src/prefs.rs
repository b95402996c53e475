//! A user's notification preferences: which channels they want and where SMS go (once the
//! number is verified, see [`crate::phone`]).

use serde::{Deserialize, Serialize};

/// The digits an E.164 number has after its `+`.
pub const MIN_PHONE_DIGITS: usize = 7;
pub const MAX_PHONE_DIGITS: usize = 15;

/// [`PhoneNumber::parse`] as the document's pattern.
pub fn phone_pattern() -> String {
    format!("^\\+[1-9][0-9]{{{},{}}}$", MIN_PHONE_DIGITS - 1, MAX_PHONE_DIGITS - 1)
}

/// `phone_number` of [`PreferencesInput`]: a number, or empty for none.
pub fn phone_or_empty_pattern() -> String {
    format!("^(\\+[1-9][0-9]{{{},{}}})?$", MIN_PHONE_DIGITS - 1, MAX_PHONE_DIGITS - 1)
}

/// An E.164 phone number (`+` then 7 to 15 digits, no leading zero): the only form SNS
/// SMS accepts, so nothing else is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(#[schemars(pattern(phone_pattern()))] String);

impl PhoneNumber {
    pub fn parse(text: &str) -> Result<PhoneNumber, String> {
        let digits = text.strip_prefix('+').ok_or("must start with + and the country code (E.164)")?;
        let valid = (MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(PhoneNumber(text.to_owned()))
        } else {
            Err("must be an E.164 number: + then 7 to 15 digits, the first not 0".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

/// What the API shows and stores; `sms` implies `phone_number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "NotificationPreferences")]
pub struct Preferences {
    pub email: bool,
    pub sms: bool,
    pub phone_number: Option<PhoneNumber>,
    /// Whether the user confirmed `phone_number` with the code texted to it
    /// (`POST /notifications/preferences/phone/verify`): no SMS goes to it before.
    #[serde(default)]
    pub phone_verified: bool,
}

impl Default for Preferences {
    /// Email on, SMS off until the user opts in with a number.
    fn default() -> Self {
        Preferences { email: true, sms: false, phone_number: None, phone_verified: false }
    }
}

/// The body of `PUT /notifications/preferences`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NotificationPreferencesInput", transform = sms_needs_a_number)]
pub struct PreferencesInput {
    pub email: bool,
    /// Text notifications too; needs `phone_number`.
    pub sms: bool,
    /// An E.164 number (`+` then 7 to 15 digits, the first not 0), surrounding whitespace
    /// trimmed; null or empty for none. A new number is texted a code and stays unverified
    /// until `POST /notifications/preferences/phone/verify`.
    #[serde(default)]
    #[schemars(pattern(phone_or_empty_pattern()))]
    pub phone_number: Option<String>,
}

/// `"sms": true` only with a number ([`PreferencesInput::parse`]).
fn sms_needs_a_number(schema: &mut schemars::Schema) {
    let number = serde_json::json!({ "type": "string", "minLength": 1 });
    schema.insert(
        "anyOf".into(),
        serde_json::json!([
            { "properties": { "sms": { "const": false } } },
            { "properties": { "phone_number": number }, "required": ["phone_number"] },
        ]),
    );
}

/// One invalid field: (field, message).
pub type FieldProblem = (&'static str, String);

impl PreferencesInput {
    /// Valid preferences, or the invalid fields.
    pub fn parse(self) -> Result<Preferences, Vec<FieldProblem>> {
        let phone_number = match self.phone_number.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => None,
            Some(text) => Some(PhoneNumber::parse(text).map_err(|m| vec![("phone_number", m)])?),
        };
        if self.sms && phone_number.is_none() {
            return Err(vec![("phone_number", "is required when sms is true".to_owned())]);
        }
        // A number is verified by its code, never by saying so.
        Ok(Preferences { email: self.email, sms: self.sms, phone_number, phone_verified: false })
    }
}

impl Preferences {
    /// The number to text, when the user opted in and stored one.
    pub fn sms_number(&self) -> Option<&PhoneNumber> {
        self.phone_number.as_ref().filter(|_| self.sms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers_are_the_only_ones_accepted() {
        for ok in ["+4915112345678", "+1234567", "+123456789012345"] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["4915112345678", "+0151123456", "+123456", "+1234567890123456", "+49 151 1234", "+49-151", ""] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_documented_rules_are_the_validated_ones() {
        assert_eq!(phone_pattern(), r"^\+[1-9][0-9]{6,14}$");
        assert_eq!(phone_or_empty_pattern(), r"^(\+[1-9][0-9]{6,14})?$");
        let shortest = format!("+1{}", "2".repeat(MIN_PHONE_DIGITS - 1));
        let longest = format!("+1{}", "2".repeat(MAX_PHONE_DIGITS - 1));
        assert!(PhoneNumber::parse(&shortest).is_ok() && PhoneNumber::parse(&longest).is_ok());
        assert!(PhoneNumber::parse(&shortest[..shortest.len() - 1]).is_err());
        assert!(PhoneNumber::parse(&format!("{longest}2")).is_err());
        let schema = schemars::schema_for!(PreferencesInput);
        let any_of = schema.as_value()["anyOf"].as_array().expect("sms needs a number").clone();
        assert_eq!(any_of[0]["properties"]["sms"]["const"], false);
        assert_eq!(any_of[1]["required"][0], "phone_number");
        let input =
            |sms, phone: Option<&str>| PreferencesInput { email: true, sms, phone_number: phone.map(Into::into) };
        for (sms, phone, documented) in [
            (false, None, true),
            (false, Some(""), true),
            (true, Some(""), false),
            (true, None, false),
            (true, Some(longest.as_str()), true),
        ] {
            assert_eq!(input(sms, phone).parse().is_ok(), documented, "sms {sms}, number {phone:?}");
        }
    }

    #[test]
    fn sms_needs_a_valid_number() {
        let input =
            |sms, phone: Option<&str>| PreferencesInput { email: true, sms, phone_number: phone.map(Into::into) };
        assert_eq!(input(true, None).parse().expect_err("missing")[0].0, "phone_number");
        assert_eq!(input(true, Some("0151")).parse().expect_err("bad")[0].0, "phone_number");
        assert_eq!(input(false, Some("0151")).parse().expect_err("bad even when off")[0].0, "phone_number");
        let p = input(true, Some("+4915112345678")).parse().expect("valid");
        assert_eq!(p.sms_number().map(PhoneNumber::as_str), Some("+4915112345678"));
        let off = input(false, Some("+4915112345678")).parse().expect("valid");
        assert!(off.sms_number().is_none());
        assert_eq!(
            Preferences::default(),
            Preferences { email: true, sms: false, phone_number: None, phone_verified: false }
        );
    }
}

//! Each `pattern` the services' request types state, read by a regex engine (search semantics,
//! as JSON Schema's) and compared with the validator it describes over a set of candidates that
//! reaches every branch: what the document calls valid, the service accepts, and (where the
//! pattern is exact) the reverse. The unit tests beside each type check its lengths and ranges.

use bazaar_openapi::text;
use regex::Regex;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

/// Every character of the Basic Multilingual Plane and some beyond, alone and around others.
fn texts() -> impl Iterator<Item = String> {
    (0..=0xFFFF)
        .chain([0x1F600, 0x10FFFF])
        .filter_map(char::from_u32)
        .flat_map(|c| [format!("{c}"), format!("a{c}"), format!("{c}a"), format!("a{c}b"), format!("{c}{c}")])
}

#[test]
fn trimmed_text_is_what_the_services_trim_and_refuse() {
    let catalog = regex(&catalog_core::model::text_pattern());
    let trimmed = regex(&text::trimmed_pattern());
    let header = regex(&text::header_pattern());
    let not_blank = regex(&text::not_blank_pattern());
    let description = regex(&permissions_core::model::description_pattern());
    for text in texts() {
        let product = serde_json::json!({
            "name": text, "category": "c", "price": { "amount_minor": 1, "currency": "EUR" },
        });
        let named = catalog_core::model::NewProduct::parse(serde_json::from_value(product).expect("a body")).is_ok();
        assert_eq!(catalog.is_match(&text), named, "product name {text:?}");
        let key = orders_core::place::idempotency_key(Some(&text)).is_ok();
        assert_eq!(trimmed.is_match(&text), key, "key {text:?}");
        assert_eq!(header.is_match(&text), key && text.trim() == text, "key as a header {text:?}");
        let line = orders_core::place::PlaceRequest {
            lines: vec![orders_core::place::LineRequest { product_id: text.clone(), quantity: 1 }],
        };
        assert_eq!(not_blank.is_match(&text), orders_core::place::validate(&line).is_ok(), "product id {text:?}");
        let described = permissions_core::model::parse_description(&text).is_ok();
        assert_eq!(description.is_match(&text), described, "description {text:?}");
    }
}

#[test]
fn opening_and_closing_times_are_what_parse_time_takes() {
    use reservations_core::hours::{CLOSE_PATTERN, OPEN_PATTERN, parse_time};
    let (open, close) = (regex(OPEN_PATTERN), regex(CLOSE_PATTERN));
    let mut times: Vec<String> = (0..100).flat_map(|h| (0..100).map(move |m| format!("{h:02}:{m:02}"))).collect();
    times.extend(
        ["9:30", "09:3", "0930", "09-30", "+9:30", "09:30 ", " 09:30", "", "24:00:00", "٠٩:٣٠", "09:30\n"]
            .map(String::from),
    );
    for time in times {
        assert_eq!(open.is_match(&time), parse_time(&time, false).is_some(), "open {time:?}");
        // A close of 00:00 parses but is never after an opening time.
        let closes = parse_time(&time, true).is_some_and(|minutes| minutes > 0);
        assert_eq!(close.is_match(&time), closes, "close {time:?}");
    }
}

#[test]
fn role_names_are_what_roles_can_be_created_with() {
    use permissions_core::model::{MAX_NAME_CHARS, is_valid_role_name, role_name_pattern};
    let pattern = regex(&role_name_pattern());
    let alphabet = ["a", "z", "A", "0", "9", "_", "-", "é", " ", "\n"];
    let mut names = vec![String::new()];
    for _ in 0..3 {
        names =
            names.iter().flat_map(|n| alphabet.iter().map(move |c| format!("{n}{c}"))).chain(names.clone()).collect();
    }
    for length in MAX_NAME_CHARS - 1..=MAX_NAME_CHARS + 1 {
        names.push(format!("a{}", "b".repeat(length - 1)));
        names.push(format!("a{}", "B".repeat(length - 1)));
    }
    for name in names {
        assert_eq!(pattern.is_match(&name), is_valid_role_name(&name), "{name:?}");
    }
}

#[test]
fn phone_numbers_and_codes_are_what_notifications_takes() {
    use notifications_core::phone::{CODE_PATTERN, Code};
    use notifications_core::prefs::{PhoneNumber, PreferencesInput, phone_or_empty_pattern, phone_pattern};
    let (number, optional, code) = (regex(&phone_pattern()), regex(&phone_or_empty_pattern()), regex(CODE_PATTERN));
    let mut candidates = vec![String::new(), " ".into(), "+".into(), "++4915".into(), "49151234567".into()];
    for first in ["0", "1", "9", "a"] {
        for rest in 0..=16 {
            candidates.push(format!("+{first}{}", "5".repeat(rest)));
            candidates.push(format!("+{first}{}x", "5".repeat(rest)));
            candidates.push(format!("{first}{}", "5".repeat(rest)));
        }
    }
    for candidate in candidates {
        assert_eq!(number.is_match(&candidate), PhoneNumber::parse(&candidate).is_ok(), "number {candidate:?}");
        let input = PreferencesInput { email: true, sms: false, phone_number: Some(candidate.clone()) };
        let documented = optional.is_match(&candidate);
        assert!(!documented || input.parse().is_ok(), "{candidate:?} is documented but refused");
        assert!(
            documented
                || candidate.trim() != candidate
                || PreferencesInput::parse(PreferencesInput {
                    email: true,
                    sms: false,
                    phone_number: Some(candidate.clone())
                })
                .is_err(),
            "{candidate:?} is refused by the document but taken"
        );
        assert_eq!(
            code.is_match(&candidate),
            candidate.len() == 6 && Code::parse(&candidate).is_ok(),
            "code {candidate:?}"
        );
    }
}

#[test]
fn documented_emails_and_passwords_are_taken() {
    use auth_core::Email;
    use auth_core::model::NewPassword;
    let pattern = regex(&Email::pattern());
    let emails = [
        ("ana@example.com", true),
        ("A.N!A#$%&'*+/=?^_`{|}~-@sub.example-1.io", true),
        ("x@y.io", true),
        ("ana@localhost", false),
        ("ana@-x.io", false),
        ("ana@x-.io", false),
        ("ana@x..io", false),
        ("a na@x.io", false),
        ("ana@@x.io", false),
        ("@x.io", false),
        ("ana@x_y.io", false),
        ("ana@x.io.", false),
    ];
    for (email, documented) in emails {
        assert_eq!(pattern.is_match(email), documented, "{email}");
        assert_eq!(Email::parse(email).is_ok(), documented, "{email}");
    }
    let local = "l".repeat(Email::MAX_LOCAL_LEN);
    assert!(pattern.is_match(&format!("{local}@x.io")) && Email::parse(&format!("{local}@x.io")).is_ok());
    assert!(!pattern.is_match(&format!("{local}l@x.io")) && Email::parse(&format!("{local}l@x.io")).is_err());

    let password = regex(NewPassword::PATTERN);
    let email = Email::parse("maria@shop.io").expect("an email");
    for (text, documented) in [
        ("correct horse 42", true),
        ("42 correct horse", true),
        ("horse-42-correct", true),
        ("onlyletterslong", false),
        ("123456789012345", false),
        ("\n1\na\n\n\n\n\n\n\n\n\n", true),
    ] {
        assert_eq!(password.is_match(text), documented, "{text:?}");
        assert_eq!(NewPassword::parse(text, &email).is_ok(), documented, "{text:?}");
    }
}

//! Regex character classes for the document's patterns, each exactly the characters a Rust
//! predicate the handlers validate with is true of: a pattern that says "no control
//! characters" or "not blank once trimmed" means what `char::is_control` and `str::trim` do.
//! Written as `\uXXXX` ranges, which ECMA-262, Python's `re` and Rust's `regex` all read alike.
//!
//! The request types of every service build their patterns from these (bazaar_openapi's
//! header schemas too), and shared/openapi/tests/patterns.rs reads each pattern with a regex
//! engine and compares it with the validator it describes.

/// `char::is_control`: Unicode's `Cc`.
pub const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";
/// `char::is_whitespace`, what `str::trim` removes: Unicode's `White_Space`.
pub const WHITESPACE: &str = r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// [`CONTROL`] and [`WHITESPACE`] together.
pub const BLANK_OR_CONTROL: &str = r"\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// What a class stands for: whether a character is in it.
pub type Predicate = fn(char) -> bool;

/// Each class with the predicate it stands for.
pub const CLASSES: [(&str, Predicate); 3] = [
    (CONTROL, |c| c.is_control()),
    (WHITESPACE, |c| c.is_whitespace()),
    (BLANK_OR_CONTROL, |c| c.is_control() || c.is_whitespace()),
];

/// A string with something left once trimmed and no control character in what is left (its
/// length, a `maxLength`, then also bounds the trimmed string).
pub fn trimmed_pattern() -> String {
    format!("^[{WHITESPACE}]*[^{BLANK_OR_CONTROL}]([^{CONTROL}]*[^{BLANK_OR_CONTROL}])?[{WHITESPACE}]*$")
}

/// [`trimmed_pattern`], or only whitespace (or nothing): an optional text where blank means
/// none.
pub fn optional_trimmed_pattern() -> String {
    format!("^[{WHITESPACE}]*([^{BLANK_OR_CONTROL}]([^{CONTROL}]*[^{BLANK_OR_CONTROL}])?)?[{WHITESPACE}]*$")
}

/// A character `str::trim` keeps, searched for anywhere (JSON Schema patterns are not
/// anchored): a text that is not blank.
pub fn not_blank_pattern() -> String {
    format!("[^{WHITESPACE}]")
}

/// [`trimmed_pattern`] without the surrounding whitespace: what a header value can be, as
/// HTTP strips whitespace around it.
pub fn header_pattern() -> String {
    format!("^[^{BLANK_OR_CONTROL}]([^{CONTROL}]*[^{BLANK_OR_CONTROL}])?$")
}

/// The ranges of a class written as [`CONTROL`] is (`\uXXXX` or `\uXXXX-\uXXXX`, repeated);
/// `None` when it is written otherwise.
pub fn ranges(class: &str) -> Option<Vec<(u32, u32)>> {
    let mut ranges = Vec::new();
    let mut rest = class;
    while !rest.is_empty() {
        let (low, after) = code_point(rest)?;
        let (high, after) = match after.strip_prefix('-') {
            Some(after) => code_point(after)?,
            None => (low, after),
        };
        ranges.push((low, high));
        rest = after;
    }
    Some(ranges)
}

fn code_point(text: &str) -> Option<(u32, &str)> {
    let hex = text.strip_prefix(r"\u")?;
    let digits = hex.get(..4)?;
    Some((u32::from_str_radix(digits, 16).ok()?, &hex[4..]))
}

/// Whether `c` is in the class `ranges` describes.
pub fn contains(ranges: &[(u32, u32)], c: char) -> bool {
    ranges.iter().any(|(low, high)| (*low..=*high).contains(&u32::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_exactly_its_predicate_over_all_of_unicode() {
        for (class, predicate) in CLASSES {
            let ranges = ranges(class).unwrap_or_else(|| panic!("{class} is written as ranges"));
            if let Some(c) = (0..=0x10FFFF).filter_map(char::from_u32).find(|c| contains(&ranges, *c) != predicate(*c))
            {
                panic!("{class} and its predicate disagree on U+{:04X}", u32::from(c));
            }
        }
    }

    #[test]
    fn classes_are_read_as_written() {
        assert_eq!(ranges(r"\u0000-\u001F\u0020"), Some(vec![(0, 0x1F), (0x20, 0x20)]));
        assert_eq!(ranges("a-z"), None);
        assert!(trimmed_pattern().starts_with(r"^[\u0009-\u000D"));
    }
}

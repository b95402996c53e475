//! How small values are spelled on the wire: the name serde gives a unit variant (the
//! `snake_case` reasons and kinds of the events), and an ISO 4217 currency code.

use serde::Serialize;

/// The name `value` is serialized as, when that is a string (a unit variant's
/// `rename_all` name, say): `CancelReason::CustomerRequest` → `customer_request`.
pub fn name<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Some(name),
        _ => None,
    }
}

/// Whether `code` is spelled as an ISO 4217 currency code: three upper-case ASCII letters.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::CancelReason;

    #[test]
    fn a_unit_variant_is_named_as_serialized() {
        assert_eq!(name(&CancelReason::CustomerRequest).as_deref(), Some("customer_request"));
        assert_eq!(name(&1), None);
    }

    #[test]
    fn currency_codes_are_three_upper_case_letters() {
        assert!(is_currency_code("EUR") && is_currency_code("USD"));
        for bad in ["eur", "EU", "EURO", "E$R", "", "usd", "US", "USDX", "U$D"] {
            assert!(!is_currency_code(bad), "{bad}");
        }
    }
}

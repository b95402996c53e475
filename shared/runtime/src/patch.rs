//! Bodies of `PATCH` requests: a field left out keeps its value, one sent as `null` clears it.

use serde::{Deserialize, Deserializer};

/// `deserialize_with` of an `Option<Option<T>>` field (with `#[serde(default)]`): sent →
/// `Some`, `null` included (`Some(None)`); left out → `None`.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::present")]
        note: Option<Option<String>>,
    }

    #[test]
    fn null_is_told_apart_from_absent() {
        let read = |json: &str| serde_json::from_str::<Body>(json).expect("parses").note;
        assert_eq!(read("{}"), None);
        assert_eq!(read(r#"{"note": null}"#), Some(None));
        assert_eq!(read(r#"{"note": "x"}"#), Some(Some("x".to_owned())));
    }
}

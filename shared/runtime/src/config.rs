//! Function settings from environment variables, failing with a clear message at init.

use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} has an invalid value: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A required variable.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// An optional variable parsed as `T`, `default` when absent.
pub fn parsed_or<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid { name, reason: e.to_string() })
        }
        _ => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_invalid_variables_are_named_in_the_error() {
        let missing = required("BAZAAR_TEST_SURELY_UNSET").expect_err("unset");
        assert!(missing.to_string().contains("BAZAAR_TEST_SURELY_UNSET"));
        assert_eq!(parsed_or("BAZAAR_TEST_SURELY_UNSET", 7u32).expect("default"), 7);
    }
}

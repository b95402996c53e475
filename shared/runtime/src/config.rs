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

/// Where a function reads its settings: the process environment in Lambda, or a map when
/// several functions run in one process (the in-process system tests and benchmarks build
/// each function's `Deps` from its own template environment).
#[derive(Debug, Clone, Default)]
pub struct Env {
    map: Option<std::collections::BTreeMap<String, String>>,
}

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env { map: None }
    }

    /// A fixed set of variables (nothing is read from the process).
    pub fn from_map(map: std::collections::BTreeMap<String, String>) -> Env {
        Env { map: Some(map) }
    }

    fn raw(&self, name: &str) -> Option<String> {
        match &self.map {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// An optional variable, `None` when absent or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.raw(name)
    }

    /// A required variable.
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.raw(name).ok_or(ConfigError::Missing(name))
    }

    /// An optional variable parsed as `T`, `default` when absent.
    pub fn parsed_or<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.raw(name) {
            Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid { name, reason: e.to_string() }),
            None => Ok(default),
        }
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

    #[test]
    fn a_map_env_reads_only_its_map() {
        let env = Env::from_map([("A".to_owned(), "3".to_owned()), ("B".to_owned(), " ".to_owned())].into());
        assert_eq!(env.parsed_or("A", 0u8).expect("parses"), 3);
        assert!(env.optional("B").is_none());
        assert!(env.required("PATH").is_err());
        assert!(env.parsed_or::<u8>("A", 0).is_ok());
        let bad = Env::from_map([("A".to_owned(), "x".to_owned())].into());
        assert!(bad.parsed_or("A", 0u8).expect_err("invalid").to_string().contains("A"));
    }
}

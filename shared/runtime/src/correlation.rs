//! Correlation ids: one id follows a flow from the HTTP request through every event and
//! every consumer's log lines.

use std::fmt;

/// Header clients (and the devstack) may send to choose the id; echoed on every response.
pub const HEADER: &str = "x-correlation-id";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationId(String);

impl CorrelationId {
    /// Accepts a caller-supplied id only if it is short and plain (it ends up in logs and
    /// events, so no control characters or unbounded sizes).
    pub fn parse(value: &str) -> Option<Self> {
        let ok = !value.is_empty()
            && value.len() <= 128
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        ok.then(|| CorrelationId(value.to_owned()))
    }

    /// The caller's id if valid, else the platform's request id, else a new one.
    pub fn from_parts(header: Option<&str>, request_id: Option<&str>) -> Self {
        header.and_then(Self::parse).or_else(|| request_id.and_then(Self::parse)).unwrap_or_else(Self::generate)
    }

    pub fn generate() -> Self {
        CorrelationId(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_header_wins_and_junk_is_replaced() {
        assert_eq!(CorrelationId::from_parts(Some("abc-1"), Some("req")).as_str(), "abc-1");
        assert_eq!(CorrelationId::from_parts(Some("a b\n"), Some("req-9")).as_str(), "req-9");
        let long = "x".repeat(129);
        let generated = CorrelationId::from_parts(Some(&long), None);
        assert_ne!(generated.as_str(), long);
        assert_eq!(generated.as_str().len(), 36);
    }
}

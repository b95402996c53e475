//! Money on the wire: integer minor units (cents) and an ISO 4217 currency code. Never a float.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// Minor units of `currency` (cents for EUR/USD); never negative in a price.
    pub amount_minor: i64,
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: impl Into<String>) -> Money {
        Money { amount_minor, currency: currency.into() }
    }
}

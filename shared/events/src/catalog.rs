//! Events emitted by the catalog service (`source = bazaar.catalog`).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Money;

events!("bazaar.catalog": ProductChanged = 1, StockReserved = 1, StockRejected = 1, StockReleased = 1);

/// A product was created, edited or deleted. `version` grows with every change, so a
/// projection applies an event only when it is newer than what it holds (events may
/// arrive out of order or twice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProductChanged {
    pub product_id: String,
    /// The user who created the product; only they (or a holder of `catalog:write_all`)
    /// may change it.
    pub owner_id: String,
    pub name: String,
    pub category: String,
    pub price: Money,
    /// False once the product is deleted: it can no longer be ordered.
    pub active: bool,
    pub version: u64,
}

/// One product and quantity of an order, as the catalog reserves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StockLine {
    pub product_id: String,
    pub quantity: u32,
}

/// Every line of an order is held: stock was decremented and a hold keyed by the order id
/// records it until payment settles it or it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StockReserved {
    pub order_id: String,
    pub customer_id: String,
    pub lines: Vec<StockLine>,
    /// What the customer owes (copied from `OrderPlaced`): payments charges this.
    pub total: Money,
    pub hold_expires_at: DateTime<Utc>,
}

/// A line the catalog could not reserve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShortLine {
    pub product_id: String,
    pub requested: u32,
    /// Units in stock when the reservation was refused (0 for an unknown or deleted product).
    pub available: u32,
}

/// The order could not be reserved as a whole; nothing was held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StockRejected {
    pub order_id: String,
    pub customer_id: String,
    pub short: Vec<ShortLine>,
}

/// Why a hold was given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    OrderCancelled,
    PaymentFailed,
    Expired,
}

/// A hold was released and its units are back in stock (exactly once per hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StockReleased {
    pub order_id: String,
    pub lines: Vec<StockLine>,
    pub reason: ReleaseReason,
}

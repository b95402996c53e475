//! Events emitted by the orders service (`source = bazaar.orders`).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Money;

events!("bazaar.orders": OrderPlaced = 1, OrderPaid = 1, OrderCancelled = 1);

/// One line of a placed order, priced from the orders service's product projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderLine {
    pub product_id: String,
    /// The product's owner (from the catalog), so reports can scope sales per owner.
    pub owner_id: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
}

/// A customer placed an order; it is `PENDING` until the catalog reserves its stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderPlaced {
    pub order_id: String,
    pub customer_id: String,
    /// Where notifications about this order go.
    pub customer_email: String,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub placed_at: DateTime<Utc>,
}

/// The order's payment succeeded: it is `PAID`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderPaid {
    pub order_id: String,
    pub customer_id: String,
    pub customer_email: String,
    pub payment_id: String,
    pub lines: Vec<OrderLine>,
    pub total: Money,
}

/// Why an order ended without being paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The customer (or an admin) cancelled it: status `CANCELLED`.
    CustomerRequest,
    /// The payment failed: status `CANCELLED`.
    PaymentFailed,
    /// Stock was short: status `REJECTED`.
    StockRejected,
}

/// The order ended unpaid (`CANCELLED` or `REJECTED`, see `reason`). Any stock held for it
/// must be released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderCancelled {
    pub order_id: String,
    pub customer_id: String,
    pub customer_email: String,
    pub reason: CancelReason,
    pub total: Money,
}

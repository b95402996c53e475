//! What the orders service stores: orders and the product projection it prices them from.

use bazaar_events::Money;
use bazaar_events::orders::OrderLine;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    AwaitingPayment,
    Paid,
    Rejected,
    Cancelled,
}

impl OrderStatus {
    /// The stored (and wire) spelling, for condition expressions.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::AwaitingPayment => "AWAITING_PAYMENT",
            OrderStatus::Paid => "PAID",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    /// Not yet paid, cancelled or rejected: its stock may be held, so it counts against the
    /// customer's open orders.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::AwaitingPayment)
    }
}

/// An order as stored (`ORDER#<id>` / `ORDER`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub status: OrderStatus,
    pub customer_id: String,
    pub customer_email: String,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub payment_id: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

/// The order as the API shows it (the email stays internal: it is for notifications).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Order")]
pub struct OrderView {
    pub id: String,
    pub status: OrderStatus,
    pub customer_id: String,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub payment_id: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> OrderView {
        OrderView {
            id: o.id.clone(),
            status: o.status,
            customer_id: o.customer_id.clone(),
            lines: o.lines.clone(),
            total: o.total.clone(),
            payment_id: o.payment_id.clone(),
            created_at: o.created_at.clone(),
            updated_at: o.updated_at.clone(),
            status_reason: o.status_reason.clone(),
        }
    }
}

/// The projection of a catalog product (`PRODUCT#<id>` / `PRODUCT`), fed by ProductChanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub product_id: String,
    /// The product's owner in the catalog (copied into each order line). Empty for a
    /// product projected before the catalog had owners, until its next `ProductChanged`.
    #[serde(default)]
    pub owner_id: String,
    pub name: String,
    pub price: Money,
    pub active: bool,
    pub version: u64,
}

impl From<&bazaar_events::catalog::ProductChanged> for Product {
    fn from(e: &bazaar_events::catalog::ProductChanged) -> Product {
        Product {
            product_id: e.product_id.clone(),
            owner_id: e.owner_id.clone(),
            name: e.name.clone(),
            price: e.price.clone(),
            active: e.active,
            version: e.version,
        }
    }
}

/// The stored answer to an `Idempotency-Key` (`IDEMPOTENCY#<sub>#<key>` / `IDEMPOTENCY`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// sha256 (hex) of the canonical request body.
    pub body_hash: String,
    pub order_id: String,
    pub expires_at: i64,
}

/// A timestamp as orders store it: RFC 3339, UTC, fixed millisecond width, so that the
/// text sorts like the time (the list indexes sort on it).
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

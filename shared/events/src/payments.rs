//! Events emitted by the payments service (`source = bazaar.payments`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Event, Money};

/// The namespace of payment ids: an order has exactly one payment, whose id is derived
/// from the order id, so every service can name it and creating it twice is impossible.
const PAYMENT_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a3e_8b4d_4c57_9e21_0d5f_3a7b_c911);

/// The id of the one payment of `order_id`.
pub fn payment_id_for_order(order_id: &str) -> String {
    Uuid::new_v5(&PAYMENT_NAMESPACE, order_id.as_bytes()).to_string()
}

/// The payer was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentSucceeded {
    pub payment_id: String,
    pub order_id: String,
    pub customer_id: String,
    pub amount: Money,
    /// The provider's reference of the charge.
    pub provider_ref: String,
}

impl Event for PaymentSucceeded {
    const SOURCE: &'static str = "bazaar.payments";
    const DETAIL_TYPE: &'static str = "PaymentSucceeded";
    const VERSION: u32 = 1;
}

/// The payment was declined or cancelled; nothing was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentFailed {
    pub payment_id: String,
    pub order_id: String,
    pub customer_id: String,
    pub amount: Money,
    /// A short machine-readable reason: `declined`, `cancelled_by_payer`, `provider_error`.
    pub reason: String,
}

impl Event for PaymentFailed {
    const SOURCE: &'static str = "bazaar.payments";
    const DETAIL_TYPE: &'static str = "PaymentFailed";
    const VERSION: u32 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_id_is_stable_per_order_and_distinct_across_orders() {
        assert_eq!(payment_id_for_order("o-1"), payment_id_for_order("o-1"));
        assert_ne!(payment_id_for_order("o-1"), payment_id_for_order("o-2"));
    }
}

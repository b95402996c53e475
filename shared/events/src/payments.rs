//! Events emitted by the payments service (`source = bazaar.payments`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Money;
use crate::orders::OrderCancelled;
use crate::reservations::ReservationCancelled;

events!("bazaar.payments": PaymentSucceeded = 2, PaymentFailed = 2, PaymentRefunded = 1, CancellationSettled = 1);

/// The namespace of payment ids: an order has exactly one payment, whose id is derived
/// from the order id, so every service can name it and creating it twice is impossible.
const PAYMENT_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a3e_8b4d_4c57_9e21_0d5f_3a7b_c911);

/// The id of the one payment of `order_id`.
pub fn payment_id_for_order(order_id: &str) -> String {
    Uuid::new_v5(&PAYMENT_NAMESPACE, order_id.as_bytes()).to_string()
}

/// What a payment pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Order,
    Reservation,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Order => "order",
            SubjectKind::Reservation => "reservation",
        }
    }
}

/// The order or reservation a payment belongs to: each has exactly one payment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
}

impl Subject {
    pub fn order(id: impl Into<String>) -> Subject {
        Subject { kind: SubjectKind::Order, id: id.into() }
    }

    pub fn reservation(id: impl Into<String>) -> Subject {
        Subject { kind: SubjectKind::Reservation, id: id.into() }
    }

    /// The id of the subject's one payment (for an order, [`payment_id_for_order`]).
    pub fn payment_id(&self) -> String {
        match self.kind {
            SubjectKind::Order => payment_id_for_order(&self.id),
            SubjectKind::Reservation => {
                Uuid::new_v5(&PAYMENT_NAMESPACE, format!("reservation:{}", self.id).as_bytes()).to_string()
            }
        }
    }
}

/// The payer was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentSucceeded {
    pub payment_id: String,
    pub subject: Subject,
    pub customer_id: String,
    pub amount: Money,
    /// The provider's reference of the charge.
    pub provider_ref: String,
}

/// The payment was declined or cancelled; nothing was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentFailed {
    pub payment_id: String,
    pub subject: Subject,
    pub customer_id: String,
    pub amount: Money,
    /// A short machine-readable reason: `declined`, `cancelled_by_payer`, `provider_error`.
    pub reason: String,
}

/// A succeeded payment was refunded in full: its order was cancelled, or its reservation
/// was cancelled with a refund (or before it was confirmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentRefunded {
    pub payment_id: String,
    pub subject: Subject,
    pub customer_id: String,
    pub amount: Money,
    /// The provider's reference of the refund.
    pub provider_ref: String,
}

/// Where the payer's money ended up once payments settled a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MoneyOutcome {
    /// No payment ever succeeded (it was pending and is now failed, it had failed, or it
    /// never existed and now never will).
    NothingCharged,
    /// The payment had succeeded and was refunded in full (`PaymentRefunded`).
    Refunded,
    /// The payment had succeeded and is kept: a confirmed reservation cancelled too late
    /// for a refund.
    Charged,
}

/// The cancellation payments settled, as it was announced: what the payer is told about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cancellation {
    Order(OrderCancelled),
    Reservation(ReservationCancelled),
}

impl Cancellation {
    /// The order or reservation that was cancelled.
    pub fn subject(&self) -> Subject {
        match self {
            Cancellation::Order(o) => Subject::order(o.order_id.clone()),
            Cancellation::Reservation(r) => Subject::reservation(r.reservation.reservation_id.clone()),
        }
    }
}

/// Payments settled the money of a cancelled order or reservation: exactly one per
/// `OrderCancelled` / `ReservationCancelled`, emitted with whatever the settlement changed
/// (a pending payment failed, a succeeded one refunded, a tombstone for one that never
/// existed) or, when the payment had ended already, with nothing else. This is the moment
/// the payer can be told the truth about their money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CancellationSettled {
    pub payment_id: String,
    pub subject: Subject,
    pub customer_id: String,
    /// The payment's amount (what was, or would have been, charged).
    pub amount: Money,
    pub money: MoneyOutcome,
    /// The cancellation as its service announced it.
    pub cancellation: Cancellation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_id_is_stable_per_order_and_distinct_across_orders() {
        assert_eq!(payment_id_for_order("o-1"), payment_id_for_order("o-1"));
        assert_ne!(payment_id_for_order("o-1"), payment_id_for_order("o-2"));
        assert_eq!(Subject::order("o-1").payment_id(), payment_id_for_order("o-1"));
        assert_ne!(Subject::reservation("o-1").payment_id(), Subject::order("o-1").payment_id());
    }

    #[test]
    fn a_cancellation_is_tagged_with_its_kind_and_names_its_subject() {
        let cancelled = OrderCancelled {
            order_id: "o-1".into(),
            customer_id: "c".into(),
            customer_email: "c@example.com".into(),
            reason: crate::orders::CancelReason::CustomerRequest,
            total: Money::new(1200, "EUR"),
        };
        let json = serde_json::to_value(Cancellation::Order(cancelled.clone())).expect("json");
        assert_eq!(json["kind"], "order");
        assert_eq!(json["order_id"], "o-1");
        let back: Cancellation = serde_json::from_value(json).expect("decodes");
        assert_eq!(back, Cancellation::Order(cancelled));
        assert_eq!(back.subject(), Subject::order("o-1"));
        assert_eq!(serde_json::to_value(MoneyOutcome::NothingCharged).expect("json"), "nothing_charged");
    }
}

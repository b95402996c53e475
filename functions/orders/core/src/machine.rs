//! The order state machine of the saga, as a pure function.
//!
//! ```text
//! PENDING ──StockReserved──▶ AWAITING_PAYMENT
//! PENDING | AWAITING_PAYMENT ──PaymentSucceeded──▶ PAID   (payments and orders consume
//!                                                          StockReserved in parallel, so
//!                                                          PaymentSucceeded may come first)
//! PENDING ──StockRejected──▶ REJECTED
//! PENDING | AWAITING_PAYMENT ──PaymentFailed──▶ CANCELLED
//! PENDING | AWAITING_PAYMENT ──CustomerCancel──▶ CANCELLED
//! ```
//! Everything else (a late StockReserved on a PAID order, a redelivery, a payment for a
//! cancelled order) is no transition: the caller ignores it idempotently.

use bazaar_events::orders::CancelReason;

use crate::OrderStatus;

/// What can move an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    StockReserved,
    StockRejected,
    PaymentSucceeded,
    PaymentFailed,
    CustomerCancel,
}

impl Trigger {
    /// Why the order ends unpaid, for triggers that end it so.
    pub fn cancel_reason(self) -> Option<CancelReason> {
        match self {
            Trigger::StockRejected => Some(CancelReason::StockRejected),
            Trigger::PaymentFailed => Some(CancelReason::PaymentFailed),
            Trigger::CustomerCancel => Some(CancelReason::CustomerRequest),
            Trigger::StockReserved | Trigger::PaymentSucceeded => None,
        }
    }

    /// The `status_reason` an order gets when this trigger ends it: the reason's wire name.
    pub fn status_reason(self) -> Option<String> {
        self.cancel_reason().and_then(|r| bazaar_events::wire::name(&r))
    }
}

/// The status `trigger` moves an order in `status` to, or `None` when it does not apply.
pub fn next_status(status: OrderStatus, trigger: Trigger) -> Option<OrderStatus> {
    use OrderStatus::*;
    match (status, trigger) {
        (Pending, Trigger::StockReserved) => Some(AwaitingPayment),
        (Pending | AwaitingPayment, Trigger::PaymentSucceeded) => Some(Paid),
        (Pending, Trigger::StockRejected) => Some(Rejected),
        (Pending | AwaitingPayment, Trigger::PaymentFailed) => Some(Cancelled),
        (Pending | AwaitingPayment, Trigger::CustomerCancel) => Some(Cancelled),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    const ALL: [OrderStatus; 5] = [Pending, AwaitingPayment, Paid, Rejected, Cancelled];
    const TRIGGERS: [Trigger; 5] = [
        Trigger::StockReserved,
        Trigger::StockRejected,
        Trigger::PaymentSucceeded,
        Trigger::PaymentFailed,
        Trigger::CustomerCancel,
    ];

    #[test]
    fn the_happy_path_reserves_then_pays() {
        let reserved = next_status(Pending, Trigger::StockReserved);
        assert_eq!(reserved, Some(AwaitingPayment));
        assert_eq!(next_status(AwaitingPayment, Trigger::PaymentSucceeded), Some(Paid));
    }

    #[test]
    fn a_payment_may_succeed_before_the_stock_reservation_arrives() {
        assert_eq!(next_status(Pending, Trigger::PaymentSucceeded), Some(Paid));
        assert_eq!(next_status(Paid, Trigger::StockReserved), None, "a late reservation leaves it PAID");
    }

    #[test]
    fn rejections_and_failures_end_the_order() {
        assert_eq!(next_status(Pending, Trigger::StockRejected), Some(Rejected));
        assert_eq!(next_status(AwaitingPayment, Trigger::StockRejected), None);
        assert_eq!(next_status(Pending, Trigger::PaymentFailed), Some(Cancelled));
        assert_eq!(next_status(AwaitingPayment, Trigger::PaymentFailed), Some(Cancelled));
        assert_eq!(next_status(Pending, Trigger::CustomerCancel), Some(Cancelled));
        assert_eq!(next_status(AwaitingPayment, Trigger::CustomerCancel), Some(Cancelled));
    }

    #[test]
    fn final_states_never_move() {
        for status in [Paid, Rejected, Cancelled] {
            for trigger in TRIGGERS {
                assert_eq!(next_status(status, trigger), None, "{status:?} on {trigger:?}");
            }
        }
    }

    #[test]
    fn a_trigger_never_maps_a_status_onto_itself() {
        for status in ALL {
            for trigger in TRIGGERS {
                assert_ne!(next_status(status, trigger), Some(status), "{status:?} on {trigger:?}");
            }
        }
    }

    #[test]
    fn only_ending_triggers_carry_a_reason() {
        assert_eq!(Trigger::StockRejected.status_reason().as_deref(), Some("stock_rejected"));
        assert_eq!(Trigger::PaymentFailed.status_reason().as_deref(), Some("payment_failed"));
        assert_eq!(Trigger::CustomerCancel.status_reason().as_deref(), Some("customer_request"));
        assert_eq!(Trigger::StockReserved.status_reason(), None);
        assert_eq!(Trigger::PaymentSucceeded.cancel_reason(), None);
    }
}

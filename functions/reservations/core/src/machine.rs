//! The reservation state machine and the rules around it, as pure functions.
//!
//! ```text
//! PENDING ──PaymentSucceeded──▶ CONFIRMED ──CheckIn──▶ CHECKED_IN
//! PENDING ──PaymentFailed | Expire | CustomerCancel | OwnerCancel──▶ CANCELLED
//! CONFIRMED ──CustomerCancel (before the start) | OwnerCancel (before the end)──▶ CANCELLED
//! ```
//! Everything else (a redelivered payment, a payment for an expired reservation, a second
//! cancel) is no transition: consumers acknowledge it, HTTP callers get 409. Moving to
//! CANCELLED releases the slots in the same transaction, so they are released exactly once.

use bazaar_events::reservations::ReservationCancelReason;
use chrono::{DateTime, Duration, Utc};

use crate::ReservationStatus;

/// What can move a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    PaymentSucceeded,
    PaymentFailed,
    /// The hold ran out unpaid (the scheduled expiry).
    Expire,
    /// The customer cancelled.
    CustomerCancel,
    /// The resource's owner or an admin cancelled.
    OwnerCancel,
    /// The front desk checked the customer in.
    CheckIn,
}

impl Trigger {
    /// Why the reservation ends, for triggers that cancel it.
    pub fn cancel_reason(self) -> Option<ReservationCancelReason> {
        match self {
            Trigger::PaymentFailed => Some(ReservationCancelReason::PaymentFailed),
            Trigger::Expire => Some(ReservationCancelReason::Expired),
            Trigger::CustomerCancel => Some(ReservationCancelReason::CustomerRequest),
            Trigger::OwnerCancel => Some(ReservationCancelReason::OwnerRequest),
            Trigger::PaymentSucceeded | Trigger::CheckIn => None,
        }
    }

    /// The `status_reason` a reservation gets when this trigger cancels it: the reason's wire name.
    pub fn status_reason(self) -> Option<String> {
        self.cancel_reason().and_then(|r| bazaar_events::wire::name(&r))
    }
}

/// The status `trigger` moves a reservation in `status` to, or `None` when it does not apply.
pub fn next_status(status: ReservationStatus, trigger: Trigger) -> Option<ReservationStatus> {
    use ReservationStatus::*;
    match (status, trigger) {
        (Pending, Trigger::PaymentSucceeded) => Some(Confirmed),
        (Pending, Trigger::PaymentFailed | Trigger::Expire) => Some(Cancelled),
        (Pending | Confirmed, Trigger::CustomerCancel | Trigger::OwnerCancel) => Some(Cancelled),
        (Confirmed, Trigger::CheckIn) => Some(CheckedIn),
        _ => None,
    }
}

/// Whether a cancellation is still possible at `now`: a customer only before the start,
/// an owner or admin until the end.
pub fn may_cancel_at(trigger: Trigger, start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    match trigger {
        Trigger::CustomerCancel => now < start,
        Trigger::OwnerCancel => now < end,
        _ => true,
    }
}

/// Whether a cancelled reservation's payment is refunded: only a paid one, when its owner
/// cancelled it, or its customer did at least `cutoff` before the start.
pub fn refund(
    was_confirmed: bool,
    reason: ReservationCancelReason,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    cutoff: Duration,
) -> bool {
    was_confirmed
        && match reason {
            ReservationCancelReason::OwnerRequest => true,
            ReservationCancelReason::CustomerRequest => start - now >= cutoff,
            ReservationCancelReason::PaymentFailed | ReservationCancelReason::Expired => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReservationStatus::*;

    const ALL: [ReservationStatus; 4] = [Pending, Confirmed, CheckedIn, Cancelled];
    const TRIGGERS: [Trigger; 6] = [
        Trigger::PaymentSucceeded,
        Trigger::PaymentFailed,
        Trigger::Expire,
        Trigger::CustomerCancel,
        Trigger::OwnerCancel,
        Trigger::CheckIn,
    ];

    #[test]
    fn the_happy_path_confirms_then_checks_in() {
        assert_eq!(next_status(Pending, Trigger::PaymentSucceeded), Some(Confirmed));
        assert_eq!(next_status(Confirmed, Trigger::CheckIn), Some(CheckedIn));
        assert_eq!(next_status(Pending, Trigger::CheckIn), None, "an unpaid reservation cannot check in");
    }

    #[test]
    fn a_pending_reservation_ends_on_failure_expiry_or_cancel() {
        for t in [Trigger::PaymentFailed, Trigger::Expire, Trigger::CustomerCancel, Trigger::OwnerCancel] {
            assert_eq!(next_status(Pending, t), Some(Cancelled), "{t:?}");
        }
    }

    #[test]
    fn a_confirmed_reservation_is_only_cancelled_by_people() {
        assert_eq!(next_status(Confirmed, Trigger::CustomerCancel), Some(Cancelled));
        assert_eq!(next_status(Confirmed, Trigger::OwnerCancel), Some(Cancelled));
        assert_eq!(next_status(Confirmed, Trigger::PaymentFailed), None);
        assert_eq!(next_status(Confirmed, Trigger::Expire), None, "paid reservations never expire");
        assert_eq!(next_status(Confirmed, Trigger::PaymentSucceeded), None, "a redelivered payment");
    }

    #[test]
    fn final_states_never_move() {
        for status in [CheckedIn, Cancelled] {
            for trigger in TRIGGERS {
                assert_eq!(next_status(status, trigger), None, "{status:?} on {trigger:?}");
            }
        }
    }

    #[test]
    fn a_trigger_never_maps_a_status_onto_itself_and_only_cancels_carry_reasons() {
        for status in ALL {
            for trigger in TRIGGERS {
                assert_ne!(next_status(status, trigger), Some(status), "{status:?} on {trigger:?}");
                if next_status(status, trigger) == Some(Cancelled) {
                    assert!(trigger.status_reason().is_some(), "{trigger:?}");
                }
            }
        }
        assert_eq!(Trigger::Expire.status_reason().as_deref(), Some("expired"));
        assert_eq!(Trigger::OwnerCancel.status_reason().as_deref(), Some("owner_request"));
        assert_eq!(Trigger::CheckIn.cancel_reason(), None);
    }

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("t") + Duration::hours(hours)
    }

    #[test]
    fn customers_cancel_before_the_start_owners_before_the_end() {
        let (start, end) = (at(10), at(12));
        assert!(may_cancel_at(Trigger::CustomerCancel, start, end, at(9)));
        assert!(!may_cancel_at(Trigger::CustomerCancel, start, end, at(10)));
        assert!(may_cancel_at(Trigger::OwnerCancel, start, end, at(11)));
        assert!(!may_cancel_at(Trigger::OwnerCancel, start, end, at(12)));
    }

    #[test]
    fn refunds_follow_the_cutoff_and_only_for_paid_reservations() {
        use ReservationCancelReason::*;
        let cutoff = Duration::hours(24);
        let start = at(48);
        assert!(refund(true, OwnerRequest, start, at(47), cutoff), "owners always refund");
        assert!(refund(true, CustomerRequest, start, at(24), cutoff), "exactly at the cutoff");
        assert!(!refund(true, CustomerRequest, start, at(25), cutoff), "too late");
        assert!(!refund(false, OwnerRequest, start, at(0), cutoff), "nothing was paid");
        assert!(!refund(true, PaymentFailed, start, at(0), cutoff));
        assert!(!refund(true, Expired, start, at(0), cutoff));
    }
}

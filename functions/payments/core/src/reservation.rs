//! Payments of reservations. `ReservationRequested` creates the reservation's payment by the
//! same path as an order's; `ReservationCancelled` settles it as every cancellation is
//! settled ([`crate::cancellation`]): failed while PENDING, refunded once SUCCEEDED when a
//! refund is due, a tombstone when it does not exist yet. Each event applies exactly once.

use bazaar_events::Envelope;
use bazaar_events::payments::{Cancellation, Subject};
use bazaar_events::reservations::{ReservationCancelled, ReservationRequested};
use chrono::{DateTime, Utc};

use crate::PaymentsStore;
use crate::cancellation::{self, CancelRequest, Cancelled};
use crate::flows::{self, Created, NewPayment};
use crate::settings::ProviderSettings;

/// The inbox name of `payments-on-reservation`.
pub const ON_RESERVATION_CONSUMER: &str = "payments-on-reservation";

/// `ReservationRequested` → the reservation's payment, payable until the reservation expires.
pub async fn on_reservation_requested(
    store: &PaymentsStore,
    settings: &ProviderSettings,
    event: &Envelope<ReservationRequested>,
    now: DateTime<Utc>,
) -> anyhow::Result<Created> {
    let booking = &event.data.reservation;
    let new = NewPayment {
        subject: Subject::reservation(booking.reservation_id.clone()),
        payer: booking.customer_id.clone(),
        amount: booking.amount.clone(),
        hold_expires_at: event.data.expires_at,
    };
    flows::create_payment(store, settings, ON_RESERVATION_CONSUMER, event, new, now).await
}

/// Whether a SUCCEEDED payment is refunded: when the event says so, and also when the
/// reservation was never confirmed (its payment succeeded while the reservation was being
/// cancelled or expiring: the customer must not pay for a reservation they never had).
pub fn refund_due(event: &ReservationCancelled) -> bool {
    event.refund || !event.was_confirmed
}

/// `ReservationCancelled` → the reservation's payment ends (see [`cancellation`]), and
/// `CancellationSettled` tells the customer where their money is.
pub async fn on_reservation_cancelled(
    store: &PaymentsStore,
    event: &Envelope<ReservationCancelled>,
    now: DateTime<Utc>,
) -> anyhow::Result<Cancelled> {
    let booking = &event.data.reservation;
    let request = CancelRequest::new(
        ON_RESERVATION_CONSUMER,
        event,
        &booking.customer_id,
        &booking.amount,
        refund_due(&event.data),
        Cancellation::Reservation(event.data.clone()),
    );
    cancellation::settle_cancellation(store, &request, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_events::Money;
    use bazaar_events::reservations::{Booking, ReservationCancelReason};

    fn cancelled(refund: bool, was_confirmed: bool) -> ReservationCancelled {
        let now = Utc::now();
        ReservationCancelled {
            reservation: Booking {
                reservation_id: "r1".into(),
                resource_id: "res".into(),
                resource_name: "Court 1".into(),
                owner_id: "o".into(),
                customer_id: "c".into(),
                customer_email: "c@example.com".into(),
                start: now,
                end: now,
                time_zone: "UTC".into(),
                local_date: "2026-11-21".into(),
                local_start: None,
                local_end: None,
                slots: 1,
                amount: Money::new(1500, "EUR"),
            },
            reason: ReservationCancelReason::CustomerRequest,
            was_confirmed,
            refund,
        }
    }

    #[test]
    fn a_refund_is_due_when_asked_for_or_when_the_reservation_was_never_confirmed() {
        assert!(refund_due(&cancelled(true, true)));
        assert!(!refund_due(&cancelled(false, true)), "a late cancellation of a confirmed reservation keeps the money");
        assert!(refund_due(&cancelled(false, false)), "a payment that raced the cancellation is given back");
    }
}

//! Payments of reservations. `ReservationRequested` creates the reservation's payment by the
//! same path as an order's; `ReservationCancelled` fails it while PENDING, refunds it once
//! SUCCEEDED (when a refund is due), and leaves a tombstone when it does not exist yet, so
//! a late `ReservationRequested` creates nothing. Each event applies exactly once.

use bazaar_events::Envelope;
use bazaar_events::payments::{PaymentRefunded, Subject};
use bazaar_events::reservations::{Booking, ReservationCancelled, ReservationRequested};
use chrono::{DateTime, Utc};

use crate::flows::{self, Created, MAX_ID_LEN, NewPayment, Settled};
use crate::model::{Settlement, reasons};
use crate::settings::ProviderSettings;
use crate::store::SettleWrite;
use crate::{Payment, PaymentStatus, PaymentsStore, simulate};

/// The inbox name of `payments-on-reservation`.
pub const ON_RESERVATION_CONSUMER: &str = "payments-on-reservation";

/// Reads of a payment that keeps changing under one event before the message is retried.
const ATTEMPTS: usize = 3;

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

/// What handling one `ReservationCancelled` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancelled {
    /// The PENDING payment is FAILED (`cancelled`); `PaymentFailed` is in the outbox.
    Failed(Payment),
    /// The SUCCEEDED payment is REFUNDED; `PaymentRefunded` is in the outbox.
    Refunded(Payment),
    /// No payment existed: a FAILED (`cancelled`) one now stands in for it, without an
    /// event (nobody was waiting for it), so a late `ReservationRequested` creates nothing.
    Tombstoned(Payment),
    /// Nothing to do: FAILED or REFUNDED already, or SUCCEEDED without a refund due.
    Unchanged(PaymentStatus),
    /// This event was applied before.
    AlreadyProcessed,
}

/// Whether a SUCCEEDED payment is refunded: when the event says so, and also when the
/// reservation was never confirmed (its payment succeeded while the reservation was being
/// cancelled or expiring: the customer must not pay for a reservation they never had).
pub fn refund_due(event: &ReservationCancelled) -> bool {
    event.refund || !event.was_confirmed
}

/// `ReservationCancelled` → the reservation's payment ends: PENDING → FAILED `cancelled` with
/// `PaymentFailed`; SUCCEEDED → REFUNDED with `PaymentRefunded` when [`refund_due`]; unknown
/// → a tombstone. Every change is conditional on the status read and carries the inbox
/// marker, so a redelivered or concurrent duplicate applies nothing twice.
pub async fn on_reservation_cancelled(
    store: &PaymentsStore,
    event: &Envelope<ReservationCancelled>,
    now: DateTime<Utc>,
) -> anyhow::Result<Cancelled> {
    let booking = &event.data.reservation;
    let id = &booking.reservation_id;
    anyhow::ensure!(!id.is_empty() && id.len() <= MAX_ID_LEN, "invalid reservation id");
    let subject = Subject::reservation(id.clone());
    let payment_id = subject.payment_id();
    let event_id = event.metadata.event_id.to_string();
    let correlation_id = event.metadata.correlation_id.as_str();
    for _ in 0..ATTEMPTS {
        let marker = store.inbox_marker(ON_RESERVATION_CONSUMER, &event_id)?;
        let Some(payment) = store.payment(&payment_id).await? else {
            let tombstone = tombstone(&subject, booking, now);
            if store.create(&tombstone, Some(marker), None).await? {
                tracing::info!(payment_id, reservation_id = %id, "reservation cancelled before its payment existed: tombstone recorded");
                return Ok(Cancelled::Tombstoned(tombstone));
            }
            // The payment (or this event's marker with its tombstone) appeared meanwhile: read again.
            continue;
        };
        let outcome = match payment.status {
            PaymentStatus::Pending => {
                let settlement = Settlement::Failed { reason: reasons::CANCELLED.to_owned() };
                // A failure is never turned into `expired`: the window does not matter here.
                match flows::settle(store, &payment, settlement, Some(marker), correlation_id, now, None).await? {
                    Settled::Applied(p) | Settled::Expired(p) => Some(Cancelled::Failed(p)),
                    Settled::Duplicate => Some(Cancelled::AlreadyProcessed),
                    Settled::NotPending(_) => None,
                }
            }
            PaymentStatus::Succeeded if refund_due(&event.data) => {
                refund(store, &payment, marker, correlation_id, now).await?
            }
            status => Some(Cancelled::Unchanged(status)),
        };
        if let Some(outcome) = outcome {
            tracing::info!(payment_id, reservation_id = %id, ?outcome, "reservation cancellation handled");
            return Ok(outcome);
        }
    }
    anyhow::bail!("payment {payment_id} kept changing concurrently; the message will be retried")
}

/// SUCCEEDED → REFUNDED through the (simulated) provider, with `PaymentRefunded`. `None`: the
/// payment was no longer SUCCEEDED when written.
async fn refund(
    store: &PaymentsStore,
    payment: &Payment,
    marker: aws_sdk_dynamodb::types::TransactWriteItem,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Cancelled>> {
    let refund_ref = simulate::refund_ref();
    let next = Payment {
        status: PaymentStatus::Refunded,
        refund_ref: Some(refund_ref.clone()),
        updated_at: now,
        ..payment.clone()
    };
    let event = store.event(&Envelope::new(
        PaymentRefunded {
            payment_id: next.payment_id.clone(),
            subject: next.subject.clone(),
            customer_id: next.payer.clone(),
            amount: next.amount.clone(),
            provider_ref: refund_ref,
        },
        correlation_id,
    ))?;
    Ok(match store.transition(&next, PaymentStatus::Succeeded, event, Some(marker)).await? {
        SettleWrite::Applied => Some(Cancelled::Refunded(next)),
        SettleWrite::Duplicate => Some(Cancelled::AlreadyProcessed),
        SettleWrite::NotPending => None,
    })
}

/// The FAILED payment that stands in for one a cancelled reservation never got.
fn tombstone(subject: &Subject, booking: &Booking, now: DateTime<Utc>) -> Payment {
    Payment {
        payment_id: subject.payment_id(),
        subject: subject.clone(),
        payer: booking.customer_id.clone(),
        status: PaymentStatus::Failed,
        amount: booking.amount.clone(),
        created_at: now,
        updated_at: now,
        hold_expires_at: now,
        provider_ref: None,
        failure_reason: Some(reasons::CANCELLED.to_owned()),
        refund_ref: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_events::Money;
    use bazaar_events::reservations::ReservationCancelReason;

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

    #[test]
    fn a_tombstone_is_the_reservations_failed_payment() {
        let event = cancelled(false, false);
        let subject = Subject::reservation("r1");
        let t = tombstone(&subject, &event.reservation, Utc::now());
        assert_eq!(t.payment_id, subject.payment_id());
        assert_eq!((t.status, t.failure_reason.as_deref()), (PaymentStatus::Failed, Some("cancelled")));
        assert_eq!((t.payer.as_str(), t.amount.amount_minor), ("c", 1500));
    }
}

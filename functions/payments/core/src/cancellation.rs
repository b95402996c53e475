//! Cancellations of what a payment pays for. `OrderCancelled` and `ReservationCancelled`
//! both end here: a PENDING payment fails (`cancelled`), a SUCCEEDED one is refunded when a
//! refund is due, and one that does not exist yet gets a tombstone so the event that would
//! create it (`StockReserved`, `ReservationRequested`) creates nothing. Whatever the case,
//! exactly one `CancellationSettled` tells where the payer's money ended, written in the same
//! transaction as the change (or, when nothing changes, with the inbox marker alone).

use bazaar_aws::table::Write;
use bazaar_events::payments::{Cancellation, CancellationSettled, MoneyOutcome, PaymentRefunded, Subject};
use bazaar_events::{Envelope, Money};
use chrono::{DateTime, Utc};

use crate::flows::{self, MAX_ID_LEN, Settled};
use crate::model::{Settlement, reasons};
use crate::store::SettleWrite;
use crate::{Payment, PaymentStatus, PaymentsStore, simulate};

/// Reads of a payment that keeps changing under one event before the message is retried.
const ATTEMPTS: usize = 3;

/// What handling one cancellation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancelled {
    /// The PENDING payment is FAILED (`cancelled`); `PaymentFailed` is in the outbox.
    Failed(Payment),
    /// The SUCCEEDED payment is REFUNDED; `PaymentRefunded` is in the outbox.
    Refunded(Payment),
    /// No payment existed: a FAILED (`cancelled`) one now stands in for it, so the event that
    /// would have created it creates nothing.
    Tombstoned(Payment),
    /// The payment had ended already (FAILED or REFUNDED, or SUCCEEDED without a refund due).
    Unchanged(PaymentStatus),
    /// This event was applied before.
    AlreadyProcessed,
}

impl Cancelled {
    /// Where the payer's money is once this outcome is written; `None` for a redelivery.
    pub fn money(&self) -> Option<MoneyOutcome> {
        match self {
            Cancelled::Failed(_) | Cancelled::Tombstoned(_) => Some(MoneyOutcome::NothingCharged),
            Cancelled::Refunded(_) => Some(MoneyOutcome::Refunded),
            Cancelled::Unchanged(status) => Some(money_of(*status)),
            Cancelled::AlreadyProcessed => None,
        }
    }
}

/// Where the money of a payment in `status` is, when nothing more will happen to it.
fn money_of(status: PaymentStatus) -> MoneyOutcome {
    match status {
        PaymentStatus::Succeeded => MoneyOutcome::Charged,
        PaymentStatus::Refunded => MoneyOutcome::Refunded,
        PaymentStatus::Pending | PaymentStatus::Failed => MoneyOutcome::NothingCharged,
    }
}

/// One cancellation to settle, from the event that announced it.
#[derive(Debug, Clone)]
pub struct CancelRequest {
    /// The consumer whose inbox marker records the event.
    pub consumer: &'static str,
    pub event_id: String,
    pub correlation_id: String,
    /// Who pays (for a tombstone) and what (when no payment exists yet).
    pub payer: String,
    pub amount: Money,
    /// Whether a SUCCEEDED payment is given back.
    pub refund_due: bool,
    pub cancellation: Cancellation,
}

impl CancelRequest {
    /// The request for a cancellation carried by `event`.
    pub fn new<T: bazaar_events::Event>(
        consumer: &'static str,
        event: &Envelope<T>,
        payer: &str,
        amount: &Money,
        refund_due: bool,
        cancellation: Cancellation,
    ) -> CancelRequest {
        CancelRequest {
            consumer,
            event_id: event.metadata.event_id.to_string(),
            correlation_id: event.metadata.correlation_id.clone(),
            payer: payer.to_owned(),
            amount: amount.clone(),
            refund_due,
            cancellation,
        }
    }

    /// `CancellationSettled` for `payment` ending in `money`, as an outbox item.
    fn settled(&self, store: &PaymentsStore, payment: &Payment, money: MoneyOutcome) -> anyhow::Result<Write> {
        store.event(&Envelope::new(
            CancellationSettled {
                payment_id: payment.payment_id.clone(),
                subject: payment.subject.clone(),
                customer_id: payment.payer.clone(),
                amount: payment.amount.clone(),
                money,
                cancellation: self.cancellation.clone(),
            },
            self.correlation_id.as_str(),
        ))
    }
}

/// Settles a cancellation exactly once: PENDING → FAILED `cancelled` with `PaymentFailed`;
/// SUCCEEDED → REFUNDED with `PaymentRefunded` when `refund_due`; none → a tombstone; and
/// in every case one `CancellationSettled`. Every write is conditional on the status read and
/// carries the inbox marker, so a redelivered or concurrent duplicate applies nothing twice.
pub async fn settle_cancellation(
    store: &PaymentsStore,
    request: &CancelRequest,
    now: DateTime<Utc>,
) -> anyhow::Result<Cancelled> {
    let subject = request.cancellation.subject();
    anyhow::ensure!(!subject.id.is_empty() && subject.id.len() <= MAX_ID_LEN, "invalid {} id", subject.kind.as_str());
    let payment_id = subject.payment_id();
    for _ in 0..ATTEMPTS {
        if let Some(outcome) = attempt(store, request, &subject, &payment_id, now).await? {
            tracing::info!(
                payment_id,
                subject_kind = subject.kind.as_str(),
                subject_id = %subject.id,
                ?outcome,
                "cancellation settled"
            );
            return Ok(outcome);
        }
    }
    anyhow::bail!("payment {payment_id} kept changing concurrently; the message will be retried")
}

/// One read-then-conditional-write; `None` when the payment changed in between.
async fn attempt(
    store: &PaymentsStore,
    request: &CancelRequest,
    subject: &Subject,
    payment_id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Cancelled>> {
    let marker = store.inbox_mark(request.consumer, &request.event_id)?;
    let Some(payment) = store.payment(payment_id).await? else {
        let tombstone = tombstone(subject, &request.payer, &request.amount, now);
        let settled = request.settled(store, &tombstone, MoneyOutcome::NothingCharged)?;
        // `false`: the payment (or this event's marker with its tombstone) appeared meanwhile.
        // Not counted as a failed payment: nobody tried to pay it.
        return Ok(store
            .create(&tombstone, Some(marker), vec![settled])
            .await?
            .then_some(Cancelled::Tombstoned(tombstone)));
    };
    Ok(match payment.status {
        PaymentStatus::Pending => {
            let settlement = Settlement::Failed { reason: reasons::CANCELLED.to_owned() };
            let settled = request.settled(store, &payment, MoneyOutcome::NothingCharged)?;
            // A failure is never turned into `expired`: the window does not matter here.
            let correlation_id = request.correlation_id.as_str();
            match flows::settle(store, &payment, settlement, Some(marker), vec![settled], correlation_id, now, None)
                .await?
            {
                Settled::Applied(p) | Settled::Expired(p) => Some(Cancelled::Failed(p)),
                Settled::Duplicate => Some(Cancelled::AlreadyProcessed),
                Settled::NotPending(_) => None,
            }
        }
        PaymentStatus::Succeeded if request.refund_due => refund(store, request, &payment, marker, now).await?,
        status => {
            let settled = request.settled(store, &payment, money_of(status))?;
            match store.acknowledge(payment_id, status, marker, vec![settled]).await? {
                SettleWrite::Applied => Some(Cancelled::Unchanged(status)),
                SettleWrite::Duplicate => Some(Cancelled::AlreadyProcessed),
                SettleWrite::NotPending => None,
            }
        }
    })
}

/// SUCCEEDED → REFUNDED through the (simulated) provider, with `PaymentRefunded` and
/// `CancellationSettled`. `None`: the payment was no longer SUCCEEDED when written.
async fn refund(
    store: &PaymentsStore,
    request: &CancelRequest,
    payment: &Payment,
    marker: Write,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Cancelled>> {
    let refund_ref = simulate::refund_ref();
    let next = Payment {
        status: PaymentStatus::Refunded,
        refund_ref: Some(refund_ref.clone()),
        updated_at: now,
        ..payment.clone()
    };
    let refunded = store.event(&Envelope::new(
        PaymentRefunded {
            payment_id: next.payment_id.clone(),
            subject: next.subject.clone(),
            customer_id: next.payer.clone(),
            amount: next.amount.clone(),
            provider_ref: refund_ref,
        },
        request.correlation_id.as_str(),
    ))?;
    let settled = request.settled(store, &next, MoneyOutcome::Refunded)?;
    Ok(match store.transition(&next, PaymentStatus::Succeeded, vec![refunded, settled], Some(marker)).await? {
        SettleWrite::Applied => {
            flows::count_status(PaymentStatus::Refunded);
            Some(Cancelled::Refunded(next))
        }
        SettleWrite::Duplicate => Some(Cancelled::AlreadyProcessed),
        SettleWrite::NotPending => None,
    })
}

/// The FAILED payment that stands in for one a cancelled order or reservation never got.
fn tombstone(subject: &Subject, payer: &str, amount: &Money, now: DateTime<Utc>) -> Payment {
    Payment {
        payment_id: subject.payment_id(),
        subject: subject.clone(),
        payer: payer.to_owned(),
        status: PaymentStatus::Failed,
        amount: amount.clone(),
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

    #[test]
    fn a_tombstone_is_the_subjects_failed_payment() {
        let subject = Subject::reservation("r1");
        let t = tombstone(&subject, "c", &Money::new(1500, "EUR"), Utc::now());
        assert_eq!(t.payment_id, subject.payment_id());
        assert_eq!((t.status, t.failure_reason.as_deref()), (PaymentStatus::Failed, Some("cancelled")));
        assert_eq!((t.payer.as_str(), t.amount.amount_minor), ("c", 1500));
    }

    #[test]
    fn the_money_outcome_follows_what_the_cancellation_did() {
        let p = tombstone(&Subject::order("o"), "c", &Money::new(1, "EUR"), Utc::now());
        assert_eq!(Cancelled::Failed(p.clone()).money(), Some(MoneyOutcome::NothingCharged));
        assert_eq!(Cancelled::Tombstoned(p.clone()).money(), Some(MoneyOutcome::NothingCharged));
        assert_eq!(Cancelled::Refunded(p).money(), Some(MoneyOutcome::Refunded));
        assert_eq!(Cancelled::Unchanged(PaymentStatus::Failed).money(), Some(MoneyOutcome::NothingCharged));
        assert_eq!(Cancelled::Unchanged(PaymentStatus::Succeeded).money(), Some(MoneyOutcome::Charged));
        assert_eq!(Cancelled::Unchanged(PaymentStatus::Refunded).money(), Some(MoneyOutcome::Refunded));
        assert_eq!(Cancelled::AlreadyProcessed.money(), None);
    }
}

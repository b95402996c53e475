//! Moving reservations: the one place a transition is turned into a conditional write with
//! its event, and the flows driven by events and the clock (payments, expiry, reminders).

use bazaar_aws::table::Write;
use bazaar_events::Envelope;
use bazaar_events::reservations::{
    ReservationCancelled, ReservationCheckedIn, ReservationConfirmed, ReservationReminderDue,
};
use bazaar_runtime::metrics::{self, Metric};
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;

use super::ATTEMPTS;
use crate::hours::{local_date, parse_zone};
use crate::machine::{self, Trigger, next_status};
use crate::model::{key_time, timestamp};
use crate::store::{PENDING, TO_REMIND, Transition};
use crate::{Reservation, ReservationStatus, ReservationsStore};

/// How far ahead the reminder looks for confirmed reservations (then keeps those whose
/// local date is tomorrow in their own zone).
const REMINDER_HORIZON_HOURS: i64 = 48;
/// Reservations moved at once by the scheduled functions.
const CONCURRENCY: usize = 4;

/// One move of a reservation and its circumstances.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub trigger: Trigger,
    pub now: DateTime<Utc>,
    /// Who did it (the front desk's sub for a check-in).
    pub by: Option<&'a str>,
    /// `REFUND_CUTOFF_HOURS`: only a customer's cancel reads it.
    pub refund_cutoff: Duration,
    pub correlation_id: &'a str,
}

/// Applies `m` to `current` (the caller checked that it applies): the conditional write of
/// the moved reservation, the inbox marker (if any), the event, and on CANCELLED the release
/// of its slots, in one transaction. Returns the moved reservation when applied.
pub async fn apply_move(
    store: &ReservationsStore,
    current: &Reservation,
    m: &Move<'_>,
    marker: Option<Write>,
) -> anyhow::Result<(Transition, Option<Reservation>)> {
    let status = next_status(current.status, m.trigger).ok_or_else(|| {
        anyhow::anyhow!("{:?} does not apply to a {} reservation", m.trigger, current.status.as_str())
    })?;
    let mut to = current.clone();
    to.status = status;
    to.version = current.version + 1;
    to.updated_at = timestamp(m.now);
    if let Some(reason) = m.trigger.status_reason() {
        to.status_reason = Some(reason);
    }
    if status == ReservationStatus::CheckedIn {
        to.checked_in_at = Some(m.now);
        to.checked_in_by = m.by.map(str::to_owned);
    }
    let event = announce(store, current, &to, m)?;
    let outcome = store.transition(current, &to, marker, event).await?;
    if outcome == Transition::Applied && current.status == ReservationStatus::Pending {
        // Best effort: a quota slot not given back frees itself when the hold expires.
        if let Err(e) = store.pending(0).release(&current.customer_id, &current.id).await {
            tracing::warn!(reservation_id = %current.id, error = format!("{e:#}"), "pending-reservation slot not released");
        }
    }
    if outcome == Transition::Applied {
        match to.status {
            ReservationStatus::Confirmed => metrics::count(Metric::BookingsConfirmed, 1),
            ReservationStatus::Cancelled => metrics::count(Metric::BookingsCancelled, 1),
            _ => {}
        }
    }
    Ok((outcome, (outcome == Transition::Applied).then_some(to)))
}

/// The event a move announces.
fn announce(
    store: &ReservationsStore,
    from: &Reservation,
    to: &Reservation,
    m: &Move<'_>,
) -> anyhow::Result<Option<Write>> {
    let reservation = to.booking();
    let item = match (to.status, m.trigger.cancel_reason()) {
        (ReservationStatus::Confirmed, _) => store.event(&Envelope::new(
            ReservationConfirmed { reservation, payment_id: to.payment_id.clone() },
            m.correlation_id,
        ))?,
        (ReservationStatus::Cancelled, Some(reason)) => {
            let was_confirmed = from.status == ReservationStatus::Confirmed;
            let refund = machine::refund(was_confirmed, reason, to.start, m.now, m.refund_cutoff);
            let event = ReservationCancelled { reservation, reason, was_confirmed, refund };
            store.event(&Envelope::new(event, m.correlation_id))?
        }
        (ReservationStatus::CheckedIn, _) => {
            let event = ReservationCheckedIn {
                reservation,
                checked_in_at: m.now,
                checked_in_by: m.by.unwrap_or_default().to_owned(),
            };
            store.event(&Envelope::new(event, m.correlation_id))?
        }
        _ => return Ok(None),
    };
    Ok(Some(item))
}

/// What a consumer did with an event for a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The reservation moved to this status.
    Moved(ReservationStatus),
    /// The event does not apply to the reservation's status (or the reservation is unknown).
    Ignored,
    /// This event was applied before (redelivery).
    AlreadyProcessed,
}

/// Applies a payment outcome to a reservation exactly once (inbox marker of `consumer` and
/// `event_id` in the same transaction). A payment that succeeded for a reservation that is
/// already CANCELLED (expired, or cancelled meanwhile) is acknowledged and only logged: this
/// service emits nothing for it.
pub async fn apply_payment(
    store: &ReservationsStore,
    consumer: &str,
    reservation_id: &str,
    trigger: Trigger,
    event_id: &str,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Applied> {
    for _ in 0..ATTEMPTS {
        let Some(current) = store.reservation(reservation_id).await? else {
            tracing::info!(reservation_id, ?trigger, "payment for an unknown reservation ignored");
            return Ok(Applied::Ignored);
        };
        if next_status(current.status, trigger).is_none() {
            if trigger == Trigger::PaymentSucceeded && current.status == ReservationStatus::Cancelled {
                tracing::warn!(
                    reservation_id,
                    reason = current.status_reason.as_deref().unwrap_or_default(),
                    "a payment succeeded for a cancelled reservation; acknowledged without effect"
                );
            } else {
                tracing::info!(reservation_id, ?trigger, status = current.status.as_str(), "payment event ignored");
            }
            return Ok(Applied::Ignored);
        }
        let marker = store.inbox_mark(consumer, event_id)?;
        let m = Move { trigger, now, by: None, refund_cutoff: Duration::zero(), correlation_id };
        match apply_move(store, &current, &m, Some(marker)).await?.0 {
            Transition::Applied => {
                let to = next_status(current.status, trigger).unwrap_or(current.status);
                tracing::info!(reservation_id, from = current.status.as_str(), to = to.as_str(), "reservation moved");
                return Ok(Applied::Moved(to));
            }
            Transition::AlreadyProcessed => return Ok(Applied::AlreadyProcessed),
            Transition::Changed => continue,
        }
    }
    anyhow::bail!("reservation {reservation_id} kept changing concurrently; the message will be retried")
}

/// `reservations-expire`: cancels (reason `expired`) up to `max` PENDING reservations whose
/// hold ran out by `now`, releasing their slots. Returns how many this run expired.
pub async fn expire_due(store: &ReservationsStore, now: DateTime<Utc>, max: usize) -> anyhow::Result<usize> {
    let due = store.due(PENDING, "0", &key_time(now), max).await?;
    run_each(due, |r| expire_one(store, r.id, now), "expiring a reservation").await
}

async fn expire_one(store: &ReservationsStore, id: String, now: DateTime<Utc>) -> anyhow::Result<bool> {
    for _ in 0..ATTEMPTS {
        let Some(current) = store.reservation(&id).await? else { return Ok(false) };
        if current.status != ReservationStatus::Pending || current.hold_expires_at > now {
            return Ok(false);
        }
        let correlation_id = current.correlation_id.clone();
        let m = Move {
            trigger: Trigger::Expire,
            now,
            by: None,
            refund_cutoff: Duration::zero(),
            correlation_id: &correlation_id,
        };
        if apply_move(store, &current, &m, None).await?.0 == Transition::Applied {
            tracing::info!(reservation_id = %id, correlation_id = %correlation_id, "unpaid reservation expired");
            return Ok(true);
        }
    }
    anyhow::bail!("reservation {id} kept changing concurrently")
}

/// `reservations-remind`: for up to `max` confirmed, not yet reminded reservations whose
/// local date is tomorrow (in their resource's zone), marks them reminded and emits
/// `ReservationReminderDue`, in one conditional transaction each (so exactly once).
pub async fn remind_due(store: &ReservationsStore, now: DateTime<Utc>, max: usize) -> anyhow::Result<usize> {
    let horizon = now + Duration::hours(REMINDER_HORIZON_HOURS);
    let due = store.due(TO_REMIND, &key_time(now), &key_time(horizon), max).await?;
    let tomorrow: Vec<Reservation> = due.into_iter().filter(|r| is_tomorrow(r, now)).collect();
    run_each(tomorrow, |r| remind_one(store, r.id, now), "sending a reminder").await
}

/// Whether the reservation's local date is the day after `now`'s, in its own zone.
pub fn is_tomorrow(r: &Reservation, now: DateTime<Utc>) -> bool {
    parse_zone(&r.time_zone)
        .and_then(|tz| local_date(tz, now).succ_opt())
        .is_some_and(|tomorrow| tomorrow.to_string() == r.local_date)
}

async fn remind_one(store: &ReservationsStore, id: String, now: DateTime<Utc>) -> anyhow::Result<bool> {
    for _ in 0..ATTEMPTS {
        let Some(current) = store.reservation(&id).await? else { return Ok(false) };
        if current.status != ReservationStatus::Confirmed || current.reminded || !is_tomorrow(&current, now) {
            return Ok(false);
        }
        let mut to = current.clone();
        to.reminded = true;
        to.version = current.version + 1;
        to.updated_at = timestamp(now);
        let event = Envelope::new(ReservationReminderDue { reservation: to.booking() }, current.correlation_id.clone());
        let event = store.event(&event)?;
        if store.transition(&current, &to, None, Some(event)).await? == Transition::Applied {
            tracing::info!(reservation_id = %id, "reminder due");
            return Ok(true);
        }
    }
    anyhow::bail!("reservation {id} kept changing concurrently")
}

/// Runs `f` on every reservation, a few at a time; counts the `true`s. A failure is logged
/// and left to the next run.
async fn run_each<F, Fut>(due: Vec<Reservation>, f: F, what: &str) -> anyhow::Result<usize>
where
    F: Fn(Reservation) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let results: Vec<anyhow::Result<bool>> =
        futures::stream::iter(due).map(&f).buffer_unordered(CONCURRENCY).collect().await;
    let mut done = 0;
    for result in results {
        match result {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = format!("{e:#}"), "{what} failed; the next run retries"),
        }
    }
    Ok(done)
}

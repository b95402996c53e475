//! Reservations over HTTP: book (idempotently), read, list, cancel, check in.

use bazaar_aws::cursor::CursorKey;
use bazaar_aws::quota::Admission;
use bazaar_events::Envelope;
use bazaar_events::payments::Subject;
use bazaar_events::reservations::ReservationRequested;
use bazaar_runtime::config::Env;
use bazaar_runtime::{Action, Identity, Owner};
use chrono::{DateTime, Duration, Utc};

use super::lifecycle::{Move, apply_move};
use super::{ATTEMPTS, CHECK_IN, MANAGE, MANAGE_ALL, Page, READ_ALL, backoff, open_cursor, parse_date};
use crate::booking::{self, DEFAULT_HOLD_SECONDS, DEFAULT_MAX_SLOTS, MAX_SLOTS_CAP, Plan, ReserveRequest};
use crate::hours::{day_bounds, local_date};
use crate::machine::{Trigger, may_cancel_at, next_status};
use crate::model::{IdempotencyRecord, key_time, timestamp};
use crate::resource::MANAGE_RESOURCE;
use crate::store::{Listing, Reserve, Transition};
use crate::{Reservation, ReservationStatus, ReservationView, ReservationsError, ReservationsStore, Resource};

/// The settings of booking, from the function's environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingSettings {
    /// `RESERVATION_HOLD_SECONDS` (default 900): how long an unpaid reservation holds its slots.
    pub hold_seconds: i64,
    /// `MAX_SLOTS_PER_RESERVATION` (default 8, at most 24).
    pub max_slots: u32,
    /// `PENDING_RESERVATIONS_PER_CUSTOMER` (default 3): reservations one customer may have
    /// waiting for payment (their slots held) at once.
    pub pending_per_customer: u32,
}

impl Default for BookingSettings {
    fn default() -> Self {
        BookingSettings { hold_seconds: DEFAULT_HOLD_SECONDS, max_slots: DEFAULT_MAX_SLOTS, pending_per_customer: 3 }
    }
}

impl BookingSettings {
    pub fn from_env(env: &Env) -> anyhow::Result<BookingSettings> {
        let hold_seconds: i64 = env.parsed_or("RESERVATION_HOLD_SECONDS", DEFAULT_HOLD_SECONDS)?;
        let max_slots: u32 = env.parsed_or("MAX_SLOTS_PER_RESERVATION", DEFAULT_MAX_SLOTS)?;
        let pending_per_customer: u32 = env.parsed_or("PENDING_RESERVATIONS_PER_CUSTOMER", 3)?;
        anyhow::ensure!((60..=86_400).contains(&hold_seconds), "RESERVATION_HOLD_SECONDS must be 60..=86400");
        anyhow::ensure!((1..=MAX_SLOTS_CAP).contains(&max_slots), "MAX_SLOTS_PER_RESERVATION must be 1..=24");
        anyhow::ensure!(pending_per_customer >= 1, "PENDING_RESERVATIONS_PER_CUSTOMER must be at least 1");
        Ok(BookingSettings { hold_seconds, max_slots, pending_per_customer })
    }
}

/// `REFUND_CUTOFF_HOURS` (default 24): a customer who cancels a paid reservation at least
/// this long before its start is refunded.
pub fn refund_cutoff(env: &Env) -> anyhow::Result<Duration> {
    let hours: i64 = env.parsed_or("REFUND_CUTOFF_HOURS", 24)?;
    anyhow::ensure!((0..=24 * 365).contains(&hours), "REFUND_CUTOFF_HOURS must be 0..=8760");
    Ok(Duration::hours(hours))
}

/// The result of `POST /reservations`: the reservation, and whether it was replayed from an
/// earlier request with the same key.
#[derive(Debug)]
pub struct Booked {
    pub reservation: Reservation,
    pub replayed: bool,
}

/// Books slots once per `(caller, key)`: the reservation, one lock per slot, the
/// idempotency record, one of the customer's pending-reservation quota slots and
/// `ReservationRequested` in one transaction. A slot locked by another reservation is a 409
/// (`slot-taken`); a customer with as many pending reservations as they may is a 429
/// (`too-many-pending-reservations`); the same key with the same body answers with the first
/// reservation, with another body it is refused (422).
pub async fn create_reservation(
    store: &ReservationsStore,
    identity: &Identity,
    key: &str,
    req: &ReserveRequest,
    settings: BookingSettings,
    now: DateTime<Utc>,
    correlation_id: &str,
) -> Result<Booked, ReservationsError> {
    let hash = bazaar_aws::idempotency::body_hash(req);
    for attempt in 0..ATTEMPTS {
        if let Some(booked) = replay(store, identity, key, &hash).await? {
            return Ok(booked);
        }
        let (start, end) = booking::times(req)?;
        let resource = store
            .resource(req.resource_id.trim())
            .await?
            .ok_or_else(|| ReservationsError::invalid("resource_id", "no such resource"))?;
        let plan = booking::plan(&resource, start, end, now, settings.max_slots)?;
        let (reservation, record, event) =
            new_reservation(identity, &resource, &plan, &hash, settings, now, correlation_id);
        let deadline = reservation.hold_expires_at.timestamp();
        let quota = store.pending(settings.pending_per_customer);
        let held = match quota.admit(&identity.sub, &reservation.id, deadline, now.timestamp()).await? {
            Admission::Slot(held) => *held,
            Admission::Full { retry_after } => {
                return Err(ReservationsError::TooManyPending { pending: settings.pending_per_customer, retry_after });
            }
        };
        match store.reserve(&reservation, key, &record, store.event(&event)?, held).await? {
            Reserve::Created => {
                bazaar_runtime::metrics::count(bazaar_runtime::metrics::Metric::BookingsRequested, 1);
                tracing::info!(reservation_id = %reservation.id, resource_id = %resource.id, slots = plan.slots.len(), "reservation requested");
                return Ok(Booked { reservation, replayed: false });
            }
            Reserve::SlotTaken => return Err(ReservationsError::SlotTaken),
            // The key was taken meanwhile: the next round replays it.
            Reserve::KeyTaken => {}
            Reserve::Conflict => backoff(attempt).await,
        }
    }
    Err(ReservationsError::Conflict("the booking collided with concurrent ones; retry".into()))
}

fn new_reservation(
    identity: &Identity,
    resource: &Resource,
    plan: &Plan,
    hash: &str,
    settings: BookingSettings,
    now: DateTime<Utc>,
    correlation_id: &str,
) -> (Reservation, IdempotencyRecord, Envelope<ReservationRequested>) {
    let id = uuid::Uuid::new_v4().to_string();
    let first = plan.slots.first().map(|s| s.start).unwrap_or(now);
    let last = plan.slots.last().map(|s| s.end).unwrap_or(now);
    let hold_expires_at = now + Duration::seconds(settings.hold_seconds);
    let reservation = Reservation {
        payment_id: Subject::reservation(&id).payment_id(),
        id,
        status: ReservationStatus::Pending,
        resource_id: resource.id.clone(),
        resource_name: resource.name.clone(),
        owner_id: resource.owner_id.clone(),
        customer_id: identity.sub.clone(),
        customer_email: identity.email.clone(),
        start: first,
        end: last,
        time_zone: resource.time_zone.clone(),
        local_date: plan.local_date.to_string(),
        slot_starts: plan.slots.iter().map(|s| key_time(s.start)).collect(),
        amount: plan.amount.clone(),
        hold_expires_at,
        created_at: timestamp(now),
        updated_at: timestamp(now),
        version: 1,
        correlation_id: correlation_id.to_owned(),
        status_reason: None,
        reminded: false,
        checked_in_at: None,
        checked_in_by: None,
    };
    let record = IdempotencyRecord {
        body_hash: hash.to_owned(),
        reservation_id: reservation.id.clone(),
        expires_at: now.timestamp() + booking::KEY_RETENTION_SECONDS,
    };
    let event = Envelope::new(
        ReservationRequested { reservation: reservation.booking(), expires_at: hold_expires_at },
        correlation_id,
    );
    (reservation, record, event)
}

async fn replay(
    store: &ReservationsStore,
    identity: &Identity,
    key: &str,
    hash: &str,
) -> Result<Option<Booked>, ReservationsError> {
    let Some(record) = store.idempotency(&identity.sub, key).await? else { return Ok(None) };
    if record.body_hash != hash {
        return Err(ReservationsError::IdempotencyKeyReused);
    }
    let reservation = store.reservation(&record.reservation_id).await?.ok_or_else(|| {
        anyhow::anyhow!("idempotency record points at a missing reservation {}", record.reservation_id)
    })?;
    tracing::info!(reservation_id = %reservation.id, "reservation replayed for a repeated idempotency key");
    Ok(Some(Booked { reservation, replayed: true }))
}

/// Seeing a reservation as its customer, or as a holder of `reservations:read_all` (who may
/// not change it).
pub const READ: Action = Action::read(Owner::Allowed, READ_ALL);
/// Cancelling a booking: its customer (before the start), or a holder of
/// `reservations:manage_all`; the resource's manager cancels through [`MANAGE_RESOURCE`].
pub const CANCEL: Action = Action::act(Owner::Allowed, MANAGE_ALL);

/// Whether `identity` manages `r`: [`MANAGE_RESOURCE`] on the reservation's resource.
pub fn manages(r: &Reservation, identity: &Identity) -> bool {
    identity.may(&MANAGE_RESOURCE, &r.owner_id)
}

/// Whether `identity` may see `r`: [`READ`] as its customer, or its resource's manager.
/// Everyone else is told it does not exist.
pub fn visible(r: &Reservation, identity: &Identity) -> bool {
    identity.may(&READ, &r.customer_id) || manages(r, identity)
}

/// The reservation `id` if `identity` may see it, else `NotFound`.
pub async fn get_reservation(
    store: &ReservationsStore,
    identity: &Identity,
    id: &str,
) -> Result<Reservation, ReservationsError> {
    store.reservation(id).await?.filter(|r| visible(r, identity)).ok_or(ReservationsError::NotFound)
}

/// Cancels a reservation: its customer before the start (`customer_request`), the
/// resource's manager until the end (`owner_request`). A front desk that can only read it
/// gets 403; a reservation that is not PENDING or CONFIRMED, or past its window, 409.
/// Emits `ReservationCancelled` (with the refund decision) and frees the slots, once.
pub async fn cancel_reservation(
    store: &ReservationsStore,
    identity: &Identity,
    id: &str,
    refund_cutoff: Duration,
    now: DateTime<Utc>,
    correlation_id: &str,
) -> Result<Reservation, ReservationsError> {
    for _ in 0..ATTEMPTS {
        let current = get_reservation(store, identity, id).await?;
        let trigger = if manages(&current, identity) {
            Trigger::OwnerCancel
        } else if identity.may(&CANCEL, &current.customer_id) {
            Trigger::CustomerCancel
        } else {
            return Err(ReservationsError::Forbidden);
        };
        if next_status(current.status, trigger).is_none() {
            return Err(ReservationsError::Conflict(format!(
                "a reservation that is {} cannot be cancelled",
                current.status.as_str()
            )));
        }
        if !may_cancel_at(trigger, current.start, current.end, now) {
            let why = if trigger == Trigger::CustomerCancel { "has already started" } else { "is over" };
            return Err(ReservationsError::Conflict(format!("the reservation {why}")));
        }
        let m = Move { trigger, now, by: Some(&identity.sub), refund_cutoff, correlation_id };
        if let (Transition::Applied, Some(moved)) = apply_move(store, &current, &m, None).await? {
            tracing::info!(reservation_id = %id, ?trigger, "reservation cancelled");
            return Ok(moved);
        }
    }
    Err(ReservationsError::Conflict("the reservation changed concurrently; try again".into()))
}

/// Checks the customer in (`reservations:check_in`): only a CONFIRMED reservation, only on
/// its local date in its resource's zone (409 otherwise). Emits `ReservationCheckedIn`.
pub async fn check_in(
    store: &ReservationsStore,
    identity: &Identity,
    id: &str,
    now: DateTime<Utc>,
    correlation_id: &str,
) -> Result<Reservation, ReservationsError> {
    identity.require(CHECK_IN).map_err(|_| ReservationsError::Forbidden)?;
    for _ in 0..ATTEMPTS {
        let current = store.reservation(id).await?.ok_or(ReservationsError::NotFound)?;
        if next_status(current.status, Trigger::CheckIn).is_none() {
            return Err(ReservationsError::Conflict(format!(
                "only a CONFIRMED reservation can be checked in; this one is {}",
                current.status.as_str()
            )));
        }
        let tz = crate::hours::parse_zone(&current.time_zone)
            .ok_or_else(|| anyhow::anyhow!("reservation {id} has an unknown zone"))?;
        let today = local_date(tz, now).to_string();
        if today != current.local_date {
            return Err(ReservationsError::Conflict(format!(
                "check-in is only possible on {} ({}); it is {today} there",
                current.local_date, current.time_zone
            )));
        }
        let m = Move {
            trigger: Trigger::CheckIn,
            now,
            by: Some(&identity.sub),
            refund_cutoff: Duration::zero(),
            correlation_id,
        };
        if let (Transition::Applied, Some(moved)) = apply_move(store, &current, &m, None).await? {
            tracing::info!(reservation_id = %id, "customer checked in");
            return Ok(moved);
        }
    }
    Err(ReservationsError::Conflict("the reservation changed concurrently; try again".into()))
}

/// `GET /reservations` query: `scope` (`mine` | `owned` | `all`), `resource`, `date`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub scope: Option<String>,
    pub resource: Option<String>,
    pub date: Option<String>,
}

/// The one Query a listing is: `mine` (default) → the caller's bookings; `owned`
/// (`reservations:manage`) → bookings of the caller's resources, optionally of one
/// resource and one date; `all` (`reservations:read_all`) → by `date`, by `resource`, or
/// both. A scope without its permission is 403; filters a scope cannot apply are 400.
pub async fn listing(
    store: &ReservationsStore,
    identity: &Identity,
    q: &ListQuery,
) -> Result<Listing, ReservationsError> {
    let date = q.date.as_deref().map(parse_date).transpose()?;
    match q.scope.as_deref() {
        None | Some("mine") => {
            if q.resource.is_some() || date.is_some() {
                return Err(ReservationsError::BadRequest("resource and date filter scope=owned or scope=all".into()));
            }
            Ok(Listing::Customer(identity.sub.clone()))
        }
        Some("owned") => {
            identity.require(MANAGE).map_err(|_| ReservationsError::Forbidden)?;
            let resource = match &q.resource {
                Some(id) => Some(
                    store
                        .resource(id)
                        .await?
                        .filter(|r| r.owner_id == identity.sub)
                        .ok_or(ReservationsError::NotFound)?,
                ),
                None if date.is_some() => {
                    return Err(ReservationsError::BadRequest("with scope=owned, date needs a resource".into()));
                }
                None => None,
            };
            Ok(owner_listing(identity.sub.clone(), resource.as_ref(), date)?)
        }
        Some("all") => {
            identity.require(READ_ALL).map_err(|_| ReservationsError::Forbidden)?;
            match (&q.resource, date) {
                (Some(id), date) => {
                    let resource = store.resource(id).await?.ok_or(ReservationsError::NotFound)?;
                    Ok(owner_listing(resource.owner_id.clone(), Some(&resource), date)?)
                }
                (None, Some(date)) => Ok(Listing::Day(date.to_string())),
                (None, None) => Err(ReservationsError::BadRequest("scope=all needs a date or a resource".into())),
            }
        }
        Some(_) => Err(ReservationsError::BadRequest("scope must be mine, owned or all".into())),
    }
}

fn owner_listing(
    owner: String,
    resource: Option<&Resource>,
    date: Option<chrono::NaiveDate>,
) -> anyhow::Result<Listing> {
    let range = match (resource, date) {
        (Some(r), Some(date)) => Some(day_bounds(r.tz()?, date)),
        _ => None,
    };
    Ok(Listing::Owner { owner, resource: resource.map(|r| r.id.clone()), range })
}

/// A page of `listing`; a cursor not sealed by `cursors` for this listing is a 400.
pub async fn list_reservations(
    store: &ReservationsStore,
    cursors: &CursorKey,
    listing: &Listing,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<ReservationView>, ReservationsError> {
    let start = open_cursor(cursors, cursor, |key| listing.contains(key))?;
    let (items, last) = store.list_reservations(listing, limit, start).await?;
    let next_cursor = last.map(|k| cursors.seal(&k)).transpose()?;
    Ok(Page { items: items.iter().map(ReservationView::from).collect(), next_cursor })
}

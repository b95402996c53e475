//! The reservations table (single-table design, `pk`/`sk` strings). Items:
//! - `RESOURCE#<id>` / `RESOURCE`: a resource (gsi1 `RESOURCES` / `<created_at>#<id>` while
//!   active; gsi2 `OWNER#<owner>` / `<created_at>#<id>`);
//! - `RESERVATION#<id>` / `RESERVATION`: a reservation (gsi1 `OWNER#<owner>` /
//!   `<resource_id>#<start>#<id>`; gsi2 `CUSTOMER#<sub>` / `<start>#<id>`; gsi3
//!   `DAY#<local date>` / `<start>#<id>`; gsi4, sparse: `PENDING` / `<hold expiry>#<id>`
//!   while unpaid, `REMIND` / `<start>#<id>` while confirmed and not yet reminded);
//! - `SLOT#<resource_id>` / `<slot start, UTC RFC 3339>`: the lock of one slot, holding the
//!   reservation's id; created with `attribute_not_exists(pk)`, deleted when it is cancelled;
//! - `QUOTA#PENDING_RESERVATIONS#<sub>` / `SLOT#<i>`: the customer's pending-reservation
//!   slots ([`bazaar_aws::quota`]);
//! - `IDEMPOTENCY#<sub>#<key>` / `IDEMPOTENCY`, `PROCESSED#…` inbox markers, `OUTBOX#…` events.
//!
//! `expires_at` (epoch seconds) is the TTL attribute of slot locks (a week after the slot),
//! idempotency records, inbox markers and outbox items. Reservations carry no `expires_at`.

use std::collections::HashSet;

use bazaar_aws::dynamo::{self, Item, NEW, applied, keyed, n, s};
use bazaar_aws::quota::Quota;
use bazaar_aws::table::{Write, failed};
use bazaar_runtime::config::Env;
use chrono::DateTime;

mod listing;

pub use listing::*;

use crate::model::{IdempotencyRecord, key_time};
use crate::{Clock, Reservation, ReservationStatus, Resource};

const RESOURCE_SK: &str = "RESOURCE";
const RESERVATION_SK: &str = "RESERVATION";
/// gsi4 partition of the unpaid reservations, by hold expiry.
pub const PENDING: &str = "PENDING";
/// gsi4 partition of the confirmed reservations not yet reminded, by start.
pub const TO_REMIND: &str = "REMIND";
/// Slot locks outlive their slot by this long (then TTL removes them).
const SLOT_RETENTION_SECONDS: i64 = 7 * 24 * 3600;

/// How a booking transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    Created,
    /// The idempotency key was taken first (the caller replays it).
    KeyTaken,
    /// A slot lock exists: another reservation holds a requested slot.
    SlotTaken,
    /// A concurrent transaction touched the same items, or took the customer's quota slot
    /// (retry).
    Conflict,
}

/// How a conditional change of a reservation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Applied,
    /// The reservation was no longer as read (a concurrent change won).
    Changed,
    /// The inbox marker exists: this event was applied before.
    AlreadyProcessed,
}

/// Whether `id` (from a path or a body) can name an item at all: an empty or huge key would
/// make DynamoDB refuse the request, which must stay a 404 for the caller, not a 500.
pub fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 200
}

bazaar_aws::store!(
    /// The reservations table, holding the items this module lists.
    pub ReservationsStore = "RESERVATIONS_TABLE", outbox
);

impl ReservationsStore {
    /// The customer's pending-reservation slots ([`bazaar_aws::quota`]), `cap` of them.
    pub fn pending(&self, cap: u32) -> Quota<'_> {
        Quota::new(&self.table, "PENDING_RESERVATIONS", cap)
    }

    // ── resources ──

    fn resource_item(r: &Resource) -> anyhow::Result<Item> {
        let sort = format!("{}#{}", r.created_at, r.id);
        let mut item = keyed(resource_pk(&r.id), RESOURCE_SK, r)?;
        if r.active {
            item.insert("gsi1pk".into(), s(ACTIVE_RESOURCES));
            item.insert("gsi1sk".into(), s(sort.clone()));
        }
        item.insert("gsi2pk".into(), s(owner_pk(&r.owner_id)));
        item.insert("gsi2sk".into(), s(sort));
        Ok(item)
    }

    pub async fn resource(&self, id: &str) -> anyhow::Result<Option<Resource>> {
        if !plausible_id(id) {
            return Ok(None);
        }
        self.table.get(resource_pk(id), RESOURCE_SK).await
    }

    pub async fn create_resource(&self, r: &Resource) -> anyhow::Result<()> {
        self.table
            .put_item(Self::resource_item(r)?)
            .condition_expression(NEW)
            .send()
            .await
            .map_err(|e| failed("creating resource", e))?;
        Ok(())
    }

    /// Replaces the resource if it is still at `expected_version`; `false` when it changed.
    pub async fn replace_resource(&self, r: &Resource, expected_version: u64) -> anyhow::Result<bool> {
        let result = self
            .table
            .put_item(Self::resource_item(r)?)
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(expected_version))
            .send()
            .await;
        Ok(applied(result, "updating resource")?.is_some())
    }

    pub async fn list_resources(
        &self,
        listing: &ResourceListing,
        limit: i32,
        start: Option<Item>,
    ) -> anyhow::Result<(Vec<Resource>, Option<Item>)> {
        let query = self
            .table
            .partition_query(listing.index(), listing.partition())
            .limit(limit)
            .set_exclusive_start_key(start);
        self.table.page(query, "listing resources").await
    }

    // ── slots ──

    /// The starts (key times) of the locked slots of `resource_id` in `[from, to]`: one
    /// Query on the resource's slot partition.
    pub async fn taken_slots(&self, resource_id: &str, from: &str, to: &str) -> anyhow::Result<HashSet<String>> {
        let query = self
            .table
            .query()
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(slot_pk(resource_id)))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
            .projection_expression("sk")
            .consistent_read(true);
        let locks = self.table.query_items(query, None, "querying slot locks").await?;
        Ok(locks.iter().filter_map(|lock| dynamo::string(lock, "sk").map(str::to_owned)).collect())
    }

    fn slot_lock(&self, r: &Reservation, slot_start: &str) -> anyhow::Result<Write> {
        let expires = DateTime::parse_from_rfc3339(slot_start)?.timestamp() + SLOT_RETENTION_SECONDS;
        let item = Item::from([
            ("pk".to_owned(), s(slot_pk(&r.resource_id))),
            ("sk".to_owned(), s(slot_start)),
            ("reservation_id".to_owned(), s(&r.id)),
            ("expires_at".to_owned(), n(expires)),
        ]);
        self.table.put_new(item)
    }

    fn slot_release(&self, r: &Reservation, slot_start: &str) -> anyhow::Result<Write> {
        let delete = self
            .table
            .delete(slot_pk(&r.resource_id), slot_start)
            .condition_expression("attribute_not_exists(pk) OR reservation_id = :rid")
            .expression_attribute_values(":rid", s(&r.id))
            .build()?;
        Ok(Write::from(delete))
    }

    // ── reservations ──

    fn reservation_item(r: &Reservation) -> anyhow::Result<Item> {
        let start = key_time(r.start);
        let mut item = keyed(reservation_pk(&r.id), RESERVATION_SK, r)?;
        item.insert("gsi1pk".into(), s(owner_pk(&r.owner_id)));
        item.insert("gsi1sk".into(), s(format!("{}#{start}#{}", r.resource_id, r.id)));
        item.insert("gsi2pk".into(), s(customer_pk(&r.customer_id)));
        item.insert("gsi2sk".into(), s(format!("{start}#{}", r.id)));
        item.insert("gsi3pk".into(), s(day_pk(&r.local_date)));
        item.insert("gsi3sk".into(), s(format!("{start}#{}", r.id)));
        match r.status {
            ReservationStatus::Pending => {
                item.insert("gsi4pk".into(), s(PENDING));
                item.insert("gsi4sk".into(), s(format!("{}#{}", key_time(r.hold_expires_at), r.id)));
            }
            ReservationStatus::Confirmed if !r.reminded => {
                item.insert("gsi4pk".into(), s(TO_REMIND));
                item.insert("gsi4sk".into(), s(format!("{start}#{}", r.id)));
            }
            _ => {}
        }
        Ok(item)
    }

    pub async fn reservation(&self, id: &str) -> anyhow::Result<Option<Reservation>> {
        if !plausible_id(id) {
            return Ok(None);
        }
        self.table.get(reservation_pk(id), RESERVATION_SK).await
    }

    pub async fn idempotency(&self, sub: &str, key: &str) -> anyhow::Result<Option<IdempotencyRecord>> {
        self.table.idempotency(sub, key).await
    }

    /// Stores the reservation, its idempotency record, its event and one lock per slot in
    /// one transaction: either every slot is locked for it or nothing is written.
    pub async fn reserve(
        &self,
        r: &Reservation,
        key: &str,
        record: &IdempotencyRecord,
        event: Write,
        pending_slot: Write,
    ) -> anyhow::Result<Reserve> {
        let mut items = vec![
            self.table.remember(&r.customer_id, key, record)?,
            self.table.put_new(Self::reservation_item(r)?)?,
            event,
            // A concurrent booking of the same customer took this quota slot: try again.
            pending_slot,
        ];
        let first_slot = items.len();
        for slot in &r.slot_starts {
            items.push(self.slot_lock(r, slot)?);
        }
        match self.table.commit(items).await {
            Ok(()) => Ok(Reserve::Created),
            Err(e) if e.condition_failed_at(0) => Ok(Reserve::KeyTaken),
            Err(e) if (first_slot..first_slot + r.slot_starts.len()).any(|i| e.condition_failed_at(i)) => {
                Ok(Reserve::SlotTaken)
            }
            Err(e) if e.conflict_only() || e.condition_failed_at(3) => Ok(Reserve::Conflict),
            Err(e) => Err(e.context("booking slots")),
        }
    }

    /// Replaces reservation `from` by `to` only if it is still as read (same status and
    /// version), with the inbox marker (at index 1, if any) and the event (if any); moving
    /// to CANCELLED releases its slot locks in the same transaction.
    pub async fn transition(
        &self,
        from: &Reservation,
        to: &Reservation,
        inbox: Option<Write>,
        event: Option<Write>,
    ) -> anyhow::Result<Transition> {
        anyhow::ensure!(to.version == from.version + 1 && to.id == from.id, "a transition moves one version on");
        let put = self
            .table
            .put_with(Self::reservation_item(to)?)
            .condition_expression("#status = :from AND version = :v")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(from.status.as_str()))
            .expression_attribute_values(":v", n(from.version))
            .build()?;
        let has_inbox = inbox.is_some();
        let mut items = vec![Write::from(put)];
        items.extend(inbox);
        items.extend(event);
        let releases = to.status == ReservationStatus::Cancelled && from.status != ReservationStatus::Cancelled;
        if releases {
            for slot in &from.slot_starts {
                items.push(self.slot_release(from, slot)?);
            }
        }
        match self.table.commit(items).await {
            Ok(()) => Ok(Transition::Applied),
            Err(e) if has_inbox && e.condition_failed_at(1) => Ok(Transition::AlreadyProcessed),
            Err(e) if e.condition_failed_at(0) || e.conflict_only() => Ok(Transition::Changed),
            Err(e) => Err(e.context("changing reservation")),
        }
    }

    /// A page of reservations of `listing` and the key to continue from.
    pub async fn list_reservations(
        &self,
        listing: &Listing,
        limit: i32,
        start: Option<Item>,
    ) -> anyhow::Result<(Vec<Reservation>, Option<Item>)> {
        let mut query = self
            .table
            .partition_query(listing.index(), listing.partition())
            .scan_index_forward(!listing.newest_first())
            .limit(limit)
            .set_exclusive_start_key(start);
        if let Some((sort, lo, hi)) = listing.sort_bounds() {
            query = query
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#sk", sort)
                .expression_attribute_values(":lo", s(lo))
                .expression_attribute_values(":hi", s(hi));
        }
        self.table.page(query, "listing reservations").await
    }

    /// Up to `max` reservations of sparse gsi4 partition `partition` whose sort key lies in
    /// `[from, to)`, oldest first.
    pub async fn due(&self, partition: &str, from: &str, to: &str, max: usize) -> anyhow::Result<Vec<Reservation>> {
        let query = self
            .table
            .query()
            .index_name("gsi4")
            .key_condition_expression("gsi4pk = :p AND gsi4sk BETWEEN :from AND :to")
            .expression_attribute_values(":p", s(partition))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to));
        self.table.query_all(query, Some(max), "querying due reservations").await
    }
}

/// What a function that needs only the reservations table (and the time) depends on: its
/// crate re-exports this as its `Deps`.
pub struct TableDeps {
    pub store: ReservationsStore,
    pub clock: Clock,
}

impl TableDeps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<TableDeps> {
        Ok(TableDeps { store: ReservationsStore::from_env(config, env)?, clock: Clock::System })
    }
}

/// What a scheduled sweep depends on (reservations-expire, reservations-remind): the table,
/// the time, and how many reservations one run handles at most (`MAX_PER_RUN`, default
/// 500; the next run takes the rest). Their crates re-export it as their `Deps`.
pub struct SweepDeps {
    pub store: ReservationsStore,
    pub clock: Clock,
    pub max_per_run: usize,
}

impl SweepDeps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<SweepDeps> {
        let max_per_run = env.parsed_or("MAX_PER_RUN", 500)?;
        Ok(SweepDeps { store: ReservationsStore::from_env(config, env)?, clock: Clock::System, max_per_run })
    }
}

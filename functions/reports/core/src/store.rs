//! The reports table (`REPORTS_TABLE`, keys `pk`/`sk`, both strings, no index). Items:
//! - report items in the scope partitions `ALL` and `OWNER#<owner_id>` (sort keys in
//!   [`crate::delta`]), each with its counters and `events`, the number of event deltas it
//!   holds;
//! - inbox markers `MARKER#<day>` / `<event_id>#<chunk>`, filed under the UTC day the event
//!   occurred and holding the deltas that chunk applied. They make delivery idempotent (the
//!   marker is written in the same transaction as its deltas, on condition that it does not
//!   exist) and make a rebuild exact: clearing a period subtracts every marker of its days
//!   and deletes the marker, so the replayed events apply again. Markers have no TTL:
//!   they must live as long as the bus archive a rebuild replays from.
//!
//! Reports read only this table; nothing here reads another service's data.

use std::collections::{BTreeMap, BTreeSet};

use bazaar_aws::dynamo::{Item, applied, n, s, to_item};
use bazaar_aws::table::Write;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::delta::{BOOKINGS_BY_DAY_PREFIX, BOOKINGS_BY_RESOURCE_PREFIX, Delta, SALES_PREFIX, StoredDelta, attr};
use crate::report::{BookingRow, SalesRow};
use crate::rows::{booking_row, number, sales_row};
use crate::{Day, Period, ReportEvent, Scope};

pub const MARKER_PREFIX: &str = "MARKER#";
/// Deltas per transaction: DynamoDB takes at most 100 items, one of them is the marker.
pub const CHUNK: usize = 99;
/// Attempts of a transaction that lost a `TransactionConflict` (the `ALL` items are hot:
/// every event of a day touches the same revenue item).
const ATTEMPTS: u32 = 6;
/// Markers reversed at once while clearing a period.
const CLEAR_CONCURRENCY: usize = 8;
/// Sorts after any resource or product id in a key range.
const HIGHEST: char = char::MAX;

pub fn marker_pk(day: Day) -> String {
    format!("{MARKER_PREFIX}{day}")
}

/// An inbox marker as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub pk: String,
    pub sk: String,
    pub event_id: String,
    pub detail_type: String,
    pub occurred_at: String,
    pub chunk: u32,
    pub chunks: u32,
    /// The chunk's [`StoredDelta`]s as JSON.
    pub deltas: String,
}

/// How a delivery went: chunks newly applied, and chunks applied before (a redelivery).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recorded {
    pub applied: usize,
    pub skipped: usize,
}

/// What clearing a period did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Cleared {
    /// Marker chunks subtracted and deleted.
    pub markers: usize,
    /// Report items left without any event delta, deleted.
    pub items_deleted: usize,
}

enum Outcome {
    Done,
    /// The condition of the transaction's first item (the marker) did not hold.
    MarkerCondition,
}

/// 25 ms, 50 ms, … with a little jitter, so conflicting writers do not retry in step.
async fn backoff(attempt: u32) {
    let jitter =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() % 20);
    let ms = (25u64 << attempt.min(5)) + u64::from(jitter);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

bazaar_aws::store!(
    /// The reports table, holding the items this module lists.
    pub ReportsStore = "REPORTS_TABLE", table_deps
);

impl ReportsStore {
    // ── writing ──

    /// Adds `deltas` (the [`crate::apply`] of `event`) exactly once: one transaction per
    /// chunk of [`CHUNK`] deltas with that chunk's marker. A chunk whose marker exists was
    /// applied before and is skipped, so a delivery that failed half-way completes on the
    /// next one.
    pub async fn record(&self, event: &ReportEvent, deltas: &[Delta]) -> anyhow::Result<Recorded> {
        let chunks: Vec<&[Delta]> = if deltas.is_empty() { vec![&[]] } else { deltas.chunks(CHUNK).collect() };
        let count = u32::try_from(chunks.len())?;
        let mut recorded = Recorded::default();
        for (i, chunk) in chunks.into_iter().enumerate() {
            let stored: Vec<StoredDelta> = chunk.iter().map(Delta::stored).collect();
            let marker = Marker {
                pk: marker_pk(event.day),
                sk: format!("{}#{i}", event.event_id),
                event_id: event.event_id.clone(),
                detail_type: event.detail_type.to_owned(),
                occurred_at: event.occurred_at.to_rfc3339(),
                chunk: u32::try_from(i)?,
                chunks: count,
                deltas: serde_json::to_string(&stored)?,
            };
            let mut items = vec![self.table.put_new(to_item(&marker)?)?];
            for delta in chunk {
                items.push(self.update(&delta.key.pk(), &delta.key.sk(), &delta.labels, &delta.add, 1)?);
            }
            match self.transact(items, "recording an event").await? {
                Outcome::Done => recorded.applied += 1,
                Outcome::MarkerCondition => recorded.skipped += 1,
            }
        }
        Ok(recorded)
    }

    /// `SET` the labels, `ADD` `sign` × the counters and `sign` to `events`.
    fn update(
        &self,
        pk: &str,
        sk: &str,
        labels: &BTreeMap<&'static str, String>,
        add: &BTreeMap<String, i64>,
        sign: i64,
    ) -> anyhow::Result<Write> {
        let mut update = self
            .table
            .update(pk, sk)
            .expression_attribute_names("#events", attr::EVENTS)
            .expression_attribute_values(":events", n(sign));
        let mut sets = Vec::new();
        for (i, (name, value)) in labels.iter().enumerate() {
            sets.push(format!("#l{i} = :l{i}"));
            update = update
                .expression_attribute_names(format!("#l{i}"), *name)
                .expression_attribute_values(format!(":l{i}"), s(value));
        }
        let mut adds = vec!["#events :events".to_owned()];
        for (i, (name, amount)) in add.iter().enumerate() {
            adds.push(format!("#a{i} :a{i}"));
            update = update
                .expression_attribute_names(format!("#a{i}"), name)
                .expression_attribute_values(format!(":a{i}"), n(sign * amount));
        }
        let mut expression = format!("ADD {}", adds.join(", "));
        if !sets.is_empty() {
            expression = format!("SET {} {expression}", sets.join(", "));
        }
        Ok(Write::from(update.update_expression(expression).build()?))
    }

    /// Runs a transaction whose first item is a marker, retrying lost conflicts.
    async fn transact(&self, items: Vec<Write>, what: &str) -> anyhow::Result<Outcome> {
        let mut attempt = 0;
        loop {
            match self.table.commit(items.clone()).await {
                Ok(()) => return Ok(Outcome::Done),
                Err(e) if e.condition_failed_at(0) => return Ok(Outcome::MarkerCondition),
                Err(e) if e.conflicted() && attempt + 1 < ATTEMPTS => {
                    attempt += 1;
                    backoff(attempt).await;
                }
                Err(e) => return Err(e.context(what)),
            }
        }
    }

    // ── clearing a period (rebuild) ──

    /// Subtracts every event that occurred on the days of `period` (its markers' deltas)
    /// and deletes those markers, then deletes the report items left holding no event.
    /// Sales and revenue items of the period's days end up deleted; bookings items (keyed
    /// by the reservation's day, which may lie outside the period) lose exactly what the
    /// period's events added. Safe to run again after a failure, and alongside the live
    /// consumer: an event recorded meanwhile keeps its marker, so a replay skips it.
    pub async fn clear_period(&self, period: Period) -> anyhow::Result<Cleared> {
        let mut cleared = Cleared::default();
        let mut touched = BTreeSet::new();
        for day in period.days() {
            let query = self
                .table
                .query()
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(marker_pk(day)))
                .consistent_read(true);
            let mut start = None;
            loop {
                let page = query.clone().set_exclusive_start_key(start);
                let (markers, last) = self.table.page::<Marker>(page, "reading markers").await?;
                let reversed: Vec<Option<Vec<(String, String)>>> = futures::stream::iter(markers)
                    .map(|m| async move { self.reverse(&m).await })
                    .buffer_unordered(CLEAR_CONCURRENCY)
                    .try_collect()
                    .await?;
                for keys in reversed.into_iter().flatten() {
                    cleared.markers += 1;
                    touched.extend(keys);
                }
                start = last;
                if start.is_none() {
                    break;
                }
            }
        }
        let deleted: Vec<bool> = futures::stream::iter(touched)
            .map(|(pk, sk)| async move { self.delete_if_empty(&pk, &sk).await })
            .buffer_unordered(CLEAR_CONCURRENCY)
            .try_collect()
            .await?;
        cleared.items_deleted = deleted.into_iter().filter(|d| *d).count();
        Ok(cleared)
    }

    /// Subtracts one marker's deltas and deletes it, atomically; the keys it touched, or
    /// `None` when the marker was already gone.
    async fn reverse(&self, marker: &Marker) -> anyhow::Result<Option<Vec<(String, String)>>> {
        let deltas: Vec<StoredDelta> = serde_json::from_str(&marker.deltas)?;
        let delete = self.table.delete(&marker.pk, &marker.sk).condition_expression("attribute_exists(pk)").build()?;
        let mut items = vec![Write::from(delete)];
        for d in &deltas {
            items.push(self.update(&d.pk, &d.sk, &BTreeMap::new(), &d.add, -1)?);
        }
        Ok(match self.transact(items, "reversing a marker").await? {
            Outcome::Done => Some(deltas.into_iter().map(|d| (d.pk, d.sk)).collect()),
            Outcome::MarkerCondition => None,
        })
    }

    async fn delete_if_empty(&self, pk: &str, sk: &str) -> anyhow::Result<bool> {
        let result = self
            .table
            .delete_item(pk, sk)
            .condition_expression("#events <= :zero")
            .expression_attribute_names("#events", attr::EVENTS)
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        Ok(applied(result, "deleting an emptied item")?.is_some())
    }

    // ── reading ──

    /// Every item of partition `pk` with `lo <= sk <= hi` (one Query, every page), except
    /// items no event counts in any more.
    async fn range(&self, pk: String, lo: String, hi: String) -> anyhow::Result<Vec<Item>> {
        let query = self
            .table
            .query()
            .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", s(&pk))
            .expression_attribute_values(":lo", s(&lo))
            .expression_attribute_values(":hi", s(&hi));
        let mut items = Vec::new();
        for item in self.table.query_items(query, None, "reading a report").await? {
            if number(&item, attr::EVENTS)? > 0 {
                items.push(item);
            }
        }
        Ok(items)
    }

    /// The sales and revenue items of `scope` in `period`.
    pub async fn sales(&self, scope: &Scope, period: Period) -> anyhow::Result<Vec<SalesRow>> {
        let lo = format!("{SALES_PREFIX}{}", period.from);
        let hi = format!("{SALES_PREFIX}{}#{HIGHEST}", period.to);
        self.range(scope.pk(), lo, hi).await?.iter().map(sales_row).collect()
    }

    /// The bookings items of `scope` in `period`, of one resource or of all.
    pub async fn bookings(
        &self,
        scope: &Scope,
        period: Period,
        resource: Option<&str>,
    ) -> anyhow::Result<Vec<BookingRow>> {
        let (lo, hi) = match resource {
            None => (
                format!("{BOOKINGS_BY_DAY_PREFIX}{}", period.from),
                format!("{BOOKINGS_BY_DAY_PREFIX}{}#{HIGHEST}", period.to),
            ),
            Some(r) => (
                format!("{BOOKINGS_BY_RESOURCE_PREFIX}{r}#{}", period.from),
                format!("{BOOKINGS_BY_RESOURCE_PREFIX}{r}#{}", period.to),
            ),
        };
        let rows = self.range(scope.pk(), lo, hi).await?.iter().map(booking_row).collect::<anyhow::Result<Vec<_>>>()?;
        // A resource id holding `#<day>` could fall inside another's range: keep only its own.
        Ok(rows.into_iter().filter(|r| resource.is_none_or(|id| r.resource_id == id)).collect())
    }
}

//! The catalog table (single-table design). Items:
//! `PRODUCT#<id>/PRODUCT` a product (in `gsi1` under `PRODUCTS` and in `gsi2` under
//! `CATEGORY#<category>` while active, sorted by creation) · `HOLD#<order id>/HOLD` the
//! stock held for an order (in `gsi1` under `HOLD#HELD`, sorted by expiry, while held) ·
//! `PROCESSED#catalog-on-order#<event id>/PROCESSED` inbox markers · `OUTBOX#<event id>/EVENT`.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, Update};
use bazaar_aws::dynamo::{Item, NEW, applied, from_item, keyed, n, s, to_item};
use bazaar_aws::inbox;
use bazaar_aws::table::{Cancelled, Write};
use bazaar_events::Envelope;
use bazaar_events::catalog::{ProductChanged, ReleaseReason, StockLine, StockRejected, StockReleased, StockReserved};
use bazaar_events::orders::OrderPlaced;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::holds::{Availability, HELD_PARTITION, Hold, HoldStatus, MAX_LINES, short_lines, sum_lines, time_key};
use crate::{CONSUMER, CatalogError, Product};

const PRODUCT_SK: &str = "PRODUCT";
const HOLD_SK: &str = "HOLD";
/// The `gsi1` partition of every active product.
pub const ALL_PRODUCTS: &str = "PRODUCTS";
/// Released, settled and void holds are kept this long, then DynamoDB's TTL removes them.
pub const FINISHED_HOLD_RETENTION_SECONDS: i64 = 30 * 24 * 3600;
/// A transaction that lost a race with another one on the same item is retried this often.
const CONFLICT_RETRIES: u32 = 3;

pub fn product_pk(id: &str) -> String {
    format!("PRODUCT#{id}")
}

fn hold_pk(order_id: &str) -> String {
    format!("HOLD#{order_id}")
}

/// Where a product listing reads: (index, partition attribute, partition value).
pub fn list_partition(category: Option<&str>) -> (&'static str, &'static str, String) {
    match category {
        Some(c) => ("gsi2", "gsi2pk", format!("CATEGORY#{c}")),
        None => ("gsi1", "gsi1pk", ALL_PRODUCTS.to_owned()),
    }
}

/// How products sort in listings: by creation, ties broken by id (stable across pages).
fn list_sort_key(p: &Product) -> String {
    format!("{}#{}", time_key(p.created_at), p.id)
}

fn timestamp(at: DateTime<Utc>) -> AttributeValue {
    s(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// What happened to an `OrderPlaced`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// Every line is held; `StockReserved` is in the outbox.
    Reserved(Vec<StockLine>),
    /// Some line was short; nothing is held; `StockRejected` is in the outbox.
    Rejected(StockRejected),
    /// This event was handled before (redelivery).
    AlreadyProcessed,
    /// The order already has a hold (or was cancelled before one existed): nothing to do.
    HoldExists,
}

/// What happened to a request to give a hold back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// The units are back in stock; `StockReleased` is in the outbox.
    Released(Vec<StockLine>),
    AlreadyProcessed,
    /// No hold existed: a void one now stops a late `OrderPlaced` from reserving.
    NoHold,
    /// The hold was settled or released already.
    NotHeld,
}

/// What happened to a request to settle a hold (the order was paid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Settled,
    AlreadyProcessed,
    /// No hold, or not held any more (released, e.g. expired): nothing changed.
    NotHeld,
}

bazaar_aws::store!(
    /// The catalog table, holding the items this module lists.
    pub CatalogStore = "CATALOG_TABLE", table_deps
);

impl CatalogStore {
    /// Runs a transaction, retrying one that lost a race (`TransactionConflict`) with
    /// another writer of the same item; condition failures are returned at once.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), Cancelled> {
        let mut attempt = 0;
        loop {
            match self.table.commit(writes.clone()).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt < CONFLICT_RETRIES && e.conflict_only() => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    // ───────────────────────────── products ─────────────────────────────

    /// A product, deleted ones included.
    pub async fn product(&self, id: &str) -> anyhow::Result<Option<Product>> {
        self.table.get(product_pk(id), PRODUCT_SK).await
    }

    fn product_item(&self, p: &Product) -> anyhow::Result<Item> {
        let mut item = keyed(product_pk(&p.id), PRODUCT_SK, p)?;
        if p.active {
            let sort = list_sort_key(p);
            item.insert("gsi1pk".into(), s(ALL_PRODUCTS));
            item.insert("gsi1sk".into(), s(sort.clone()));
            item.insert("gsi2pk".into(), s(list_partition(Some(&p.category)).2));
            item.insert("gsi2sk".into(), s(sort));
        }
        Ok(item)
    }

    /// Stores a new product with its `ProductChanged` event.
    pub async fn create(&self, p: &Product, event: &Envelope<ProductChanged>) -> anyhow::Result<()> {
        let writes = vec![self.table.put_new(self.product_item(p)?)?, self.table.outbox(event)?];
        self.transact(writes).await.map_err(|e| e.context("creating product"))
    }

    /// Writes `next` (an edit or the deletion of `prev`) with its `ProductChanged` event, only
    /// if the stored product is still `prev`'s version and active. Stock is not touched: it
    /// changes under reservations without a new version.
    pub async fn save_change(
        &self,
        prev: &Product,
        next: &Product,
        event: &Envelope<ProductChanged>,
    ) -> Result<(), CatalogError> {
        let item = to_item(next)?;
        let mut update = self
            .table
            .update(product_pk(&prev.id), PRODUCT_SK)
            .condition_expression("#version = :prev AND #active = :yes")
            .expression_attribute_values(":prev", n(prev.version))
            .expression_attribute_values(":yes", AttributeValue::Bool(true));
        let mut set = Vec::new();
        for field in ["name", "description", "category", "price", "active", "version", "updated_at"] {
            let value = item.get(field).cloned().unwrap_or(AttributeValue::Null(true));
            set.push(format!("#{field} = :{field}"));
            update = update
                .expression_attribute_names(format!("#{field}"), field)
                .expression_attribute_values(format!(":{field}"), value);
        }
        let expression = if next.active {
            let sort = list_sort_key(next);
            update = update
                .expression_attribute_values(":all", s(ALL_PRODUCTS))
                .expression_attribute_values(":category", s(list_partition(Some(&next.category)).2))
                .expression_attribute_values(":sort", s(sort));
            format!("SET {}, gsi1pk = :all, gsi1sk = :sort, gsi2pk = :category, gsi2sk = :sort", set.join(", "))
        } else {
            format!("SET {} REMOVE gsi1pk, gsi1sk, gsi2pk, gsi2sk", set.join(", "))
        };
        let update = update.update_expression(expression).build().map_err(anyhow::Error::from)?;
        match self.transact(vec![Write::from(update), self.table.outbox(event)?]).await {
            Ok(()) => Ok(()),
            Err(e) if e.condition_failed_at(0) => match self.product(&prev.id).await? {
                Some(p) if p.active => Err(CatalogError::Conflict("the product changed meanwhile; retry".into())),
                _ => Err(CatalogError::NotFound),
            },
            Err(e) => Err(e.context("saving product").into()),
        }
    }

    /// Sets the units available of an active product.
    pub async fn set_stock(&self, id: &str, quantity: u32, now: DateTime<Utc>) -> Result<Product, CatalogError> {
        let out = self
            .table
            .update_item(product_pk(id), PRODUCT_SK)
            .update_expression("SET #stock = :q, #updated_at = :now")
            .condition_expression("attribute_exists(pk) AND #active = :yes")
            .expression_attribute_names("#stock", "stock")
            .expression_attribute_names("#updated_at", "updated_at")
            .expression_attribute_names("#active", "active")
            .expression_attribute_values(":q", n(quantity))
            .expression_attribute_values(":now", timestamp(now))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match applied(out, "setting stock")? {
            Some(out) => Ok(from_item(out.attributes.unwrap_or_default())?),
            None => Err(CatalogError::NotFound),
        }
    }

    /// One page of active products (of one category), in creation order, and the key to
    /// continue from.
    pub async fn list(
        &self,
        category: Option<&str>,
        limit: i32,
        start: Option<Item>,
    ) -> anyhow::Result<(Vec<Product>, Option<Item>)> {
        let (index, attr, value) = list_partition(category);
        let query = self
            .table
            .query()
            .index_name(index)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", attr)
            .expression_attribute_values(":p", s(value))
            .limit(limit)
            .set_exclusive_start_key(start);
        let (products, last) = self.table.page::<Product>(query, "listing products").await?;
        Ok((products.into_iter().filter(|p| p.active).collect(), last))
    }

    // ────────────────────────────── holds ──────────────────────────────

    pub async fn hold(&self, order_id: &str) -> anyhow::Result<Option<Hold>> {
        self.table.get(hold_pk(order_id), HOLD_SK).await
    }

    fn hold_put(&self, hold: &Hold, ttl: Option<i64>) -> anyhow::Result<Write> {
        let mut item = keyed(hold_pk(&hold.order_id), HOLD_SK, hold)?;
        if let (HoldStatus::Held, Some(expires)) = (hold.status, hold.hold_expires_at) {
            item.insert("gsi1pk".into(), s(HELD_PARTITION));
            item.insert("gsi1sk".into(), s(time_key(expires)));
        }
        if let Some(ttl) = ttl {
            item.insert("expires_at".into(), n(ttl));
        }
        self.table.put_new(item)
    }

    /// Moves a `HELD` hold to `status` (only if it is still held) and drops it from the
    /// expiry index.
    fn finish_hold(
        &self,
        order_id: &str,
        status: HoldStatus,
        reason: Option<ReleaseReason>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Update> {
        let mut update = self
            .table
            .update(hold_pk(order_id), HOLD_SK)
            .condition_expression("#status = :held")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#updated_at", "updated_at")
            .expression_attribute_values(":to", s(wire_name(status)?))
            .expression_attribute_values(":held", s(wire_name(HoldStatus::Held)?))
            .expression_attribute_values(":now", timestamp(now))
            .expression_attribute_values(":ttl", n(now.timestamp() + FINISHED_HOLD_RETENTION_SECONDS));
        let mut set = "SET #status = :to, #updated_at = :now, expires_at = :ttl".to_owned();
        if let Some(reason) = reason {
            set.push_str(", release_reason = :reason");
            update = update.expression_attribute_values(":reason", s(wire_name(reason)?));
        }
        Ok(update.update_expression(format!("{set} REMOVE gsi1pk, gsi1sk")).build()?)
    }

    /// An update of `line`'s product that moves its stock (`#stock`) by the line's
    /// quantity (`:q`), for the caller to give the expressions.
    fn stock_change(&self, line: &StockLine) -> UpdateBuilder {
        self.table
            .update(product_pk(&line.product_id), PRODUCT_SK)
            .expression_attribute_names("#stock", "stock")
            .expression_attribute_values(":q", n(line.quantity))
    }

    /// Reserves every line of a placed order in ONE transaction (stock decrements, the
    /// hold, the inbox marker and `StockReserved`), or, when a line is short, records
    /// `StockRejected` instead. A redelivered event changes nothing.
    pub async fn reserve(
        &self,
        placed: &Envelope<OrderPlaced>,
        hold_ttl_seconds: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Reservation> {
        let order = &placed.data;
        let lines = sum_lines(order.lines.iter().map(|l| (l.product_id.as_str(), l.quantity)));
        anyhow::ensure!(!lines.is_empty(), "order {} has no lines to reserve", order.order_id);
        anyhow::ensure!(lines.len() <= MAX_LINES, "order {} has more than {MAX_LINES} products", order.order_id);
        let event_id = placed.metadata.event_id.to_string();
        let correlation = placed.metadata.correlation_id.clone();
        let expires = now + chrono::Duration::seconds(hold_ttl_seconds);
        let hold = Hold {
            order_id: order.order_id.clone(),
            customer_id: order.customer_id.clone(),
            lines: lines.clone(),
            total: Some(order.total.clone()),
            status: HoldStatus::Held,
            correlation_id: correlation.clone(),
            hold_expires_at: Some(expires),
            created_at: now,
            updated_at: now,
        };
        let reserved = Envelope::new(
            StockReserved {
                order_id: order.order_id.clone(),
                customer_id: order.customer_id.clone(),
                lines: lines.clone(),
                total: order.total.clone(),
                hold_expires_at: expires,
            },
            correlation,
        );
        let mut items = vec![self.table.inbox_mark(CONSUMER, &event_id)?];
        for line in &lines {
            let take = self
                .stock_change(line)
                .update_expression("SET #stock = #stock - :q")
                .condition_expression("#active = :yes AND #stock >= :q")
                .expression_attribute_names("#active", "active")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .build()?;
            items.push(Write::from(take));
        }
        let hold_index = items.len();
        items.push(self.hold_put(&hold, None)?);
        items.push(self.table.outbox(&reserved)?);
        match self.transact(items).await {
            Ok(()) => Ok(Reservation::Reserved(lines)),
            Err(e) if e.condition_failed_at(0) => Ok(Reservation::AlreadyProcessed),
            Err(e) if e.condition_failed_at(hold_index) => Ok(Reservation::HoldExists),
            Err(e) if (1..hold_index).any(|i| e.condition_failed_at(i)) => self.reject(placed, &lines).await,
            Err(e) => Err(e.context("reserving stock")),
        }
    }

    /// Records `StockRejected` with the short lines as they are now, with the inbox marker,
    /// unless a hold appeared for the order meanwhile.
    async fn reject(&self, placed: &Envelope<OrderPlaced>, lines: &[StockLine]) -> anyhow::Result<Reservation> {
        let mut available = BTreeMap::new();
        for line in lines {
            if let Some(p) = self.product(&line.product_id).await? {
                available.insert(line.product_id.clone(), Availability { active: p.active, stock: p.stock });
            }
        }
        let short = short_lines(lines, &available);
        // Stock came back between the failed reservation and this read: try again.
        anyhow::ensure!(!short.is_empty(), "stock changed while reserving order {}", placed.data.order_id);
        let rejected = StockRejected {
            order_id: placed.data.order_id.clone(),
            customer_id: placed.data.customer_id.clone(),
            short,
        };
        let event = Envelope::new(rejected.clone(), placed.metadata.correlation_id.clone());
        let no_hold = self.table.check(hold_pk(&placed.data.order_id), HOLD_SK).condition_expression(NEW).build()?;
        let items = vec![
            self.table.inbox_mark(CONSUMER, &placed.metadata.event_id.to_string())?,
            Write::from(no_hold),
            self.table.outbox(&event)?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(Reservation::Rejected(rejected)),
            Err(e) if e.condition_failed_at(0) => Ok(Reservation::AlreadyProcessed),
            Err(e) if e.condition_failed_at(1) => Ok(Reservation::HoldExists),
            Err(e) => Err(e.context("rejecting reservation")),
        }
    }

    /// Gives an order's held units back exactly once: the hold becomes `RELEASED`, each
    /// product's stock grows, `StockReleased` is written, and (for an event) the inbox
    /// marker, all in one transaction. `cause` is the event (id, correlation id) that asked
    /// for it; `None` for the expiry sweep, whose events carry the hold's own correlation id.
    pub async fn release(
        &self,
        order_id: &str,
        reason: ReleaseReason,
        cause: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Release> {
        // Twice at most: a hold that `OrderPlaced` creates between the read and the void is
        // read (consistently) and released on the second pass, rather than failing the
        // message and waiting for its redelivery.
        let mut attempts = 0;
        let hold = loop {
            attempts += 1;
            if let Some(hold) = self.hold(order_id).await? {
                break hold;
            }
            let Some((event_id, correlation)) = cause else { return Ok(Release::NoHold) };
            match self.void(order_id, event_id, correlation, now).await? {
                Some(voided) => return Ok(voided),
                None if attempts < 2 => continue,
                None => anyhow::bail!("order {order_id}: a hold appeared while voiding it, and then was gone"),
            }
        };
        if hold.status != HoldStatus::Held {
            return Ok(Release::NotHeld);
        }
        let correlation = cause.map_or(hold.correlation_id.as_str(), |(_, c)| c);
        let event = Envelope::new(
            StockReleased { order_id: order_id.to_owned(), lines: hold.lines.clone(), reason },
            correlation,
        );
        let mut items = Vec::new();
        if let Some((event_id, _)) = cause {
            items.push(self.table.inbox_mark(CONSUMER, event_id)?);
        }
        let hold_index = items.len();
        let finish = self.finish_hold(order_id, HoldStatus::Released, Some(reason), now)?;
        items.push(Write::from(finish));
        for line in &hold.lines {
            let give = self
                .stock_change(line)
                .update_expression("ADD #stock :q")
                .condition_expression("attribute_exists(pk)")
                .build()?;
            items.push(Write::from(give));
        }
        items.push(self.table.outbox(&event)?);
        match self.transact(items).await {
            Ok(()) => Ok(Release::Released(hold.lines)),
            Err(e) if cause.is_some() && e.condition_failed_at(0) => Ok(Release::AlreadyProcessed),
            Err(e) if e.condition_failed_at(hold_index) => Ok(Release::NotHeld),
            Err(e) => Err(e.context("releasing hold")),
        }
    }

    /// The order ended before any hold existed: a `VOID` hold (with the inbox marker) makes
    /// a late `OrderPlaced` of it reserve nothing. `None`: a hold appeared meanwhile.
    async fn void(
        &self,
        order_id: &str,
        event_id: &str,
        correlation: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Release>> {
        let hold = Hold {
            order_id: order_id.to_owned(),
            customer_id: String::new(),
            lines: Vec::new(),
            total: None,
            status: HoldStatus::Void,
            correlation_id: correlation.to_owned(),
            hold_expires_at: None,
            created_at: now,
            updated_at: now,
        };
        let ttl = now.timestamp() + inbox::RETENTION_SECONDS;
        let items = vec![self.table.inbox_mark(CONSUMER, event_id)?, self.hold_put(&hold, Some(ttl))?];
        match self.transact(items).await {
            Ok(()) => Ok(Some(Release::NoHold)),
            Err(e) if e.condition_failed_at(0) => Ok(Some(Release::AlreadyProcessed)),
            Err(e) if e.condition_failed_at(1) => Ok(None),
            Err(e) => Err(e.context("voiding hold")),
        }
    }

    /// The order was paid: its hold becomes `SETTLED` (the units are sold), once.
    pub async fn settle(&self, order_id: &str, event_id: &str, now: DateTime<Utc>) -> anyhow::Result<Settlement> {
        let finish = self.finish_hold(order_id, HoldStatus::Settled, None, now)?;
        let items = vec![self.table.inbox_mark(CONSUMER, event_id)?, Write::from(finish)];
        match self.transact(items).await {
            Ok(()) => Ok(Settlement::Settled),
            Err(e) if e.condition_failed_at(0) => Ok(Settlement::AlreadyProcessed),
            Err(e) if e.condition_failed_at(1) => Ok(Settlement::NotHeld),
            Err(e) => Err(e.context("settling hold")),
        }
    }

    /// Up to `max` held holds whose expiry sorts before `cutoff` (oldest first).
    pub async fn expired_holds(&self, cutoff: &str, max: usize) -> anyhow::Result<Vec<Hold>> {
        let query = self
            .table
            .query()
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :p AND gsi1sk < :cutoff")
            .expression_attribute_values(":p", s(HELD_PARTITION))
            .expression_attribute_values(":cutoff", s(cutoff));
        self.table.query_all(query, Some(max), "querying expired holds").await
    }
}

/// How a unit enum is spelled on the wire and in the table (its serde name).
fn wire_name<T: serde::Serialize>(value: T) -> anyhow::Result<String> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(name) => Ok(name),
        other => anyhow::bail!("not a unit variant: {other}"),
    }
}

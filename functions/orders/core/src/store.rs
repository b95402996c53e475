//! The orders table (single-table design). Items:
//! `ORDER#<id>/ORDER` an order (gsi1: `CUSTOMER#<sub>` / `<created_at>#<id>`, gsi2: `ORDERS` /
//! `<created_at>#<id>`) · `PRODUCT#<id>/PRODUCT` the product projection ·
//! `IDEMPOTENCY#<sub>#<key>/IDEMPOTENCY` a remembered `POST /orders` ·
//! `QUOTA#OPEN_ORDERS#<sub>/SLOT#<i>` the customer's open-order slots ([`bazaar_aws::quota`]) ·
//! `PROCESSED#<consumer>#<event id>` inbox markers · `OUTBOX#<event id>/EVENT` events.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use bazaar_aws::dynamo::{Item, applied, from_item, keyed, n, s};
use bazaar_aws::quota::Quota;
use bazaar_aws::table::{Write, failed};

use crate::model::IdempotencyRecord;
use crate::{Order, OrderStatus, Product};

const ORDER_SK: &str = "ORDER";
const PRODUCT_SK: &str = "PRODUCT";
/// The gsi2 partition holding every order (admin listing).
pub const ALL_ORDERS: &str = "ORDERS";

pub fn order_pk(id: &str) -> String {
    format!("ORDER#{id}")
}

pub fn customer_pk(sub: &str) -> String {
    format!("CUSTOMER#{sub}")
}

fn product_pk(id: &str) -> String {
    format!("PRODUCT#{id}")
}

/// Which orders a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One customer's orders (gsi1).
    Customer(String),
    /// Every order (gsi2).
    All,
}

impl Scope {
    pub fn index(&self) -> &'static str {
        match self {
            Scope::Customer(_) => "gsi1",
            Scope::All => "gsi2",
        }
    }

    /// The index's partition key attribute and its value for this scope.
    pub fn partition(&self) -> (&'static str, String) {
        match self {
            Scope::Customer(sub) => ("gsi1pk", customer_pk(sub)),
            Scope::All => ("gsi2pk", ALL_ORDERS.to_owned()),
        }
    }
}

/// A conditional status change of one order.
#[derive(Debug, Clone, Copy)]
pub struct StatusChange<'a> {
    pub order_id: &'a str,
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub reason: Option<&'a str>,
    pub updated_at: &'a str,
}

/// How a conditional status change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Applied,
    /// The order was no longer in the expected status (a concurrent change won).
    StatusChanged,
    /// The inbox marker exists: this event was applied before.
    AlreadyProcessed,
}

bazaar_aws::store!(
    /// The orders table, holding the items this module lists.
    pub OrdersStore = "ORDERS_TABLE", outbox, table_deps
);

impl OrdersStore {
    // ── product projection ──

    /// Stores `product` unless the projection already holds this or a newer version.
    /// `false`: not newer (a redelivery or an out-of-order event), nothing written.
    pub async fn put_product(&self, product: &Product) -> anyhow::Result<bool> {
        let result = self
            .table
            .put_item(keyed(product_pk(&product.product_id), PRODUCT_SK, product)?)
            .condition_expression("attribute_not_exists(pk) OR version < :v")
            .expression_attribute_values(":v", n(product.version))
            .send()
            .await;
        Ok(applied(result, "storing product")?.is_some())
    }

    pub async fn product(&self, id: &str) -> anyhow::Result<Option<Product>> {
        self.table.get(product_pk(id), PRODUCT_SK).await
    }

    /// The projected products among `ids` (at most 100 distinct ids), by id.
    pub async fn products(&self, ids: &[String]) -> anyhow::Result<HashMap<String, Product>> {
        let mut distinct: Vec<&String> = ids.iter().collect();
        distinct.sort();
        distinct.dedup();
        anyhow::ensure!(distinct.len() <= 100, "BatchGetItem takes at most 100 keys");
        let mut found = HashMap::new();
        if distinct.is_empty() {
            return Ok(found);
        }
        let keys: Vec<Item> = distinct
            .iter()
            .map(|id| HashMap::from([("pk".to_owned(), s(product_pk(id))), ("sk".to_owned(), s(PRODUCT_SK))]))
            .collect();
        let mut request = Some(KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build()?);
        for attempt in 0..8 {
            let Some(keys) = request.take() else { break };
            let table = self.table.name();
            let out = self
                .table
                .client()
                .batch_get_item()
                .request_items(table, keys)
                .send()
                .await
                .map_err(|e| failed("BatchGetItem", e))?;
            for item in out.responses.unwrap_or_default().remove(table).unwrap_or_default() {
                let product: Product = from_item(item)?;
                found.insert(product.product_id.clone(), product);
            }
            request = out.unprocessed_keys.unwrap_or_default().remove(table).filter(|k| !k.keys().is_empty());
            if request.is_some() {
                tokio_sleep(attempt).await;
            }
        }
        anyhow::ensure!(request.is_none(), "BatchGetItem left keys unprocessed");
        Ok(found)
    }

    // ── orders ──

    fn order_item(order: &Order) -> anyhow::Result<Item> {
        let sort = format!("{}#{}", order.created_at, order.id);
        let mut item = keyed(order_pk(&order.id), ORDER_SK, order)?;
        item.insert("gsi1pk".into(), s(customer_pk(&order.customer_id)));
        item.insert("gsi1sk".into(), s(sort.clone()));
        item.insert("gsi2pk".into(), s(ALL_ORDERS));
        item.insert("gsi2sk".into(), s(sort));
        Ok(item)
    }

    pub async fn order(&self, id: &str) -> anyhow::Result<Option<Order>> {
        self.table.get(order_pk(id), ORDER_SK).await
    }

    pub async fn idempotency(&self, sub: &str, key: &str) -> anyhow::Result<Option<IdempotencyRecord>> {
        self.table.idempotency(sub, key).await
    }

    /// The customer's open-order slots ([`bazaar_aws::quota`]), `cap` of them.
    pub fn open_orders(&self, cap: u32) -> Quota<'_> {
        Quota::new(&self.table, "OPEN_ORDERS", cap)
    }

    /// Gives back the open-order slot of an order that is no longer open.
    pub async fn release_open(&self, customer_id: &str, order_id: &str) -> anyhow::Result<()> {
        // The cap only matters when taking a slot.
        self.open_orders(0).release(customer_id, order_id).await
    }

    /// Stores the order, its idempotency record, its `OrderPlaced` event and the customer's
    /// open-order `slot` in one transaction. `false`: the idempotency key or the slot was
    /// taken first, or a concurrent transaction got in the way (the caller reads the key and
    /// retries).
    pub async fn place(
        &self,
        order: &Order,
        key: &str,
        record: &IdempotencyRecord,
        event: Write,
        slot: Write,
    ) -> anyhow::Result<bool> {
        let writes = vec![
            self.table.remember(&order.customer_id, key, record)?,
            self.table.put_new(Self::order_item(order)?)?,
            event,
            slot,
        ];
        match self.table.commit(writes).await {
            Ok(()) => Ok(true),
            Err(e) if e.condition_failed_at(0) || e.condition_failed_at(3) || e.conflicted() => Ok(false),
            Err(e) => Err(e.context("placing order")),
        }
    }

    /// Moves `order` from `from` to `to` only if it is still in `from`, together with the
    /// inbox marker (if any; it goes at index 1) and the event (if any), atomically.
    pub async fn transition(
        &self,
        change: &StatusChange<'_>,
        inbox: Option<Write>,
        event: Option<Write>,
    ) -> anyhow::Result<Transition> {
        let StatusChange { order_id, from, to, reason, updated_at } = *change;
        let mut update = self
            .table
            .update(order_pk(order_id), ORDER_SK)
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":now", s(updated_at));
        update = match reason {
            Some(reason) => update
                .update_expression("SET #status = :to, updated_at = :now, status_reason = :reason")
                .expression_attribute_values(":reason", s(reason)),
            None => update.update_expression("SET #status = :to, updated_at = :now"),
        };
        let has_inbox = inbox.is_some();
        let mut writes = vec![Write::from(update.build()?)];
        writes.extend(inbox);
        writes.extend(event);
        match self.table.commit(writes).await {
            Ok(()) => Ok(Transition::Applied),
            Err(e) if has_inbox && e.condition_failed_at(1) => Ok(Transition::AlreadyProcessed),
            Err(e) if e.condition_failed_at(0) || e.conflicted() => Ok(Transition::StatusChanged),
            Err(e) => Err(e.context("changing order status")),
        }
    }

    /// A page of orders of `scope`, newest first, and the key to continue from.
    pub async fn list(
        &self,
        scope: &Scope,
        limit: i32,
        start: Option<Item>,
    ) -> anyhow::Result<(Vec<Order>, Option<Item>)> {
        let query = self
            .table
            .partition_query(scope.index(), scope.partition())
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start);
        self.table.page(query, "listing orders").await
    }
}

/// Backs off before retrying unprocessed keys: 20 ms, 40 ms, … .
async fn tokio_sleep(attempt: u32) {
    let ms = 20u64 << attempt.min(6);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

//! One service's DynamoDB table: the client and the table's name, and the operations every
//! store repeats (consistent typed reads, query paging, requests and transaction items
//! already aimed at this table and an item's keys, transactions whose failures are read by
//! index, the outbox and inbox items). Stores wrap a [`Table`]; use cases see only
//! stores and opaque [`Write`]s, never an SDK type.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::builders::{ConditionCheckBuilder, DeleteBuilder, PutBuilder, UpdateBuilder};
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};
use bazaar_events::{Envelope, Event};
use bazaar_runtime::config::{ConfigError, Env};
use serde::de::DeserializeOwned;

use crate::dynamo::{self, Item, Keyed, from_item, s};

/// An SDK error with its whole chain (the SDK's own Display says only "service error").
pub fn failed<E: std::error::Error>(what: &str, e: E) -> anyhow::Error {
    anyhow::anyhow!("{what}: {}", DisplayErrorContext(e))
}

#[derive(Clone, Debug)]
pub struct Table {
    client: Client,
    name: String,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Table {
        Table { client, name: name.into() }
    }

    /// The table named by the environment variable `var`, with a client built from `config`.
    pub fn from_env(config: &aws_types::SdkConfig, env: &Env, var: &'static str) -> Result<Table, ConfigError> {
        Ok(Table::new(Client::new(config), env.required(var)?))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The item `pk`/`sk` (consistent read) as a `T`; `None` when absent.
    pub async fn get<T: DeserializeOwned>(
        &self,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> anyhow::Result<Option<T>> {
        dynamo::get_item(&self.client, &self.name, pk, sk).await
    }

    /// The item `pk`/`sk` (consistent read) as a `T` stored beside its keys
    /// ([`dynamo::keyed`]); `None` when absent.
    pub async fn get_keyed<T: DeserializeOwned>(
        &self,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> anyhow::Result<Option<T>> {
        Ok(self.get::<Keyed<T>>(pk, sk).await?.map(|k| k.value))
    }

    /// A PutItem of `item` into this table, for the caller to give a condition and send
    /// (its result read with [`dynamo::applied`]).
    pub fn put_item(&self, item: Item) -> PutItemFluentBuilder {
        self.client.put_item().table_name(&self.name).set_item(Some(item))
    }

    /// An UpdateItem of the item `pk`/`sk`, for the caller to shape and send.
    pub fn update_item(&self, pk: impl Into<String>, sk: impl Into<String>) -> UpdateItemFluentBuilder {
        self.client.update_item().table_name(&self.name).key("pk", s(pk)).key("sk", s(sk))
    }

    /// A DeleteItem of the item `pk`/`sk`, for the caller to shape and send.
    pub fn delete_item(&self, pk: impl Into<String>, sk: impl Into<String>) -> DeleteItemFluentBuilder {
        self.client.delete_item().table_name(&self.name).key("pk", s(pk)).key("sk", s(sk))
    }

    /// A Query on this table, for the caller to shape and hand to [`Table::page`] or
    /// [`Table::query_all`].
    pub fn query(&self) -> QueryFluentBuilder {
        self.client.query().table_name(&self.name)
    }

    /// A Query of the partition `attr` = `value` of index `index`: key condition
    /// `#pk = :pk`, which the caller may replace by a narrower one on the same names.
    pub fn partition_query(&self, index: &str, (attr, value): (&str, String)) -> QueryFluentBuilder {
        self.query()
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", attr)
            .expression_attribute_values(":pk", s(value))
    }

    /// One page of `query` as `T`s, and the key to continue from (`None` on the last page).
    pub async fn page<T: DeserializeOwned>(
        &self,
        query: QueryFluentBuilder,
        what: &str,
    ) -> anyhow::Result<(Vec<T>, Option<Item>)> {
        let out = query.send().await.map_err(|e| failed(what, e))?;
        let items = out.items.unwrap_or_default().into_iter().map(from_item).collect::<anyhow::Result<Vec<T>>>()?;
        Ok((items, out.last_evaluated_key.filter(|k| !k.is_empty())))
    }

    /// Every item of `query` as a `T`, page after page; with `max`, up to `max` of them.
    pub async fn query_all<T: DeserializeOwned>(
        &self,
        query: QueryFluentBuilder,
        max: Option<usize>,
        what: &str,
    ) -> anyhow::Result<Vec<T>> {
        self.query_items(query, max, what).await?.into_iter().map(from_item).collect()
    }

    /// [`Table::query_all`] as raw items. With `max`, each page asks for what is still
    /// missing (at most 100).
    pub async fn query_items(
        &self,
        query: QueryFluentBuilder,
        max: Option<usize>,
        what: &str,
    ) -> anyhow::Result<Vec<Item>> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let mut page = query.clone().set_exclusive_start_key(start);
            if let Some(max) = max {
                page = page.limit(i32::try_from(max.saturating_sub(found.len()).clamp(1, 100)).unwrap_or(100));
            }
            let out = page.send().await.map_err(|e| failed(what, e))?;
            found.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() || max.is_some_and(|max| found.len() >= max) {
                return Ok(found);
            }
        }
    }

    /// A Put of `item` for a transaction, guarded by `condition` if any.
    pub fn put(&self, item: Item, condition: Option<&str>) -> anyhow::Result<Write> {
        dynamo::put_in_transaction(&self.name, item, condition).map(Write)
    }

    /// A Put for a transaction that creates `item`: it fails the transaction at its index
    /// when an item with its keys exists.
    pub fn put_new(&self, item: Item) -> anyhow::Result<Write> {
        self.put(item, Some(dynamo::NEW))
    }

    /// A Put of `item` for a transaction, for the caller to give a condition and build.
    pub fn put_with(&self, item: Item) -> PutBuilder {
        Put::builder().table_name(&self.name).set_item(Some(item))
    }

    /// An Update of the item `pk`/`sk` for a transaction, for the caller to shape and build.
    pub fn update(&self, pk: impl Into<String>, sk: impl Into<String>) -> UpdateBuilder {
        Update::builder().table_name(&self.name).key("pk", s(pk)).key("sk", s(sk))
    }

    /// A Delete of the item `pk`/`sk` for a transaction, for the caller to shape and build.
    pub fn delete(&self, pk: impl Into<String>, sk: impl Into<String>) -> DeleteBuilder {
        Delete::builder().table_name(&self.name).key("pk", s(pk)).key("sk", s(sk))
    }

    /// A condition on the item `pk`/`sk` for a transaction, for the caller to give and build.
    pub fn check(&self, pk: impl Into<String>, sk: impl Into<String>) -> ConditionCheckBuilder {
        ConditionCheck::builder().table_name(&self.name).key("pk", s(pk)).key("sk", s(sk))
    }

    /// The write that stores `envelope` in this table's outbox.
    pub fn outbox<T: Event>(&self, envelope: &Envelope<T>) -> anyhow::Result<Write> {
        crate::outbox::put_event(&self.name, envelope).map(Write)
    }

    /// The write that records `event_id` as processed by `consumer`; it fails the
    /// transaction at its index when the event was processed before.
    pub fn inbox_mark(&self, consumer: &str, event_id: &str) -> anyhow::Result<Write> {
        crate::inbox::mark(&self.name, consumer, event_id).map(Write)
    }

    /// Commits `writes` in one transaction (all or nothing).
    pub async fn commit(&self, writes: Vec<Write>) -> Result<(), Cancelled> {
        let items = writes.into_iter().map(|w| w.0).collect();
        self.client.transact_write_items().set_transact_items(Some(items)).send().await.map(|_| ()).map_err(Cancelled)
    }
}

/// One item of a transaction, built by a store and committed with [`Table::commit`].
#[derive(Clone, Debug)]
pub struct Write(TransactWriteItem);

impl Write {
    /// The SDK item, for tests that check what a store builds.
    pub fn as_sdk(&self) -> &TransactWriteItem {
        &self.0
    }
}

/// `impl From<Part> for Write` for each kind of transaction item, by its builder's setter.
macro_rules! write_from {
    ($($part:ident => $setter:ident),* $(,)?) => {
        $(impl From<$part> for Write {
            fn from(part: $part) -> Write {
                Write(TransactWriteItem::builder().$setter(part).build())
            }
        })*
    };
}

write_from!(Put => put, Update => update, Delete => delete, ConditionCheck => condition_check);

/// Why a commit failed, read by the index of the write that caused it.
#[derive(Debug)]
pub struct Cancelled(SdkError<TransactWriteItemsError>);

impl Cancelled {
    /// Whether the condition of write `index` did not hold.
    pub fn condition_failed_at(&self, index: usize) -> bool {
        dynamo::condition_failed_at(&self.0, index)
    }

    /// The indexes of the writes whose conditions did not hold.
    pub fn failed_conditions(&self) -> Vec<usize> {
        let reasons = dynamo::cancellation_reasons(&self.0);
        reasons
            .iter()
            .enumerate()
            .filter(|(_, r)| r.as_deref() == Some("ConditionalCheckFailed"))
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether the transaction was cancelled at all (for any write, for any reason), as
    /// opposed to failing as a request.
    pub fn cancelled(&self) -> bool {
        !dynamo::cancellation_reasons(&self.0).is_empty()
    }

    /// Whether another transaction touched the same items at once (DynamoDB's
    /// `TransactionConflict`): the caller re-reads and retries.
    pub fn conflicted(&self) -> bool {
        dynamo::cancellation_reasons(&self.0).iter().flatten().any(|code| code == "TransactionConflict")
    }

    /// A conflict with no failed condition besides: the same transaction may simply run again.
    pub fn conflict_only(&self) -> bool {
        self.conflicted() && self.failed_conditions().is_empty()
    }

    /// The failure as an error, `what` saying which commit it was.
    pub fn context(self, what: &str) -> anyhow::Error {
        failed(what, self.0)
    }
}

/// A service's store: built from a deployed function's environment (every [`store!`](crate::store!)).
pub trait Store: Sized {
    fn from_env(config: &aws_types::SdkConfig, env: &Env) -> Result<Self, ConfigError>;
}

/// What [`store!`](crate::store!) expands to names, from the calling crate.
#[doc(hidden)]
pub mod __private {
    pub use anyhow::Result;
    pub use aws_sdk_dynamodb::Client;
    pub use aws_types::SdkConfig;
    pub use bazaar_events::{Envelope, Event};
    pub use bazaar_runtime::config::{ConfigError, Env};
}

/// A service's store over its one [`Table`]:
/// `store!(/// docs… pub OrdersStore = "ORDERS_TABLE", outbox, table_deps);` declares
/// `OrdersStore` with `new(client, table name)` (tests, over a table of their own) and
/// `from_env(config, env)` (a deployed function: the table the environment variable names).
/// `outbox` adds `event` (the outbox write of an event) and `inbox_mark` (a consumer's
/// marker of an event applied), for the store's own transactions; `table_deps` declares
/// `TableDeps { store }`, what a function that needs only this table depends on (its crate
/// re-exports it as its `Deps`).
#[macro_export]
macro_rules! store {
    ($(#[$doc:meta])* pub $name:ident = $var:literal $(, $extra:ident)* $(,)?) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            table: $crate::table::Table,
        }

        impl $name {
            /// The store over table `table`, with `client`.
            pub fn new(client: $crate::table::__private::Client, table: impl Into<String>) -> Self {
                $name { table: $crate::table::Table::new(client, table) }
            }

            #[doc = concat!("The store of a deployed function: the table named by `", $var, "`.")]
            pub fn from_env(
                config: &$crate::table::__private::SdkConfig,
                env: &$crate::table::__private::Env,
            ) -> Result<Self, $crate::table::__private::ConfigError> {
                Ok($name { table: $crate::table::Table::from_env(config, env, $var)? })
            }
        }

        impl $crate::table::Store for $name {
            fn from_env(
                config: &$crate::table::__private::SdkConfig,
                env: &$crate::table::__private::Env,
            ) -> Result<Self, $crate::table::__private::ConfigError> {
                $name::from_env(config, env)
            }
        }
        $($crate::store!(@$extra $name);)*
    };
    (@outbox $name:ident) => {
        impl $name {
            /// The write that stores `event` in this table's outbox, for one of the store's
            /// transactions.
            pub fn event<T: $crate::table::__private::Event>(
                &self,
                event: &$crate::table::__private::Envelope<T>,
            ) -> $crate::table::__private::Result<$crate::table::Write> {
                self.table.outbox(event)
            }

            /// The inbox marker of `event_id` for `consumer`, for one of the store's transactions.
            pub fn inbox_mark(&self, consumer: &str, event_id: &str) -> $crate::table::__private::Result<$crate::table::Write> {
                self.table.inbox_mark(consumer, event_id)
            }
        }
    };
    (@table_deps $name:ident) => {
        /// What a function that needs only this service's table depends on: its crate
        /// re-exports this as its `Deps`.
        pub struct TableDeps {
            pub store: $name,
        }

        impl TableDeps {
            pub fn new(
                config: &$crate::table::__private::SdkConfig,
                env: &$crate::table::__private::Env,
            ) -> $crate::table::__private::Result<TableDeps> {
                Ok(TableDeps { store: $name::from_env(config, env)? })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let config = aws_sdk_dynamodb::Config::builder().behavior_version_latest().build();
        Table::new(Client::from_conf(config), "t")
    }

    #[test]
    fn transaction_parts_name_the_table_and_the_item() {
        let key = |pk: &str, sk: &str| Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))]);
        let update = table().update("P#1", "P").update_expression("SET a = :a").build().expect("update");
        assert_eq!((update.table_name(), update.key()), ("t", &key("P#1", "P")));
        let delete = table().delete("P#1", "P").build().expect("delete");
        assert_eq!((delete.table_name(), delete.key()), ("t", &key("P#1", "P")));
        let check = table().check("P#1", "P").condition_expression("a = :a").build().expect("check");
        assert_eq!((check.table_name(), check.key()), ("t", &key("P#1", "P")));
        let new = table().put_new(key("P#1", "P")).expect("put");
        let put = new.as_sdk().put().expect("a put");
        assert_eq!((put.table_name(), put.condition_expression()), ("t", Some("attribute_not_exists(pk)")));
    }
}

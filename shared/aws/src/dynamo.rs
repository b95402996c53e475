//! Small DynamoDB helpers: typed items through serde_dynamo and readable condition failures.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub type Item = HashMap<String, AttributeValue>;

/// The condition of a write that creates its item: nothing is stored under its keys yet.
pub const NEW: &str = "attribute_not_exists(pk)";

/// A record stored beside its keys, for records that do not hold their own `pk`/`sk`.
#[derive(Serialize, Deserialize)]
pub struct Keyed<T> {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub value: T,
}

/// `value`'s fields as an item under the keys `pk`/`sk`.
pub fn keyed<T: Serialize>(pk: impl Into<String>, sk: impl Into<String>, value: &T) -> anyhow::Result<Item> {
    to_item(&Keyed { pk: pk.into(), sk: sk.into(), value })
}

/// A Rust value as a DynamoDB item.
pub fn to_item<T: Serialize>(value: &T) -> anyhow::Result<Item> {
    Ok(serde_dynamo::to_item(value)?)
}

/// A DynamoDB item as a Rust value.
pub fn from_item<T: DeserializeOwned>(item: Item) -> anyhow::Result<T> {
    Ok(serde_dynamo::from_item(item)?)
}

/// The string attribute `name` of `item`, if it is one.
pub fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Reads the item `pk`/`sk` of `table` (consistent read) as a `T`; `None` when absent.
pub async fn get_item<T: DeserializeOwned>(
    client: &Client,
    table: &str,
    pk: impl Into<String>,
    sk: impl Into<String>,
) -> anyhow::Result<Option<T>> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s(sk))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| crate::table::failed(&format!("GetItem on {table}"), e))?;
    out.item.map(from_item::<T>).transpose()
}

/// A Put of `item` into `table` for a TransactWriteItems, guarded by `condition` if any.
pub fn put_in_transaction(table: &str, item: Item, condition: Option<&str>) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_owned))
        .build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A conditional single-item write's result: its output when it was applied, `None` when
/// its condition did not hold, an error (`what` saying which write) when it failed otherwise.
pub fn applied<T, E, R>(result: Result<T, SdkError<E, R>>, what: &str) -> anyhow::Result<Option<T>>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(e) if is_condition_failure(&e) => Ok(None),
        Err(e) => Err(crate::table::failed(what, e)),
    }
}

/// Whether a single-item write failed only because its condition did not hold.
pub fn is_condition_failure<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error().and_then(|e| e.code()).is_some_and(|c| c == "ConditionalCheckFailedException")
}

/// The per-item cancellation reasons of a failed transaction (`None` where the item was
/// fine), or an empty list when the failure was not a cancellation.
pub fn cancellation_reasons<R>(err: &SdkError<TransactWriteItemsError, R>) -> Vec<Option<String>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
            e.cancellation_reasons().iter().map(|r| r.code().filter(|c| *c != "None").map(str::to_owned)).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether a transaction was cancelled because the condition of item `index` failed.
pub fn condition_failed_at<R>(err: &SdkError<TransactWriteItemsError, R>, index: usize) -> bool {
    cancellation_reasons(err).get(index).and_then(Option::as_deref).is_some_and(|c| c == "ConditionalCheckFailed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record {
        name: String,
        count: u64,
        note: Option<String>,
        tags: Vec<String>,
    }

    #[test]
    fn a_keyed_record_is_its_own_item_plus_the_keys_and_reads_back_without_them() {
        let record = Record { name: "lamp".into(), count: 3, note: None, tags: vec!["a".into()] };
        let mut expected = to_item(&record).expect("item");
        expected.insert("pk".into(), s("RECORD#1"));
        expected.insert("sk".into(), s("RECORD"));
        let item = keyed("RECORD#1", "RECORD", &record).expect("keyed");
        assert_eq!(item, expected);
        let back: Keyed<Record> = from_item(item).expect("decodes");
        assert_eq!((back.pk.as_str(), back.value), ("RECORD#1", record));
    }
}

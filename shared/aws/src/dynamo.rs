//! Small DynamoDB helpers: typed items through serde_dynamo and readable condition failures.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub type Item = HashMap<String, AttributeValue>;

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
        .map_err(|e| anyhow::anyhow!("GetItem on {table}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
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

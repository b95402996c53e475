//! The consumer inbox: a `PROCESSED#<consumer>#<event_id>` marker written in the same
//! transaction as the state change an event caused. A redelivered event then fails that
//! transaction on the marker's condition and is acknowledged without effect, so
//! at-least-once delivery applies each event exactly once.

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

pub const PREFIX: &str = "PROCESSED#";
/// Markers outlive any redelivery (SQS keeps a message at most 14 days).
pub const RETENTION_SECONDS: i64 = 15 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub pk: String,
    pub sk: String,
    pub expires_at: i64,
}

impl Marker {
    pub fn new(consumer: &str, event_id: &str, now_epoch: i64) -> Marker {
        Marker { pk: key(consumer, event_id), sk: "PROCESSED".to_owned(), expires_at: now_epoch + RETENTION_SECONDS }
    }
}

/// The partition key of `consumer`'s marker for `event_id`.
pub fn key(consumer: &str, event_id: &str) -> String {
    format!("{PREFIX}{consumer}#{event_id}")
}

/// The transaction item that records `event_id` as processed by `consumer`; it fails the
/// transaction (`ConditionalCheckFailed` at its index) when the event was processed before.
pub fn mark(table: &str, consumer: &str, event_id: &str) -> anyhow::Result<TransactWriteItem> {
    let marker = Marker::new(consumer, event_id, chrono::Utc::now().timestamp());
    crate::dynamo::put_in_transaction(table, crate::dynamo::to_item(&marker)?, Some(crate::dynamo::NEW))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_is_a_conditional_put_keyed_by_consumer_and_event() {
        let item = mark("t", "catalog-on-order", "e-1").expect("item");
        let put = item.put().expect("put");
        assert_eq!(put.condition_expression(), Some("attribute_not_exists(pk)"));
        let marker: Marker = crate::dynamo::from_item(put.item().clone()).expect("marker");
        assert_eq!(marker.pk, "PROCESSED#catalog-on-order#e-1");
    }
}

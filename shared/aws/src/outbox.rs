//! The transactional outbox: an event is stored as an `OUTBOX#<event_id>` item in the
//! service's own table, in the same `TransactWriteItems` as the state change it describes.
//! The table's stream then carries it to the publisher; no event exists without its change
//! and no change commits without its event.

#[cfg(feature = "dynamodb")]
use aws_sdk_dynamodb::types::TransactWriteItem;
use bazaar_events::RawEvent;
#[cfg(feature = "dynamodb")]
use bazaar_events::{Envelope, Event};
use serde::{Deserialize, Serialize};

pub const PREFIX: &str = "OUTBOX#";
/// Outbox items expire (DynamoDB TTL) a week after they were written: by then they are
/// long published, and the bus archive is the record of history.
pub const RETENTION_SECONDS: i64 = 7 * 24 * 3600;

/// The stored shape of one outbox item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub pk: String,
    pub sk: String,
    pub event_id: String,
    pub source: String,
    pub detail_type: String,
    pub detail: String,
    pub expires_at: i64,
}

impl OutboxItem {
    pub fn new(raw: &RawEvent, now_epoch: i64) -> OutboxItem {
        OutboxItem {
            pk: format!("{PREFIX}{}", raw.event_id),
            sk: "EVENT".to_owned(),
            event_id: raw.event_id.to_string(),
            source: raw.source.clone(),
            detail_type: raw.detail_type.clone(),
            detail: raw.detail.clone(),
            expires_at: now_epoch + RETENTION_SECONDS,
        }
    }
}

#[cfg(feature = "dynamodb")]
/// The transaction item that stores `envelope` in `table`'s outbox. The condition makes a
/// retried transaction with the same event id fail instead of writing the event twice.
pub fn put_event<T: Event>(table: &str, envelope: &Envelope<T>) -> anyhow::Result<TransactWriteItem> {
    let raw = RawEvent::try_from(envelope)?;
    let item = OutboxItem::new(&raw, envelope.metadata.occurred_at.timestamp());
    crate::dynamo::put_in_transaction(table, crate::dynamo::to_item(&item)?, Some(crate::dynamo::NEW))
}

/// Decodes an outbox item from a stream record's new image.
pub fn from_stream_image(image: serde_dynamo::Item) -> anyhow::Result<OutboxItem> {
    let item: OutboxItem = serde_dynamo::from_item(image)?;
    anyhow::ensure!(item.pk.starts_with(PREFIX), "not an outbox item: {}", item.pk);
    Ok(item)
}

#[cfg(all(test, feature = "dynamodb"))]
mod tests {
    use super::*;
    use bazaar_events::auth::UserRegistered;

    #[test]
    fn an_envelope_becomes_a_conditional_put_of_its_outbox_item() {
        let envelope = Envelope::new(
            UserRegistered { user_id: "u1".into(), email: "a@b.co".into(), roles: vec![], verification: None },
            "c1",
        );
        let item = put_event("t", &envelope).expect("item");
        let put = item.put().expect("a put");
        assert_eq!(put.table_name(), "t");
        assert_eq!(put.condition_expression(), Some("attribute_not_exists(pk)"));
        let stored: OutboxItem = crate::dynamo::from_item(put.item().clone()).expect("decodes");
        assert_eq!(stored.pk, format!("OUTBOX#{}", envelope.metadata.event_id));
        assert_eq!(stored.detail_type, "UserRegistered");
        let detail: Envelope<UserRegistered> = serde_json::from_str(&stored.detail).expect("detail");
        assert_eq!(detail, envelope);
    }
}

//! SQS consumers: process a batch concurrently and report only the failed messages, so
//! Lambda returns just those to the queue (and, after maxReceiveCount, to its DLQ).

use std::future::Future;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_events::{Envelope, Event};
use futures::StreamExt;
use serde::Deserialize;

/// Runs `handler` on every message, at most `concurrency` at a time, and collects the ids
/// of those that failed.
pub async fn process<F, Fut>(event: SqsEvent, concurrency: usize, handler: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let handler = &handler;
    let failures: Vec<String> = futures::stream::iter(event.records)
        .map(|message| async move {
            let id = message.message_id.clone().unwrap_or_default();
            match handler(message).await {
                Ok(()) => None,
                Err(e) => {
                    tracing::warn!(message_id = %id, error = format!("{e:#}"), "message failed");
                    Some(id)
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .filter_map(|failed| async move { failed })
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures
        .into_iter()
        .map(|id| {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            f
        })
        .collect();
    response
}

/// The EventBridge envelope as delivered to an SQS target.
#[derive(Debug, Deserialize)]
struct Delivered {
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: String,
    detail: serde_json::Value,
}

/// Decodes a message body delivered by an EventBridge rule into a typed event; an error
/// means the message is poison for this consumer.
pub fn decode<T: Event>(body: &str) -> anyhow::Result<Envelope<T>> {
    let delivered: Delivered = serde_json::from_str(body)?;
    anyhow::ensure!(
        delivered.source == T::SOURCE && delivered.detail_type == T::DETAIL_TYPE,
        "expected {} from {}, got {} from {}",
        T::DETAIL_TYPE,
        T::SOURCE,
        delivered.detail_type,
        delivered.source
    );
    Ok(serde_json::from_value(delivered.detail)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_events::auth::UserRegistered;

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.to_owned());
        m.body = Some(body.to_owned());
        m
    }

    #[tokio::test]
    async fn only_failed_messages_are_reported() {
        let mut event = SqsEvent::default();
        event.records = (0..10).map(|i| message(&format!("m{i}"), if i == 3 { "bad" } else { "ok" })).collect();
        let response = process(event, 4, |m| async move {
            anyhow::ensure!(m.body.as_deref() == Some("ok"), "poison");
            Ok(())
        })
        .await;
        let ids: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(ids, vec!["m3"]);
    }

    #[test]
    fn decode_checks_the_detail_type_and_the_envelope() {
        let envelope =
            Envelope::new(UserRegistered { user_id: "u".into(), email: "e@x.io".into(), roles: vec![] }, "c");
        let body = serde_json::json!({
            "id": "1", "detail-type": "UserRegistered", "source": "bazaar.auth",
            "time": "2026-01-01T00:00:00Z", "detail": envelope,
        })
        .to_string();
        assert_eq!(decode::<UserRegistered>(&body).expect("decodes"), envelope);
        let wrong = body.replace("UserRegistered", "OrderPlaced");
        assert!(decode::<UserRegistered>(&wrong).is_err());
        assert!(decode::<UserRegistered>("{not json").is_err());
    }
}

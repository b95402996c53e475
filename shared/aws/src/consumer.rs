//! SQS consumers: process a batch concurrently and report only the failed messages, so
//! Lambda returns just those to the queue (and, after maxReceiveCount, to its DLQ).

use std::future::Future;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_events::{Envelope, Event};
use futures::StreamExt;
use serde::Deserialize;
use tracing::Instrument;

/// Runs `handler` on every message, at most `concurrency` at a time, and collects the ids
/// of those that failed. Each message is handled inside a span carrying its message id and,
/// when the body is a Bazaar event, the flow's correlation id and the event id, so every
/// line the handler logs can be joined to the request that started the flow.
pub async fn process<F, Fut>(event: SqsEvent, concurrency: usize, handler: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let handler = &handler;
    let failures: Vec<String> = futures::stream::iter(event.records)
        .map(|message| async move {
            let id = message.message_id.clone().unwrap_or_default();
            let trace = message.body.as_deref().map(Trace::of).unwrap_or_default();
            let span = tracing::info_span!(
                "message",
                message_id = %id,
                correlation_id = %trace.correlation_id,
                event_id = %trace.event_id,
                detail_type = %trace.detail_type,
            );
            async move {
                match handler(message).await {
                    Ok(()) => None,
                    Err(e) => {
                        tracing::warn!(error = format!("{e:#}"), "message failed; it returns to the queue");
                        Some(id)
                    }
                }
            }
            .instrument(span)
            .await
        })
        .buffer_unordered(concurrency.max(1))
        .filter_map(|failed| async move { failed })
        .collect()
        .await;
    bazaar_runtime::metrics::count(bazaar_runtime::metrics::Metric::ConsumerFailures, failures.len() as u64);
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

/// What a log line needs to know of a message, read leniently (a poison body has none).
#[derive(Debug, Default)]
struct Trace {
    correlation_id: String,
    event_id: String,
    detail_type: String,
}

impl Trace {
    fn of(body: &str) -> Trace {
        match Delivered::parse(body) {
            Ok(d) => Trace {
                correlation_id: d.correlation_id().unwrap_or_default().to_owned(),
                event_id: d.event_id().unwrap_or_default().to_owned(),
                detail_type: d.detail_type,
            },
            Err(_) => Trace::default(),
        }
    }
}

/// The EventBridge envelope as delivered to an SQS target (moto omits `account`, so it is
/// not read).
#[derive(Debug, Clone, Deserialize)]
pub struct Delivered {
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub detail: serde_json::Value,
}

impl Delivered {
    /// Parses a message body; an error means the message is poison.
    pub fn parse(body: &str) -> anyhow::Result<Delivered> {
        Ok(serde_json::from_str(body)?)
    }

    /// Whether this is a `T` (same source and detail-type).
    pub fn is<T: Event>(&self) -> bool {
        self.source == T::SOURCE && self.detail_type == T::DETAIL_TYPE
    }

    /// The typed event; an error means the message is poison for this consumer.
    pub fn decode<T: Event>(self) -> anyhow::Result<Envelope<T>> {
        anyhow::ensure!(
            self.is::<T>(),
            "expected {} from {}, got {} from {}",
            T::DETAIL_TYPE,
            T::SOURCE,
            self.detail_type,
            self.source
        );
        Ok(serde_json::from_value(self.detail)?)
    }

    pub fn correlation_id(&self) -> Option<&str> {
        self.detail.pointer("/metadata/correlation_id").and_then(serde_json::Value::as_str)
    }

    pub fn event_id(&self) -> Option<&str> {
        self.detail.pointer("/metadata/event_id").and_then(serde_json::Value::as_str)
    }
}

/// Decodes a message body delivered by an EventBridge rule into a typed event; an error
/// means the message is poison for this consumer.
pub fn decode<T: Event>(body: &str) -> anyhow::Result<Envelope<T>> {
    Delivered::parse(body)?.decode()
}

/// The body of an SQS message, or an error (poison) when it has none.
pub fn body(message: &SqsMessage) -> anyhow::Result<&str> {
    message.body.as_deref().ok_or_else(|| anyhow::anyhow!("message without a body"))
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
        let envelope = Envelope::new(
            UserRegistered { user_id: "u".into(), email: "e@x.io".into(), roles: vec![], verification: None },
            "c",
        );
        let body = serde_json::json!({
            "id": "1", "detail-type": "UserRegistered", "source": "bazaar.auth",
            "time": "2026-01-01T00:00:00Z", "detail": envelope,
        })
        .to_string();
        assert_eq!(decode::<UserRegistered>(&body).expect("decodes"), envelope);
        let wrong = body.replace("UserRegistered", "OrderPlaced");
        assert!(decode::<UserRegistered>(&wrong).is_err());
        assert!(decode::<UserRegistered>("{not json").is_err());
        let delivered = Delivered::parse(&body).expect("parses");
        assert!(delivered.is::<UserRegistered>());
        assert_eq!(delivered.correlation_id(), Some("c"));
        assert_eq!(delivered.event_id(), Some(envelope.metadata.event_id.to_string().as_str()));
    }
}

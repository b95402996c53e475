//! A batch of SQS messages through a consumer's handler: concurrently, each failed message
//! hidden for its backoff delay and reported failed.

use std::future::Future;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use tracing::Instrument;

use super::Delivered;
use crate::redelivery::{Receipt, Retries};

/// Runs `handler` on every message, at most `concurrency` at a time, and collects the ids
/// of those that failed; each failed message is first hidden for its backoff delay
/// ([`Retries::back_off`]), so that it comes back later after every receive. Each message is
/// handled inside a span carrying its message id and, when the body is a Bazaar event, the
/// flow's correlation id and the event id, so every line the handler logs can be joined to
/// the request that started the flow.
pub async fn process<F, Fut>(event: SqsEvent, retries: &Retries, concurrency: usize, handler: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let handler = &handler;
    let failures: Vec<String> = futures::stream::iter(event.records)
        .map(|message| async move {
            let id = message.message_id.clone().unwrap_or_default();
            let receipt = Receipt::of(&message);
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
                        retries.back_off(&receipt).await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redelivery::Backoff;

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
        // Hand-made records name no queue: nothing is sent to SQS (no endpoint is needed).
        let config = aws_types::SdkConfig::builder().build();
        let retries = Retries::new(aws_sdk_sqs::Client::new(&config), Backoff::DEFAULT);
        let response = process(event, &retries, 4, |m| async move {
            anyhow::ensure!(m.body.as_deref() == Some("ok"), "poison");
            Ok(())
        })
        .await;
        let ids: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(ids, vec!["m3"]);
    }
}

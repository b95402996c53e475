//! An SQS event source mapping: long-poll, batch up to `batch_size` within the batching
//! window, drop messages the filters reject, invoke, and delete what succeeded. Failed
//! messages are left alone: they come back after the visibility timeout, and moto moves
//! them to the DLQ once their receive count passes the redrive policy's maxReceiveCount.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageAttributeValue, MessageSystemAttributeName};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use super::{BatchOutcome, BatchReport, batch_outcome};
use crate::invoke::Invoker;
use crate::model::{REGION, SqsSource};
use crate::pattern;

/// SQS returns at most this many messages per ReceiveMessage.
const MAX_PER_RECEIVE: usize = 10;

/// Polls one queue for one function.
pub struct SqsPoller {
    binary: String,
    source: SqsSource,
    queue_url: String,
    queue_arn: String,
    sqs: aws_sdk_sqs::Client,
    invoker: Arc<dyn Invoker>,
    long_poll_seconds: i32,
}

impl SqsPoller {
    pub fn new(
        binary: &str,
        source: SqsSource,
        queue_url: String,
        queue_arn: String,
        sqs: aws_sdk_sqs::Client,
        invoker: Arc<dyn Invoker>,
    ) -> SqsPoller {
        SqsPoller { binary: binary.to_owned(), source, queue_url, queue_arn, sqs, invoker, long_poll_seconds: 20 }
    }

    /// How long one empty ReceiveMessage waits (20 s, the SQS maximum, by default).
    pub fn with_long_poll(mut self, seconds: i32) -> SqsPoller {
        self.long_poll_seconds = seconds.clamp(0, 20);
        self
    }

    fn source_name(&self) -> String {
        let queue = self.queue_arn.rsplit(':').next().unwrap_or(&self.queue_arn);
        format!("sqs:{queue}")
    }

    /// Polls forever, logging one line per invocation.
    pub async fn run(self) {
        loop {
            match self.poll_once().await {
                Ok(Some(report)) => report.log(),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!("{} <- {}: {error:#}", self.binary, self.source_name());
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// One receive–invoke–delete cycle. None when the queue stayed empty for a long poll
    /// or every message was filtered out.
    pub async fn poll_once(&self) -> anyhow::Result<Option<BatchReport>> {
        let messages = self.receive_batch().await?;
        let (matching, rejected): (Vec<Message>, Vec<Message>) =
            messages.into_iter().partition(|m| passes_filters(&self.source, m));
        // Lambda deletes messages that match no filter: they are consumed, not retried.
        self.delete(&rejected).await?;
        if matching.is_empty() {
            return Ok(None);
        }
        let records: Vec<Value> = matching.iter().map(|m| lambda_record(m, &self.queue_arn)).collect();
        let ids: Vec<String> = matching.iter().map(|m| m.message_id().unwrap_or_default().to_owned()).collect();
        let outcome = self.invoker.invoke(&self.binary, json!({ "Records": records })).await;
        let failed = match batch_outcome(&outcome, &ids, self.source.report_batch_item_failures) {
            BatchOutcome::Success => Vec::new(),
            BatchOutcome::Partial(failed) => failed,
            BatchOutcome::Failed => ids.clone(),
        };
        let succeeded: Vec<Message> =
            matching.into_iter().filter(|m| !failed.iter().any(|f| Some(f.as_str()) == m.message_id())).collect();
        self.delete(&succeeded).await?;
        Ok(Some(BatchReport {
            function: self.binary.clone(),
            source: self.source_name(),
            batch_size: ids.len(),
            failed: failed.len(),
        }))
    }

    /// Long-polls for a first message, then keeps receiving until the batch is full or the
    /// batching window (counted from the first message) has passed.
    async fn receive_batch(&self) -> anyhow::Result<Vec<Message>> {
        let target = usize::try_from(self.source.batch_size).unwrap_or(MAX_PER_RECEIVE).max(1);
        let mut messages = self.receive(target, self.long_poll_seconds).await?;
        if messages.is_empty() {
            return Ok(messages);
        }
        let window = Duration::from_secs(u64::from(self.source.maximum_batching_window_seconds));
        let deadline = Instant::now() + window;
        while messages.len() < target {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break;
            }
            let wait = i32::try_from(remaining.as_secs().min(20)).unwrap_or(20);
            match self.receive(target - messages.len(), wait).await {
                Ok(more) if more.is_empty() && wait == 0 => {
                    tokio::time::sleep(remaining.min(Duration::from_millis(200))).await;
                }
                Ok(more) => messages.extend(more),
                // Keep what is already in flight rather than lose it until its timeout.
                Err(error) => {
                    tracing::warn!("receiving from {}: {error:#}", self.source_name());
                    break;
                }
            }
        }
        Ok(messages)
    }

    async fn receive(&self, want: usize, wait_seconds: i32) -> anyhow::Result<Vec<Message>> {
        let max = i32::try_from(want.min(MAX_PER_RECEIVE)).unwrap_or(10);
        let output = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .with_context(|| format!("ReceiveMessage on {}", self.queue_url))?;
        Ok(output.messages.unwrap_or_default())
    }

    async fn delete(&self, messages: &[Message]) -> anyhow::Result<()> {
        for chunk in messages.chunks(MAX_PER_RECEIVE) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle().unwrap_or_default())
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .context("building DeleteMessageBatch entries")?;
            let output = self
                .sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .with_context(|| format!("DeleteMessageBatch on {}", self.queue_url))?;
            for failure in output.failed() {
                tracing::warn!("delete failed on {}: {:?}", self.source_name(), failure.message());
            }
        }
        Ok(())
    }
}

/// The Lambda SQS event record for one message of the queue `queue_arn`.
pub fn lambda_record(message: &Message, queue_arn: &str) -> Value {
    json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body().unwrap_or_default(),
        "attributes": system_attributes(message),
        "messageAttributes": message_attributes(message.message_attributes()),
        "md5OfBody": message.md5_of_body(),
        "md5OfMessageAttributes": message.md5_of_message_attributes(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    })
}

/// Whether `message` passes the event source's filters (Lambda deletes those that do not).
pub fn passes_filters(source: &SqsSource, message: &Message) -> bool {
    pattern::matches_any(&source.filters, &filter_view(message))
}

/// What filters see: the body (parsed when it is JSON) and the attributes, as in Lambda.
fn filter_view(message: &Message) -> Value {
    let body = message.body().unwrap_or_default();
    let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    json!({
        "body": body,
        "attributes": system_attributes(message),
        "messageAttributes": message_attributes(message.message_attributes()),
    })
}

fn system_attributes(message: &Message) -> Map<String, Value> {
    message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.clone())))
        .collect()
}

fn message_attributes(attributes: Option<&HashMap<String, MessageAttributeValue>>) -> Map<String, Value> {
    let encode = |blob: &aws_sdk_sqs::primitives::Blob| BASE64.encode(blob.as_ref());
    attributes
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let mut attribute = json!({
                "stringListValues": value.string_list_values(),
                "binaryListValues": value.binary_list_values().iter().map(encode).collect::<Vec<_>>(),
                "dataType": value.data_type(),
            });
            if let Some(s) = value.string_value() {
                attribute["stringValue"] = json!(s);
            }
            if let Some(b) = value.binary_value() {
                attribute["binaryValue"] = json!(encode(b));
            }
            (name.clone(), attribute)
        })
        .collect()
}

//! A test's SQS batch as Lambda hands it to a consumer from its queue: every record stands
//! for a real message of the function's queue in moto, so what the consumer does to a
//! failed message there (its backoff, ChangeMessageVisibility under its own role) happens
//! and can be watched.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_lambda_events::sqs::SqsEvent;
use aws_sdk_sqs::types::MessageSystemAttributeName;

use super::ServiceStack;

/// The messages behind a batch's records ([`ServiceStack::received`]).
#[derive(Debug, Clone)]
pub struct Received {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    /// The queue's visibility timeout: how long a message a consumer did not delay stays
    /// hidden.
    visibility_timeout: Duration,
    /// The record's message id, by the id of the message it stands for.
    records: BTreeMap<String, String>,
}

impl ServiceStack {
    /// Makes `batch` a batch Lambda could have handed `binary` from its queue: for each
    /// record a stand-in message is sent to the queue and received, and the record takes
    /// that message's receipt handle and attributes (`ApproximateReceiveCount` 1) and the
    /// queue's ARN. A record keeps its own message id and body: a hostile body may be larger
    /// than SQS accepts, and the consumer reads the record, not the queue.
    pub async fn received(&self, binary: &str, batch: &mut SqsEvent) -> anyhow::Result<Received> {
        let function = self.stack.functions.iter().find(|f| f.binary == binary).context("no such function")?;
        let source = function.sqs_sources.first().with_context(|| format!("{binary} consumes no queue"))?;
        let queue = self.stack.queue(&source.queue_logical_id).context("the source's queue")?;
        let (url, arn) = (
            self.provisioned.queue_urls.get(&queue.logical_id).context("the queue was not provisioned")?,
            self.provisioned.queue_arns.get(&queue.logical_id).context("the queue was not provisioned")?,
        );
        let sqs = aws_sdk_sqs::Client::new(&self.config);
        let mut records = BTreeMap::new();
        for record in &mut batch.records {
            let id = record.message_id.clone().unwrap_or_default();
            sqs.send_message().queue_url(url).message_body(format!("stands for {id}")).send().await?;
            let out = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(1)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await?;
            let message = out.messages().first().context("the stand-in was not received")?;
            record.receipt_handle = message.receipt_handle().map(str::to_owned);
            record.attributes = message
                .attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
                .collect();
            record.event_source_arn = Some(arn.clone());
            record.event_source = Some("aws:sqs".to_owned());
            record.aws_region = Some(crate::model::REGION.to_owned());
            records.insert(message.message_id().unwrap_or_default().to_owned(), id);
        }
        let visibility_timeout = Duration::from_secs(u64::from(queue.visibility_timeout_seconds));
        Ok(Received { sqs, queue_url: url.clone(), visibility_timeout, records })
    }
}

impl Received {
    /// Asserts that exactly the records `failed` come back to the queue, each for its
    /// second receive, and sooner than the queue's visibility timeout would have let them:
    /// the consumer hid each failed message for its backoff delay, and left the others (its
    /// poller deletes those) in flight.
    pub async fn assert_only_these_return(&self, failed: &[String]) {
        let mut expected: Vec<String> = failed.to_vec();
        expected.sort();
        let started = Instant::now();
        // Half the queue's timeout: a message back by then was delayed by the consumer.
        let deadline = started + self.visibility_timeout / 2;
        let mut returned = Vec::new();
        while returned.len() < expected.len() && Instant::now() < deadline {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .expect("ReceiveMessage");
            for message in out.messages() {
                let record = self.records.get(message.message_id().unwrap_or_default()).cloned().unwrap_or_default();
                let count =
                    message.attributes().and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount));
                assert_eq!(count.map(String::as_str), Some("2"), "{record} comes back for its second receive");
                returned.push(record);
            }
        }
        returned.sort();
        assert_eq!(
            returned,
            expected,
            "the failed records' messages, and only they, came back within {:?} (the queue's visibility \
             timeout is {:?})",
            started.elapsed(),
            self.visibility_timeout
        );
    }
}

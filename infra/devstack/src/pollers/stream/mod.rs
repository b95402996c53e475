//! A DynamoDB Streams event source mapping: reads every shard in order (following
//! NextShardIterator and discovering new shards), filters, batches within the batching
//! window, and applies Lambda's failure handling: retry from the lowest reported failed
//! sequence number, retry (optionally bisected) batches on function errors, and after
//! `maximum_retry_attempts` send an on-failure record to the destination queue and move on.

mod progress;
mod record;

pub use progress::StreamProgress;
pub use record::{FailedBatch, attribute_json, lambda_record, on_failure_record};

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use serde_json::{Value, json};

use super::{BatchOutcome, BatchReport, backoff, batch_outcome};
use crate::invoke::Invoker;
use crate::model::StreamSource;
use crate::pattern;
use record::sequence_number;

/// Reading state of one shard.
#[derive(Debug, Default)]
struct Shard {
    iterator: Option<String>,
    /// Filtered records read but not yet handled, in order.
    buffer: VecDeque<Value>,
    /// When the oldest buffered record was read (the batching window starts then).
    buffered_since: Option<Instant>,
    /// The shard has no more records to read (NextShardIterator was absent).
    closed: bool,
    /// Sequence number of the last record read (filtered or not), to resume after.
    last_read: Option<String>,
    /// Invocations of the current (failing) batch so far.
    attempts: u32,
    /// The batch size limit while bisecting.
    limit: Option<usize>,
    retry_at: Option<Instant>,
}

impl Shard {
    fn ready(&self, batch_size: usize, window: Duration, now: Instant) -> bool {
        let waited = self.buffered_since.is_some_and(|t| now.duration_since(t) >= window);
        !self.buffer.is_empty()
            && self.retry_at.is_none_or(|t| now >= t)
            && (self.buffer.len() >= batch_size || waited || self.closed)
    }

    fn take_front(&mut self, n: usize) -> Vec<Value> {
        let taken: Vec<Value> = self.buffer.drain(..n.min(self.buffer.len())).collect();
        if self.buffer.is_empty() {
            self.buffered_since = None;
        }
        taken
    }

    fn reset_retries(&mut self) {
        self.attempts = 0;
        self.limit = None;
        self.retry_at = None;
    }
}

/// Polls one table's stream for one function.
pub struct StreamPoller {
    binary: String,
    source: StreamSource,
    stream_arn: String,
    streams: aws_sdk_dynamodbstreams::Client,
    invoker: Arc<dyn Invoker>,
    on_failure: Option<(aws_sdk_sqs::Client, String)>,
    retry_backoff: Duration,
    shards: BTreeMap<String, Shard>,
    done: HashSet<String>,
    described: Option<Instant>,
    progress: Arc<StreamProgress>,
}

/// How often the stream is described again to find new shards.
const DESCRIBE_EVERY: Duration = Duration::from_secs(10);
/// Pause between polling rounds (Lambda polls a shard about four times a second).
const POLL_INTERVAL: Duration = Duration::from_millis(250);

impl StreamPoller {
    pub fn new(
        binary: &str,
        source: StreamSource,
        stream_arn: String,
        streams: aws_sdk_dynamodbstreams::Client,
        invoker: Arc<dyn Invoker>,
    ) -> StreamPoller {
        let progress = Arc::new(StreamProgress::new(format!("{binary} <- {}", source_name(&stream_arn))));
        StreamPoller {
            binary: binary.to_owned(),
            source,
            stream_arn,
            streams,
            invoker,
            on_failure: None,
            retry_backoff: Duration::from_millis(500),
            shards: BTreeMap::new(),
            done: HashSet::new(),
            described: None,
            progress,
        }
    }

    /// How far this poller has got; it is updated by every [`StreamPoller::poll_once`].
    pub fn progress(&self) -> Arc<StreamProgress> {
        self.progress.clone()
    }

    /// Where records given up on go (the destination queue's URL).
    pub fn with_on_failure(mut self, sqs: aws_sdk_sqs::Client, queue_url: Option<String>) -> Self {
        self.on_failure = queue_url.map(|url| (sqs, url));
        self
    }

    /// Base delay before retrying a failed batch (doubles per attempt, capped at 30 s).
    pub fn with_retry_backoff(mut self, base: Duration) -> Self {
        self.retry_backoff = base;
        self
    }

    fn source_name(&self) -> String {
        source_name(&self.stream_arn)
    }

    /// Polls forever, logging one line per invocation.
    pub async fn run(mut self) {
        loop {
            let pause = match self.poll_once().await {
                Ok(reports) => {
                    reports.iter().for_each(BatchReport::log);
                    POLL_INTERVAL
                }
                Err(error) => {
                    tracing::warn!("{} <- {}: {error:#}", self.binary, self.source_name());
                    // moto down or the stream gone: do not flood the console.
                    Duration::from_secs(2)
                }
            };
            tokio::time::sleep(pause).await;
        }
    }

    /// One round: find shards, read each once, and invoke every shard whose batch is ready.
    /// The round is recorded in [`StreamPoller::progress`], idle or not.
    pub async fn poll_once(&mut self) -> anyhow::Result<Vec<BatchReport>> {
        let round = self.progress.begin();
        let outcome = self.round().await;
        let idle = outcome.as_ref().is_ok_and(|(_, nothing_read)| *nothing_read)
            && self.shards.values().all(|s| s.buffer.is_empty());
        self.progress.finish(round, idle);
        outcome.map(|(reports, _)| reports)
    }

    /// [`StreamPoller::poll_once`]'s work, and whether no shard had a record to read.
    async fn round(&mut self) -> anyhow::Result<(Vec<BatchReport>, bool)> {
        if self.described.is_none_or(|t| t.elapsed() >= DESCRIBE_EVERY) {
            self.discover_shards().await?;
        }
        let mut reports = Vec::new();
        let mut nothing_read = true;
        let ids: Vec<String> = self.shards.keys().cloned().collect();
        for shard_id in ids {
            nothing_read &= self.read(&shard_id).await?;
            if let Some(report) = self.process(&shard_id).await? {
                reports.push(report);
            }
        }
        // A closed, fully handled shard is done (its children carry on); remember it so that
        // the next DescribeStream does not replay it.
        let done: Vec<String> =
            self.shards.iter().filter(|(_, s)| s.closed && s.buffer.is_empty()).map(|(id, _)| id.clone()).collect();
        for id in done {
            self.shards.remove(&id);
            self.done.insert(id);
        }
        Ok((reports, nothing_read))
    }

    async fn discover_shards(&mut self) -> anyhow::Result<()> {
        let first_time = self.described.is_none();
        let mut start: Option<String> = None;
        loop {
            let output = self
                .streams
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .with_context(|| format!("DescribeStream {}", self.stream_arn))?;
            let description = output.stream_description;
            for shard in description.as_ref().map(|d| d.shards()).unwrap_or_default() {
                let Some(id) = shard.shard_id() else { continue };
                if self.shards.contains_key(id) || self.done.contains(id) {
                    continue;
                }
                // Shards found later are children of ones already read: start at their start.
                let position = if first_time { self.source.starting_position.as_str() } else { "TRIM_HORIZON" };
                let iterator = self.iterator(id, position, None).await?;
                let shard = Shard { iterator, ..Shard::default() };
                self.shards.insert(id.to_owned(), shard);
            }
            start = description.and_then(|d| d.last_evaluated_shard_id);
            if start.is_none() {
                break;
            }
        }
        self.described = Some(Instant::now());
        Ok(())
    }

    async fn iterator(&self, shard_id: &str, position: &str, after: Option<&str>) -> anyhow::Result<Option<String>> {
        let output = self
            .streams
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(shard_id)
            .shard_iterator_type(ShardIteratorType::from(position))
            .set_sequence_number(after.map(str::to_owned))
            .send()
            .await
            .with_context(|| format!("GetShardIterator {shard_id} at {position}"))?;
        Ok(output.shard_iterator)
    }

    /// A fresh iterator after the last record read (iterators expire), or at the start.
    async fn recover_iterator(&mut self, shard_id: &str) -> anyhow::Result<()> {
        let last = self.shards.get(shard_id).and_then(|s| s.last_read.clone());
        let iterator = match &last {
            Some(seq) => self.iterator(shard_id, "AFTER_SEQUENCE_NUMBER", Some(seq)).await?,
            None => self.iterator(shard_id, &self.source.starting_position, None).await?,
        };
        if let Some(shard) = self.shards.get_mut(shard_id) {
            shard.iterator = iterator;
            shard.closed = shard.iterator.is_none();
        }
        Ok(())
    }

    /// Reads the next page of a shard into its buffer, dropping records the filters reject.
    /// True when the shard certainly had nothing new: the page was empty, or it is closed.
    async fn read(&mut self, shard_id: &str) -> anyhow::Result<bool> {
        let batch_size = self.batch_size();
        let Some(shard) = self.shards.get_mut(shard_id) else { return Ok(true) };
        let Some(iterator) = shard.iterator.clone() else {
            shard.closed = true;
            return Ok(true);
        };
        if shard.buffer.len() >= batch_size {
            return Ok(false);
        }
        let request = self.streams.get_records().shard_iterator(iterator).limit(1000);
        let output = match request.send().await {
            Ok(output) => output,
            Err(error) => {
                let error = anyhow::Error::from(error);
                tracing::warn!("GetRecords on {shard_id}: {error:#}; getting a new iterator");
                self.recover_iterator(shard_id).await?;
                return Ok(false);
            }
        };
        let records: Vec<Value> =
            output.records.unwrap_or_default().iter().map(|r| lambda_record(r, &self.stream_arn)).collect();
        let nothing_new = records.is_empty();
        let Some(shard) = self.shards.get_mut(shard_id) else { return Ok(nothing_new) };
        shard.iterator = output.next_shard_iterator;
        shard.closed = shard.iterator.is_none();
        if let Some(last) = records.last() {
            shard.last_read = Some(sequence_number(last).to_owned());
        }
        for record in records {
            if pattern::matches_any(&self.source.filters, &record) {
                shard.buffer.push_back(record);
                shard.buffered_since.get_or_insert_with(Instant::now);
            }
        }
        Ok(nothing_new)
    }

    fn batch_size(&self) -> usize {
        usize::try_from(self.source.batch_size).unwrap_or(100).max(1)
    }

    /// Invokes the shard's next batch if it is ready, and applies the outcome.
    async fn process(&mut self, shard_id: &str) -> anyhow::Result<Option<BatchReport>> {
        let batch_size = self.batch_size();
        let window = Duration::from_secs(u64::from(self.source.maximum_batching_window_seconds));
        let Some(shard) = self.shards.get(shard_id) else { return Ok(None) };
        if !shard.ready(batch_size, window, Instant::now()) {
            return Ok(None);
        }
        let n = shard.limit.unwrap_or(batch_size).min(shard.buffer.len());
        let batch: Vec<Value> = shard.buffer.iter().take(n).cloned().collect();
        let ids: Vec<String> = batch.iter().map(|r| sequence_number(r).to_owned()).collect();
        let outcome = self.invoker.invoke(&self.binary, json!({ "Records": batch })).await;
        let outcome = batch_outcome(&outcome, &ids, self.source.report_batch_item_failures);
        let failed = match &outcome {
            BatchOutcome::Success => 0,
            BatchOutcome::Partial(failed) => failed.len(),
            BatchOutcome::Failed => n,
        };
        self.apply(shard_id, n, &ids, outcome).await?;
        Ok(Some(BatchReport { function: self.binary.clone(), source: self.source_name(), batch_size: n, failed }))
    }

    async fn apply(&mut self, shard_id: &str, n: usize, ids: &[String], outcome: BatchOutcome) -> anyhow::Result<()> {
        let Some(shard) = self.shards.get_mut(shard_id) else { return Ok(()) };
        let (retry_from, function_error) = match outcome {
            BatchOutcome::Success => {
                shard.take_front(n);
                shard.reset_retries();
                return Ok(());
            }
            // Records before the lowest failed sequence number are done; retry from it.
            BatchOutcome::Partial(failed) => {
                let first = ids.iter().position(|id| failed.contains(id)).unwrap_or(0);
                (first, false)
            }
            BatchOutcome::Failed => (0, true),
        };
        shard.take_front(retry_from);
        shard.attempts += 1;
        let retries_left =
            self.source.maximum_retry_attempts < 0 || i64::from(shard.attempts) <= self.source.maximum_retry_attempts;
        if retries_left {
            if function_error && self.source.bisect_on_error && n > 1 {
                shard.limit = Some(n.div_ceil(2));
            }
            shard.retry_at = Some(Instant::now() + backoff(self.retry_backoff, shard.attempts));
            return Ok(());
        }
        let given_up = shard.take_front(n - retry_from);
        let invoke_count = shard.attempts;
        shard.reset_retries();
        let batch = FailedBatch {
            binary: &self.binary,
            stream_arn: &self.stream_arn,
            shard_id,
            records: &given_up,
            invoke_count,
            function_error,
        };
        self.send_on_failure(&batch).await
    }

    async fn send_on_failure(&self, batch: &FailedBatch<'_>) -> anyhow::Result<()> {
        let first = batch.records.first().map(sequence_number).unwrap_or_default();
        tracing::warn!(
            "{} <- {}: retries exhausted; skipping {} record(s) from sequence number {first}",
            self.binary,
            self.source_name(),
            batch.records.len()
        );
        let Some((sqs, queue_url)) = &self.on_failure else { return Ok(()) };
        sqs.send_message()
            .queue_url(queue_url)
            .message_body(on_failure_record(batch).to_string())
            .send()
            .await
            .with_context(|| format!("sending the on-failure record to {queue_url}"))?;
        Ok(())
    }
}

/// `dynamodb:<table>` for `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`.
fn source_name(stream_arn: &str) -> String {
    let table = stream_arn.split('/').nth(1).unwrap_or(stream_arn);
    format!("dynamodb:{table}")
}

//! Event delivery by hand. With [`SystemOptions::manual_delivery`](crate::SystemOptions)
//! no poller runs, and a test plays Lambda's event-source mappings itself, one step at a
//! time: [`Scheduler::pump`] hands every new outbox record of every table stream to its
//! publisher (which really calls EventBridge in moto, whose rules really fill the consumer
//! queues) and takes what arrived in the consumer queues into a pool of pending messages;
//! [`Scheduler::deliver`] then invokes one pending message's consumer, in any order the test
//! picks, and [`Scheduler::redeliver`] hands a message its consumer handled before to it again
//! (what SQS's at-least-once delivery may do). Nothing is faked: every step is the real
//! handler against moto through the real SDK; only the timing is the test's.

use std::sync::Arc;

use anyhow::Context as _;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use devstack::invoke::Invoker;
use devstack::model::{SqsSource, StreamSource};
use devstack::pollers::{BatchOutcome, batch_outcome, sqs, stream};
use serde_json::{Value, json};

use crate::System;
use crate::registry::Registry;

/// How often a message may fail before the scheduler calls it poison (Lambda's queues here
/// dead-letter after 5 receives).
pub const MAX_FAILURES: u32 = 5;

/// A message taken from a consumer queue, with the consumer it is for.
#[derive(Debug, Clone)]
pub struct Message {
    pub function: String,
    /// The EventBridge `detail-type` of its body (empty when it is not an event).
    pub detail_type: String,
    /// The Lambda SQS record handed to the function.
    pub record: Value,
    pub failures: u32,
}

/// An event a publisher put on the bus: its `detail-type` and `detail` (the envelope).
#[derive(Debug, Clone)]
pub struct Published {
    pub detail_type: String,
    pub detail: Value,
}

/// A rule of the bus: which consumer queues an event matching its pattern lands in.
struct Route {
    pattern: Value,
    queues: Vec<String>,
}

struct StreamCursor {
    function: String,
    source: StreamSource,
    stream_arn: String,
    /// One iterator per shard, at the next unread record (`None` once a shard is closed).
    iterators: Vec<Option<String>>,
}

struct QueueCursor {
    logical_id: String,
    function: String,
    source: SqsSource,
    url: String,
    arn: String,
}

pub struct Scheduler {
    registry: Arc<Registry>,
    sqs: aws_sdk_sqs::Client,
    streams: aws_sdk_dynamodbstreams::Client,
    stream_cursors: Vec<StreamCursor>,
    queues: Vec<QueueCursor>,
    routes: Vec<Route>,
    /// Queues an event was published to since they were last read.
    dirty: std::collections::BTreeSet<String>,
    /// Messages waiting for their consumer.
    pub pending: Vec<Message>,
    /// Messages their consumer handled (candidates for a redelivery).
    pub delivered: Vec<Message>,
    /// Every event published since the scheduler started (or [`Scheduler::forget`]).
    pub published: Vec<Published>,
}

impl Scheduler {
    /// Starts reading every table stream of `sys` at its trim horizon, so nothing written
    /// before is lost, and takes what is already queued.
    pub async fn new(sys: &System) -> anyhow::Result<Scheduler> {
        let streams = aws_sdk_dynamodbstreams::Client::new(&sys.config);
        let mut stream_cursors = Vec::new();
        let mut queues = Vec::new();
        for function in &sys.stack.functions {
            for source in &function.stream_sources {
                let arn = sys.provisioned.stream_arns.get(&source.table_logical_id).context("stream arn")?.clone();
                let iterators = shard_iterators(&streams, &arn).await?;
                stream_cursors.push(StreamCursor {
                    function: function.binary.clone(),
                    source: source.clone(),
                    stream_arn: arn,
                    iterators,
                });
            }
            for source in &function.sqs_sources {
                let id = &source.queue_logical_id;
                queues.push(QueueCursor {
                    logical_id: id.clone(),
                    function: function.binary.clone(),
                    source: source.clone(),
                    url: sys.provisioned.queue_urls.get(id).context("queue url")?.clone(),
                    arn: sys.provisioned.queue_arns.get(id).context("queue arn")?.clone(),
                });
            }
        }
        let routes = sys
            .stack
            .rules
            .iter()
            .map(|r| Route {
                pattern: r.event_pattern.clone(),
                queues: r.targets.iter().map(|t| t.queue_logical_id.clone()).collect(),
            })
            .collect();
        let mut scheduler = Scheduler {
            registry: sys.registry.clone(),
            sqs: aws_sdk_sqs::Client::new(&sys.config),
            streams,
            stream_cursors,
            dirty: queues.iter().map(|q| q.logical_id.clone()).collect(),
            queues,
            routes,
            pending: Vec::new(),
            delivered: Vec::new(),
            published: Vec::new(),
        };
        scheduler.collect().await?;
        scheduler.pump().await?;
        Ok(scheduler)
    }

    /// Forgets what was delivered and published so far (a new test case starts).
    pub fn forget(&mut self) {
        self.delivered.clear();
        self.published.clear();
    }

    /// Publishes every new outbox record and takes every message the bus queued, until
    /// nothing new appears.
    pub async fn pump(&mut self) -> anyhow::Result<()> {
        while self.publish().await? > 0 {
            self.collect().await?;
        }
        Ok(())
    }

    /// Hands pending message `index` to its consumer, then pumps. `false`: the consumer
    /// reported it failed; it stays pending (and counts a failure).
    pub async fn deliver(&mut self, index: usize) -> anyhow::Result<bool> {
        anyhow::ensure!(index < self.pending.len(), "no pending message {index}");
        let message = self.pending[index].clone();
        let ok = self.invoke(&message).await?;
        if ok {
            self.delivered.push(self.pending.remove(index));
        } else {
            self.pending[index].failures += 1;
            anyhow::ensure!(
                self.pending[index].failures < MAX_FAILURES,
                "{} failed {MAX_FAILURES} times on {}: {}",
                message.function,
                message.detail_type,
                message.record["body"]
            );
        }
        self.pump().await?;
        Ok(ok)
    }

    /// Hands delivered message `index` to its consumer again, then pumps.
    pub async fn redeliver(&mut self, index: usize) -> anyhow::Result<bool> {
        let message = self.delivered.get(index).cloned().context("no delivered message")?;
        let ok = self.invoke(&message).await?;
        self.pump().await?;
        Ok(ok)
    }

    /// Delivers every pending message, oldest first, until none is left.
    pub async fn drain(&mut self) -> anyhow::Result<()> {
        while !self.pending.is_empty() {
            self.deliver(0).await?;
        }
        Ok(())
    }

    /// The events of `detail_type` published so far.
    pub fn published_of(&self, detail_type: &str) -> impl Iterator<Item = &Value> {
        self.published.iter().filter(move |p| p.detail_type == detail_type).map(|p| &p.detail)
    }

    async fn invoke(&self, message: &Message) -> anyhow::Result<bool> {
        let id = message.record["messageId"].as_str().unwrap_or_default().to_owned();
        let report = self
            .queues
            .iter()
            .find(|q| q.function == message.function)
            .is_some_and(|q| q.source.report_batch_item_failures);
        let outcome = self.registry.invoke(&message.function, json!({ "Records": [message.record] })).await;
        Ok(batch_outcome(&outcome, &[id], report) == BatchOutcome::Success)
    }

    /// One read of every stream; new outbox records go to their publisher. How many records.
    async fn publish(&mut self) -> anyhow::Result<usize> {
        let mut total = 0;
        for c in 0..self.stream_cursors.len() {
            let records = self.read(c).await?;
            if records.is_empty() {
                continue;
            }
            total += records.len();
            let cursor = &self.stream_cursors[c];
            let batch_size = usize::try_from(cursor.source.batch_size).unwrap_or(100).max(1);
            for batch in records.chunks(batch_size) {
                let ids: Vec<String> = batch
                    .iter()
                    .map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap_or_default().to_owned())
                    .collect();
                let outcome = self.registry.invoke(&cursor.function, json!({ "Records": batch })).await;
                let outcome = batch_outcome(&outcome, &ids, cursor.source.report_batch_item_failures);
                anyhow::ensure!(outcome == BatchOutcome::Success, "{} failed: {outcome:?}", cursor.function);
                for record in batch {
                    let image = &record["dynamodb"]["NewImage"];
                    let detail = image["detail"]["S"].as_str().and_then(|d| serde_json::from_str(d).ok());
                    let (Some(source), Some(detail_type), Some(detail)) =
                        (image["source"]["S"].as_str(), image["detail_type"]["S"].as_str(), detail)
                    else {
                        continue;
                    };
                    let event = json!({ "source": source, "detail-type": detail_type, "detail": detail });
                    for route in self.routes.iter().filter(|r| devstack::pattern::matches(&r.pattern, &event)) {
                        self.dirty.extend(route.queues.iter().cloned());
                    }
                    self.published.push(Published { detail_type: detail_type.to_owned(), detail });
                }
            }
        }
        Ok(total)
    }

    /// The new records of cursor `c`'s stream that pass its filters.
    async fn read(&mut self, c: usize) -> anyhow::Result<Vec<Value>> {
        let mut records = Vec::new();
        let cursor = &mut self.stream_cursors[c];
        for iterator in cursor.iterators.iter_mut() {
            let Some(it) = iterator.clone() else { continue };
            let out = self.streams.get_records().shard_iterator(it).send().await.context("GetRecords")?;
            for record in out.records() {
                let record = stream::lambda_record(record, &cursor.stream_arn);
                if devstack::pattern::matches_any(&cursor.source.filters, &record) {
                    records.push(record);
                }
            }
            *iterator = out.next_shard_iterator;
        }
        Ok(records)
    }

    /// Takes every message waiting in a consumer queue an event was routed to into the pool
    /// (deleting it from the queue: the scheduler now decides when it is delivered).
    async fn collect(&mut self) -> anyhow::Result<()> {
        let dirty = std::mem::take(&mut self.dirty);
        for queue in self.queues.iter().filter(|q| dirty.contains(&q.logical_id)) {
            loop {
                let out = self
                    .sqs
                    .receive_message()
                    .queue_url(&queue.url)
                    .max_number_of_messages(10)
                    .wait_time_seconds(0)
                    .visibility_timeout(43_200)
                    .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
                    .send()
                    .await
                    .context("ReceiveMessage")?;
                let messages = out.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                for m in &messages {
                    self.sqs
                        .delete_message()
                        .queue_url(&queue.url)
                        .receipt_handle(m.receipt_handle().unwrap_or_default())
                        .send()
                        .await
                        .context("DeleteMessage")?;
                    if !sqs::passes_filters(&queue.source, m) {
                        continue;
                    }
                    let detail_type = serde_json::from_str::<Value>(m.body().unwrap_or_default())
                        .ok()
                        .and_then(|b| b["detail-type"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    self.pending.push(Message {
                        function: queue.function.clone(),
                        detail_type,
                        record: sqs::lambda_record(m, &queue.arn),
                        failures: 0,
                    });
                }
            }
        }
        Ok(())
    }
}

/// An iterator at the trim horizon of every shard of `stream_arn`.
async fn shard_iterators(
    streams: &aws_sdk_dynamodbstreams::Client,
    stream_arn: &str,
) -> anyhow::Result<Vec<Option<String>>> {
    let description = streams.describe_stream().stream_arn(stream_arn).send().await.context("DescribeStream")?;
    let mut iterators = Vec::new();
    for shard in description.stream_description().map(|d| d.shards()).unwrap_or_default() {
        let Some(id) = shard.shard_id() else { continue };
        let out = streams
            .get_shard_iterator()
            .stream_arn(stream_arn)
            .shard_id(id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .context("GetShardIterator")?;
        iterators.push(out.shard_iterator);
    }
    Ok(iterators)
}

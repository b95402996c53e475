//! The outbox publisher: turns a DynamoDB stream batch of outbox items into EventBridge
//! `PutEvents` calls (≤ 10 entries each) and reports the records that did not make it, so
//! Lambda retries from the first failed one. Nothing is acknowledged before EventBridge
//! accepted it; an entry that can never be sent ends in the on-failure destination.
//!
//! Entries EventBridge refuses in a PutEvents that succeeded (`FailedEntryCount`, an
//! `InternalFailure` or a throttle per entry) are sent again right away, just those, a few
//! times with a growing pause ([`ENTRY_ATTEMPTS`]): left to Lambda, a batch of a hundred
//! records would advance only to its first refused entry per retry, and with a tenth of
//! entries refused it would spend its ten retries before it got through.

use aws_lambda_events::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::outbox::{self, OutboxItem, PREFIX};

/// EventBridge accepts at most ten entries per PutEvents.
pub const MAX_ENTRIES: usize = 10;

/// PutEvents attempts for a refused entry within one invocation (the SDK's own retries of a
/// failed call come on top); pauses of 50, 100, 200 ms between them.
pub const ENTRY_ATTEMPTS: u32 = 4;

/// What every service's publisher function depends on: its crate re-exports this and
/// [`handler`], so the four publishers cannot drift apart.
pub struct Deps {
    pub events: Client,
    pub bus: String,
}

impl Deps {
    /// The bus named by `EVENT_BUS_NAME`.
    pub fn new(config: &aws_types::SdkConfig, env: &bazaar_runtime::config::Env) -> anyhow::Result<Deps> {
        Ok(Deps { events: Client::new(config), bus: env.required("EVENT_BUS_NAME")? })
    }
}

/// A publisher function's handler: the stream batch in, the failed records out.
pub async fn handler(
    deps: &Deps,
    event: lambda_runtime::LambdaEvent<StreamEvent>,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    Ok(publish(&deps.events, &deps.bus, event.payload).await)
}

/// Publishes every outbox record of `event` to `bus`; returns the failed records.
pub async fn publish(client: &Client, bus: &str, event: StreamEvent) -> DynamoDbEventResponse {
    let mut failed: Vec<String> = Vec::new();
    let mut ready: Vec<(String, OutboxItem)> = Vec::new();
    for record in event.records {
        let seq = sequence_number(&record);
        match decode(record) {
            Ok(Some(item)) => ready.push((seq, item)),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(sequence_number = %seq, error = %e, "poison outbox record");
                failed.push(seq);
            }
        }
    }
    for chunk in ready.chunks(MAX_ENTRIES) {
        failed.extend(put_chunk(client, bus, chunk).await);
    }
    response(failed)
}

/// The outbox item of a record, `None` for records that are not outbox inserts (a filter
/// normally keeps those away; they are acknowledged, not retried).
fn decode(record: EventRecord) -> anyhow::Result<Option<OutboxItem>> {
    if record.event_name != "INSERT" {
        return Ok(None);
    }
    let is_outbox = matches!(
        record.change.new_image.get("pk"),
        Some(serde_dynamo::AttributeValue::S(pk)) if pk.starts_with(PREFIX)
    );
    if !is_outbox {
        return Ok(None);
    }
    outbox::from_stream_image(record.change.new_image).map(Some)
}

/// Sends one chunk, sending refused entries again; returns the sequence numbers of the
/// entries EventBridge still refused.
async fn put_chunk(client: &Client, bus: &str, chunk: &[(String, OutboxItem)]) -> Vec<String> {
    let mut pending: Vec<&(String, OutboxItem)> = chunk.iter().collect();
    for attempt in 0..ENTRY_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(25 << attempt)).await;
        }
        match put_entries(client, bus, &pending).await {
            Some(refused) => pending = refused.into_iter().map(|i| pending[i]).collect(),
            // The call itself failed, after the SDK's retries: Lambda retries the records.
            None => break,
        }
        if pending.is_empty() {
            return Vec::new();
        }
    }
    pending.into_iter().map(|(seq, _)| seq.clone()).collect()
}

/// One PutEvents of `items`: the indices of the entries refused, or `None` when the call
/// failed as a whole.
async fn put_entries(client: &Client, bus: &str, items: &[&(String, OutboxItem)]) -> Option<Vec<usize>> {
    let entries: Vec<PutEventsRequestEntry> = items
        .iter()
        .map(|(_, item)| {
            PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(&item.source)
                .detail_type(&item.detail_type)
                .detail(&item.detail)
                .build()
        })
        .collect();
    match client.put_events().set_entries(Some(entries)).send().await {
        Ok(out) => {
            let refused = refused_entries(items, out.entries());
            for (i, (_, item)) in items.iter().enumerate() {
                if !refused.contains(&i) {
                    tracing::info!(event_id = %item.event_id, detail_type = %item.detail_type, "published");
                }
            }
            Some(refused)
        }
        Err(e) => {
            tracing::warn!(error = %aws_sdk_eventbridge::error::DisplayErrorContext(&e), "PutEvents failed");
            None
        }
    }
}

/// Result entries line up with request entries; the ones with an error code failed (and
/// any without a result).
fn refused_entries(
    items: &[&(String, OutboxItem)],
    results: &[aws_sdk_eventbridge::types::PutEventsResultEntry],
) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(i, _)| results.get(*i).is_none_or(|r| r.error_code().is_some()))
        .map(|(i, (_, item))| {
            let code = results.get(i).and_then(|r| r.error_code()).unwrap_or("missing result");
            tracing::warn!(event_id = %item.event_id, code, "entry refused by EventBridge");
            i
        })
        .collect()
}

fn sequence_number(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_else(|| record.event_id.clone())
}

fn response(failed: Vec<String>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|seq| {
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = Some(seq);
            f
        })
        .collect();
    response
}

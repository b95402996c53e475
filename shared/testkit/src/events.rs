//! Messages as the consumers receive them: SQS batches whose bodies are what an
//! EventBridge rule delivers, and the services' outboxes, read back and as the stream
//! batches their publishers receive.

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::outbox::OutboxItem;
use bazaar_events::{Envelope, Event};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;

pub mod hostile;

/// The body an EventBridge rule delivers to an SQS target for `envelope` (no `account`,
/// as moto does).
pub fn delivered<T: Event>(envelope: &Envelope<T>) -> String {
    json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": T::DETAIL_TYPE, "source": T::SOURCE,
        "time": envelope.metadata.occurred_at, "region": "us-east-1", "resources": [], "detail": envelope,
    })
    .to_string()
}

pub fn message(id: &str, body: &str) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.to_owned());
    m.body = Some(body.to_owned());
    m
}

/// An SQS batch of (message id, body).
pub fn batch(messages: impl IntoIterator<Item = (String, String)>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages.into_iter().map(|(id, body)| message(&id, &body)).collect();
    event
}

/// An SQS batch of one message per body, with ids m0, m1, ...
pub fn batch_of(bodies: &[String]) -> SqsEvent {
    batch(bodies.iter().enumerate().map(|(i, b)| (format!("m{i}"), b.clone())))
}

/// [`batch_of`] as the Lambda runtime hands it to a handler.
pub fn lambda_batch_of(bodies: &[String]) -> LambdaEvent<SqsEvent> {
    LambdaEvent::new(batch_of(bodies), Context::default())
}

/// The ids of the messages a consumer reported failed.
pub fn failed_ids(r: &SqsBatchResponse) -> Vec<String> {
    r.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect()
}

/// Every outbox item in `table` (a test-only scan, every page).
pub async fn outbox(config: &aws_types::SdkConfig, table: &str) -> Vec<OutboxItem> {
    let client = aws_sdk_dynamodb::Client::new(config);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .scan()
            .table_name(table)
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", aws_sdk_dynamodb::types::AttributeValue::S("OUTBOX#".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        items.extend(out.items().iter().map(|i| bazaar_aws::dynamo::from_item(i.clone()).expect("outbox item")));
        start = out.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// The DynamoDB stream batch Lambda would deliver to a publisher for outbox `items`: one
/// INSERT record each, in order.
pub fn stream_of(items: &[OutboxItem]) -> StreamEvent {
    let records: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let image: serde_dynamo::Item = serde_dynamo::to_item(item).expect("image");
            json!({ "eventID": format!("e{i}"), "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                    "dynamodb": { "ApproximateCreationDateTime": 0, "Keys": {}, "NewImage": image,
                                  "SequenceNumber": format!("{:020}", i + 1), "SizeBytes": 1, "StreamViewType": "NEW_AND_OLD_IMAGES" } })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("stream event")
}

/// The events of type `T` among outbox `items`, decoded.
pub fn of_type<T: Event>(items: Vec<OutboxItem>) -> Vec<Envelope<T>> {
    items
        .into_iter()
        .filter(|i| i.detail_type == T::DETAIL_TYPE)
        .map(|i| serde_json::from_str(&i.detail).expect("envelope"))
        .collect()
}

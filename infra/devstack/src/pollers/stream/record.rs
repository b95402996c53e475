//! DynamoDB Streams records in the JSON shapes Lambda uses: the event record a function
//! receives, and the on-failure record sent to a destination queue.

use std::collections::HashMap;

use aws_sdk_dynamodbstreams::primitives::Blob;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use crate::model::{ACCOUNT_ID, REGION};

/// A record as a Lambda DynamoDB event record (`eventVersion` "1.1", DynamoDB JSON values).
pub fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let mut dynamodb = Map::new();
    if let Some(stream) = record.dynamodb() {
        if let Some(time) = stream.approximate_creation_date_time() {
            dynamodb.insert("ApproximateCreationDateTime".into(), json!(time.secs()));
        }
        let images = [("Keys", stream.keys()), ("NewImage", stream.new_image()), ("OldImage", stream.old_image())];
        for (name, image) in images {
            if let Some(image) = image {
                dynamodb.insert(name.into(), item_json(image));
            }
        }
        dynamodb.insert("SequenceNumber".into(), json!(stream.sequence_number()));
        dynamodb.insert("SizeBytes".into(), json!(stream.size_bytes()));
        let view = stream.stream_view_type().map(|v| v.as_str());
        dynamodb.insert("StreamViewType".into(), json!(view));
    }
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str()),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region().unwrap_or(REGION),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

/// The record's sequence number in its Lambda JSON shape.
pub fn sequence_number(record: &Value) -> &str {
    record.pointer("/dynamodb/SequenceNumber").and_then(Value::as_str).unwrap_or_default()
}

fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect())
}

/// One attribute value in DynamoDB JSON (`{"S": "..."}`, `{"N": "1"}`, `{"M": {...}}`, ...).
pub fn attribute_json(value: &AttributeValue) -> Value {
    let b64 = |blob: &Blob| Value::String(BASE64.encode(blob.as_ref()));
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Ss(list) => json!({ "SS": list }),
        AttributeValue::Ns(list) => json!({ "NS": list }),
        AttributeValue::Bs(list) => json!({ "BS": list.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::M(map) => json!({ "M": item_json(map) }),
        AttributeValue::L(list) => json!({ "L": list.iter().map(attribute_json).collect::<Vec<_>>() }),
        AttributeValue::Null(is_null) => json!({ "NULL": is_null }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        _ => json!({}),
    }
}

/// What an on-failure record describes.
pub struct FailedBatch<'a> {
    pub binary: &'a str,
    pub stream_arn: &'a str,
    pub shard_id: &'a str,
    pub records: &'a [Value],
    pub invoke_count: u32,
    /// Whether the last attempt was a function error (rather than reported item failures).
    pub function_error: bool,
}

/// The on-failure destination record Lambda sends when retries are exhausted.
pub fn on_failure_record(batch: &FailedBatch<'_>) -> Value {
    let first = batch.records.first().map(sequence_number).unwrap_or_default();
    let last = batch.records.last().map(sequence_number).unwrap_or_default();
    let arrival = |record: Option<&Value>| {
        record
            .and_then(|r| r.pointer("/dynamodb/ApproximateCreationDateTime"))
            .and_then(Value::as_i64)
            .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    let mut response_context = json!({ "statusCode": 200, "executedVersion": "$LATEST" });
    if batch.function_error {
        response_context["functionError"] = json!("Unhandled");
    }
    json!({
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{}", batch.binary),
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": batch.invoke_count,
        },
        "responseContext": response_context,
        "version": "1.0",
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "DDBStreamBatchInfo": {
            "shardId": batch.shard_id,
            "startSequenceNumber": first,
            "endSequenceNumber": last,
            "approximateArrivalOfFirstRecord": arrival(batch.records.first()),
            "approximateArrivalOfLastRecord": arrival(batch.records.last()),
            "batchSize": batch.records.len(),
            "streamArn": batch.stream_arn,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};

    #[test]
    fn record_has_lambda_shape() {
        let stream = StreamRecord::builder()
            .keys("pk", AttributeValue::S("OUTBOX#1".into()))
            .new_image("pk", AttributeValue::S("OUTBOX#1".into()))
            .new_image("n", AttributeValue::N("3".into()))
            .new_image("tags", AttributeValue::L(vec![AttributeValue::Bool(true)]))
            .sequence_number("100")
            .size_bytes(42)
            .stream_view_type(StreamViewType::NewAndOldImages)
            .build();
        let record = Record::builder().event_id("e1").event_name(OperationType::Insert).dynamodb(stream).build();
        let json = lambda_record(&record, "arn:stream");
        assert_eq!(json["eventName"], "INSERT");
        assert_eq!(json["eventSource"], "aws:dynamodb");
        assert_eq!(json["dynamodb"]["NewImage"]["n"], json!({"N": "3"}));
        assert_eq!(json["dynamodb"]["NewImage"]["tags"], json!({"L": [{"BOOL": true}]}));
        assert_eq!(json["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
        assert_eq!(sequence_number(&json), "100");
        // lambda_runtime functions deserialize it with aws_lambda_events.
        let event = json!({ "Records": [json] });
        serde_json::from_value::<aws_lambda_events::event::dynamodb::Event>(event)
            .expect("aws_lambda_events reads the record");
    }
}

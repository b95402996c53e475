//! Hostile messages for the consumers: every way a body can be wrong (not JSON, not an
//! EventBridge delivery, another version, the wrong type, larger than EventBridge allows),
//! each made from a valid body so that only the one thing is wrong, and a batch that puts
//! them between two valid messages. A consumer must fail exactly these, and apply the rest.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use super::message;

/// How large the oversized body is: over EventBridge's 256 KiB entry limit.
pub const OVERSIZED_BYTES: usize = 300 * 1024;

/// The hostile variants of `valid` (a delivered body, [`super::delivered`]), each with a
/// name that says what is wrong with it. Where a variant still reads as the event (the
/// other version, the oversized one), applying it would have `valid`'s effect: a test that
/// checks that effect is absent also shows the variant was not applied.
pub fn hostile_bodies(valid: &str) -> Vec<(&'static str, String)> {
    let event: Value = serde_json::from_str(valid).expect("a valid delivered body");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = event.clone();
        change(&mut body);
        body.to_string()
    };
    vec![
        ("malformed-json", valid[..valid.len() / 2].to_owned()),
        ("nested-too-deep", "[".repeat(100_000)),
        ("not-a-delivery", event["detail"].to_string()),
        ("detail-not-an-envelope", with(&|b| b["detail"] = b["detail"]["data"].clone())),
        ("unknown-version", with(&|b| b["detail"]["metadata"]["version"] = 999.into())),
        ("wrong-detail-type", with(&|b| b["detail-type"] = "NoSuchEvent".into())),
        ("wrong-source", with(&|b| b["source"] = "bazaar.elsewhere".into())),
        ("oversized", with(&|b| b["padding"] = "x".repeat(OVERSIZED_BYTES).into())),
    ]
}

/// An SQS batch of `first`, every hostile variant of `template`, a message without a body
/// and `last`, with the message ids `valid-first`, the variants' names, `no-body` and
/// `valid-last`.
pub struct HostileBatch {
    pub batch: SqsEvent,
    /// The ids of the hostile messages: what the consumer must report failed.
    pub hostile: Vec<String>,
}

impl HostileBatch {
    pub fn new(first: &str, template: &str, last: &str) -> HostileBatch {
        let variants = hostile_bodies(template);
        let mut records = vec![message("valid-first", first)];
        records.extend(variants.iter().map(|(name, body)| message(name, body)));
        let mut no_body = SqsMessage::default();
        no_body.message_id = Some("no-body".to_owned());
        records.push(no_body);
        records.push(message("valid-last", last));
        let mut hostile: Vec<String> = variants.into_iter().map(|(name, _)| name.to_owned()).collect();
        hostile.push("no-body".to_owned());
        let mut batch = SqsEvent::default();
        batch.records = records;
        HostileBatch { batch, hostile }
    }

    /// The batch as the Lambda runtime hands it to a handler.
    pub fn lambda_event(&self) -> LambdaEvent<SqsEvent> {
        LambdaEvent::new(self.batch.clone(), Context::default())
    }

    /// Asserts that `response` reports every hostile message failed, each once, and no
    /// other.
    pub fn assert_only_hostile_failed(&self, response: &SqsBatchResponse) {
        let mut failed = super::failed_ids(response);
        failed.sort();
        let mut hostile = self.hostile.clone();
        hostile.sort();
        assert_eq!(failed, hostile, "the failed messages are exactly the hostile ones");
    }
}

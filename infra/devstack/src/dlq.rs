//! Dead-letter queues: list them with their depth, peek at what is in one, and redrive a
//! consumer DLQ back to its source queue. moto 5.2.5 has no `StartMessageMoveTask`, so the
//! redrive is done here the way SQS does it: receive, send to the source, delete.
//!
//! A DLQ is any queue another queue's RedrivePolicy, a rule target's DeadLetterConfig or a
//! stream source's OnFailure destination points at. Only the first kind has a source queue to
//! redrive to; the others hold event or stream-failure records to inspect and replay by hand.

use anyhow::{Context as _, bail};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};

use crate::model::Stack;
use crate::provision::Provisioned;

/// One dead-letter queue of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterQueue {
    pub logical_id: String,
    pub name: String,
    /// What sends to it: `queue <id>`, `rule <id>` or `stream <function>`.
    pub fed_by: Vec<String>,
    /// The queue whose failed messages it holds, when it is a queue's redrive target.
    pub source_queue: Option<String>,
}

/// Every DLQ of `stack`, in template order.
pub fn dead_letter_queues(stack: &Stack) -> Vec<DeadLetterQueue> {
    stack
        .queues
        .iter()
        .filter_map(|q| {
            let mut fed_by = Vec::new();
            let mut source_queue = None;
            for source in &stack.queues {
                if source.redrive.as_ref().is_some_and(|r| r.dlq_logical_id == q.logical_id) {
                    fed_by.push(format!("queue {}", source.logical_id));
                    source_queue = Some(source.logical_id.clone());
                }
            }
            for rule in &stack.rules {
                if rule.targets.iter().any(|t| t.dlq_logical_id.as_deref() == Some(q.logical_id.as_str())) {
                    fed_by.push(format!("rule {}", rule.logical_id));
                }
            }
            for function in &stack.functions {
                if function
                    .stream_sources
                    .iter()
                    .any(|s| s.on_failure_queue_logical_id.as_deref() == Some(q.logical_id.as_str()))
                {
                    fed_by.push(format!("stream {}", function.binary));
                }
            }
            (!fed_by.is_empty()).then(|| DeadLetterQueue {
                logical_id: q.logical_id.clone(),
                name: q.name.clone(),
                fed_by,
                source_queue,
            })
        })
        .collect()
}

/// A DLQ by logical id or physical name.
pub fn find<'a>(dlqs: &'a [DeadLetterQueue], wanted: &str) -> anyhow::Result<&'a DeadLetterQueue> {
    dlqs.iter().find(|d| d.logical_id == wanted || d.name == wanted).with_context(|| {
        let names: Vec<&str> = dlqs.iter().map(|d| d.logical_id.as_str()).collect();
        format!("{wanted} is not a dead-letter queue of the template; known: {}", names.join(", "))
    })
}

fn url<'a>(names: &'a Provisioned, logical_id: &str) -> anyhow::Result<&'a str> {
    names.queue_urls.get(logical_id).map(String::as_str).with_context(|| format!("{logical_id} is not provisioned"))
}

/// Approximate number of messages in a queue: waiting, or in flight (received and not yet
/// deleted; they come back when their visibility timeout ends, as after a failed redrive).
pub async fn depth(client: &Client, queue_url: &str) -> anyhow::Result<u64> {
    let counts =
        [QueueAttributeName::ApproximateNumberOfMessages, QueueAttributeName::ApproximateNumberOfMessagesNotVisible];
    let out = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .set_attribute_names(Some(counts.to_vec()))
        .send()
        .await
        .with_context(|| format!("reading the attributes of {queue_url}"))?;
    let count = |name| out.attributes().and_then(|a| a.get(name)).and_then(|c| c.parse::<u64>().ok()).unwrap_or(0);
    Ok(counts.iter().map(count).sum())
}

/// Up to `max` message bodies, left in the queue (received with a zero visibility timeout).
pub async fn peek(client: &Client, queue_url: &str, max: i32) -> anyhow::Result<Vec<String>> {
    let out = client
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(max.clamp(1, 10))
        .visibility_timeout(0)
        .send()
        .await
        .with_context(|| format!("receiving from {queue_url}"))?;
    Ok(out.messages().iter().filter_map(|m| m.body().map(str::to_owned)).collect())
}

/// Moves every message of `dlq` back to its source queue; returns how many moved. A message
/// is deleted from the DLQ only after the source queue accepted it, so a crash duplicates at
/// worst (consumers are idempotent) and never loses.
pub async fn redrive(client: &Client, names: &Provisioned, dlq: &DeadLetterQueue) -> anyhow::Result<usize> {
    let Some(source) = &dlq.source_queue else {
        bail!(
            "{} is fed by {}: it has no source queue to redrive to; inspect it with `dlq show`",
            dlq.logical_id,
            dlq.fed_by.join(", ")
        );
    };
    let (dlq_url, source_url) = (url(names, &dlq.logical_id)?, url(names, source)?);
    let mut moved = 0;
    loop {
        let out = client
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(60)
            .send()
            .await
            .with_context(|| format!("receiving from {dlq_url}"))?;
        let messages = out.messages();
        if messages.is_empty() {
            return Ok(moved);
        }
        let mut delete = Vec::new();
        for (i, message) in messages.iter().enumerate() {
            client
                .send_message()
                .queue_url(source_url)
                .message_body(message.body().unwrap_or_default())
                .set_message_attributes(message.message_attributes().cloned())
                .send()
                .await
                .with_context(|| format!("sending to {source_url}"))?;
            delete.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .build()?,
            );
        }
        moved += delete.len();
        let out = client
            .delete_message_batch()
            .queue_url(dlq_url)
            .set_entries(Some(delete))
            .send()
            .await
            .with_context(|| format!("deleting redriven messages from {dlq_url}"))?;
        if !out.failed().is_empty() {
            bail!("{} redriven messages could not be deleted from {dlq_url}", out.failed().len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{PlanOptions, plan_str};

    const TEMPLATE: &str = r#"
Resources:
  Bus: { Type: AWS::Events::EventBus, Properties: { Name: bus } }
  WorkDLQ: { Type: AWS::SQS::Queue, Properties: { QueueName: work-dlq } }
  DeliveryDLQ: { Type: AWS::SQS::Queue, Properties: { QueueName: delivery-dlq } }
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: work
      RedrivePolicy: { deadLetterTargetArn: !GetAtt WorkDLQ.Arn, maxReceiveCount: 5 }
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: { source: [x] }
      Targets:
        - { Id: q, Arn: !GetAtt Work.Arn, DeadLetterConfig: { Arn: !GetAtt DeliveryDLQ.Arn } }
"#;

    #[test]
    fn dead_letter_queues_are_found_with_what_feeds_them() {
        let opts = PlanOptions { moto_endpoint: "http://127.0.0.1:1".into(), ..Default::default() };
        let stack = plan_str(TEMPLATE, &opts).expect("plans");
        let dlqs = dead_letter_queues(&stack);
        let mut ids: Vec<&str> = dlqs.iter().map(|d| d.logical_id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["DeliveryDLQ", "WorkDLQ"]);
        let work = find(&dlqs, "WorkDLQ").expect("work dlq");
        assert_eq!(work.source_queue.as_deref(), Some("Work"));
        assert_eq!(work.fed_by, ["queue Work"]);
        let delivery = find(&dlqs, "DeliveryDLQ").expect("delivery dlq");
        assert_eq!(delivery.fed_by, ["rule Rule"]);
        assert!(delivery.source_queue.is_none());
        assert_eq!(find(&dlqs, "work-dlq").expect("by name").logical_id, "WorkDLQ");
        assert!(find(&dlqs, "Work").is_err());
    }
}

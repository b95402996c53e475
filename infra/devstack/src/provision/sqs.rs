//! SQS queues, dead-letter queues first so that a redrive policy can name its DLQ's ARN.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;

use super::{Provisioned, is_already_exists};
use crate::model::{Queue, Stack};

/// Creates every queue, each after its DLQ, recording URLs and ARNs.
pub(super) async fn ensure_queues(client: &Client, stack: &Stack, out: &mut Provisioned) -> anyhow::Result<()> {
    let mut pending: Vec<&Queue> = stack.queues.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = Vec::new();
        for queue in pending {
            let dlq_ready = queue.redrive.as_ref().is_none_or(|r| out.queue_arns.contains_key(&r.dlq_logical_id));
            if dlq_ready {
                ensure_queue(client, queue, out).await.with_context(|| format!("queue {}", queue.logical_id))?;
            } else {
                waiting.push(queue);
            }
        }
        anyhow::ensure!(waiting.len() < before, "redrive policies form a cycle or name unknown queues");
        pending = waiting;
    }
    Ok(())
}

fn attributes(queue: &Queue, out: &Provisioned) -> anyhow::Result<HashMap<QueueAttributeName, String>> {
    let mut attrs =
        HashMap::from([(QueueAttributeName::VisibilityTimeout, queue.visibility_timeout_seconds.to_string())]);
    if let Some(retention) = queue.message_retention_seconds {
        attrs.insert(QueueAttributeName::MessageRetentionPeriod, retention.to_string());
    }
    if queue.fifo {
        attrs.insert(QueueAttributeName::FifoQueue, "true".to_string());
        attrs.insert(QueueAttributeName::ContentBasedDeduplication, queue.content_based_deduplication.to_string());
    }
    if let Some(redrive) = &queue.redrive {
        let dlq_arn = out.queue_arns.get(&redrive.dlq_logical_id).context("DLQ not created")?;
        let policy = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": redrive.max_receive_count});
        attrs.insert(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    Ok(attrs)
}

async fn ensure_queue(client: &Client, queue: &Queue, out: &mut Provisioned) -> anyhow::Result<()> {
    let attrs = attributes(queue, out)?;
    let url = match client.create_queue().queue_name(&queue.name).set_attributes(Some(attrs.clone())).send().await {
        Ok(created) => created.queue_url.context("CreateQueue returned no URL")?,
        // It exists with other attributes (the template changed): bring it up to date.
        Err(err) if is_already_exists(&err) => {
            let url = client.get_queue_url().queue_name(&queue.name).send().await?.queue_url.context("no queue URL")?;
            let mut mutable = attrs;
            mutable.remove(&QueueAttributeName::FifoQueue);
            client.set_queue_attributes().queue_url(&url).set_attributes(Some(mutable)).send().await?;
            url
        }
        Err(err) => return Err(err.into()),
    };
    let arn = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .context("queue has no QueueArn")?;
    out.queue_urls.insert(queue.logical_id.clone(), url);
    out.queue_arns.insert(queue.logical_id.clone(), arn);
    Ok(())
}

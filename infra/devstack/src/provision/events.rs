//! EventBridge buses, rules and their SQS targets.

use anyhow::Context as _;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::{DeadLetterConfig, RetryPolicy, RuleState, Target};

use super::{Provisioned, tolerate_existing};
use crate::model::{Rule, Stack};

pub(super) async fn ensure_buses_and_rules(client: &Client, stack: &Stack, out: &Provisioned) -> anyhow::Result<()> {
    for bus in &stack.buses {
        let created = client.create_event_bus().name(&bus.name).send().await;
        tolerate_existing(created).with_context(|| format!("event bus {}", bus.logical_id))?;
    }
    for archive in &stack.archives {
        let source = format!(
            "arn:aws:events:{}:{}:event-bus/{}",
            crate::model::REGION,
            crate::model::ACCOUNT_ID,
            archive.bus_name
        );
        let created = client
            .create_archive()
            .archive_name(&archive.name)
            .event_source_arn(source)
            .set_retention_days(archive.retention_days)
            .send()
            .await;
        tolerate_existing(created).with_context(|| format!("archive {}", archive.logical_id))?;
    }
    for rule in &stack.rules {
        ensure_rule(client, rule, out).await.with_context(|| format!("rule {}", rule.logical_id))?;
    }
    Ok(())
}

/// PutRule and PutTargets replace what exists, so they are idempotent as they are.
async fn ensure_rule(client: &Client, rule: &Rule, out: &Provisioned) -> anyhow::Result<()> {
    client
        .put_rule()
        .name(&rule.name)
        .event_bus_name(&rule.bus_name)
        .event_pattern(rule.event_pattern.to_string())
        .state(RuleState::Enabled)
        .send()
        .await?;
    if rule.targets.is_empty() {
        return Ok(());
    }
    let arn_of = |id: &str| out.queue_arns.get(id).cloned().with_context(|| format!("queue {id} not provisioned"));
    let mut targets = Vec::new();
    for t in &rule.targets {
        let mut target = Target::builder().id(&t.id).arn(arn_of(&t.queue_logical_id)?);
        if let Some(dlq) = &t.dlq_logical_id {
            target = target.dead_letter_config(DeadLetterConfig::builder().arn(arn_of(dlq)?).build());
        }
        if t.maximum_retry_attempts.is_some() || t.maximum_event_age_seconds.is_some() {
            let retry = RetryPolicy::builder()
                .set_maximum_retry_attempts(t.maximum_retry_attempts)
                .set_maximum_event_age_in_seconds(t.maximum_event_age_seconds)
                .build();
            target = target.retry_policy(retry);
        }
        targets.push(target.build()?);
    }
    let put =
        client.put_targets().rule(&rule.name).event_bus_name(&rule.bus_name).set_targets(Some(targets)).send().await?;
    anyhow::ensure!(put.failed_entry_count == 0, "PutTargets failed: {:?}", put.failed_entries);
    Ok(())
}

//! Event source mappings run locally with Lambda's batch semantics: SQS queues, DynamoDB
//! Streams and `rate(...)` schedules, each invoking its function through an [`Invoker`].

pub mod schedule;
pub mod sqs;
pub mod stream;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::invoke::{InvokeOutcome, Invoker};
use crate::model::Stack;
use crate::provision::Provisioned;

pub use schedule::SchedulePoller;
pub use sqs::SqsPoller;
pub use stream::{StreamPoller, StreamProgress};

/// What one invocation of a batch did; logged as one console line.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchReport {
    pub function: String,
    /// `sqs:<queue>`, `dynamodb:<table>`, `schedule:rate(...)`.
    pub source: String,
    pub batch_size: usize,
    /// Records the function failed (all of them on a function error).
    pub failed: usize,
}

impl BatchReport {
    pub fn log(&self) {
        tracing::info!("{} <- {} batch={} failed={}", self.function, self.source, self.batch_size, self.failed);
    }
}

/// How a batch went, from the function's point of view.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOutcome {
    /// Every record succeeded.
    Success,
    /// The function reported these item identifiers as failed (ReportBatchItemFailures).
    Partial(Vec<String>),
    /// The function failed, or its response was unusable: the whole batch failed.
    Failed,
}

/// Reads an invocation's outcome for a batch whose records have the identifiers `ids`.
///
/// As Lambda: with ReportBatchItemFailures, a null/absent/empty `batchItemFailures` is full
/// success; an entry with an empty, missing or unknown `itemIdentifier`, or a response that
/// is not an object, fails the whole batch. Without it any normal return is success.
pub fn batch_outcome(
    outcome: &anyhow::Result<InvokeOutcome>,
    ids: &[String],
    report_item_failures: bool,
) -> BatchOutcome {
    let value = match outcome {
        Ok(InvokeOutcome::Ok(value)) => value,
        Ok(InvokeOutcome::FunctionError { error_type, .. }) => {
            tracing::warn!("function error ({error_type})");
            return BatchOutcome::Failed;
        }
        Err(error) => {
            tracing::error!("invoke failed: {error:#}");
            return BatchOutcome::Failed;
        }
    };
    if !report_item_failures {
        return BatchOutcome::Success;
    }
    match reported_failures(value, ids) {
        Some(failed) if failed.is_empty() => BatchOutcome::Success,
        Some(failed) => BatchOutcome::Partial(failed),
        None => {
            tracing::warn!("malformed batchItemFailures response; the whole batch failed");
            BatchOutcome::Failed
        }
    }
}

fn reported_failures(value: &Value, ids: &[String]) -> Option<Vec<String>> {
    let failures = match value {
        Value::Null => return Some(Vec::new()),
        Value::Object(map) => match map.get("batchItemFailures") {
            None | Some(Value::Null) => return Some(Vec::new()),
            Some(Value::Array(list)) => list,
            Some(_) => return None,
        },
        _ => return None,
    };
    let known: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut failed = Vec::new();
    for entry in failures {
        let id = entry.get("itemIdentifier")?.as_str()?;
        if !known.contains(id) {
            return None;
        }
        failed.push(id.to_owned());
    }
    Some(failed)
}

/// Starts a task for every SQS source, stream source and schedule of the stack. Dropping
/// (or aborting) the returned set stops them all. As Lambda's event source mappings do, a
/// function's pollers read its queue or stream, and send what failed to its on-failure
/// queue, with the function's own role (`names.credentials`; `config` gives the endpoint).
pub fn spawn_all(
    stack: &Stack,
    names: &Provisioned,
    config: &aws_types::SdkConfig,
    invoker: Arc<dyn Invoker>,
) -> anyhow::Result<JoinSet<()>> {
    Ok(spawn_watched(stack, names, config, invoker)?.tasks)
}

/// The pollers [`spawn_watched`] started.
pub struct Pollers {
    /// Dropping (or aborting) it stops every poller.
    pub tasks: JoinSet<()>,
    /// How far each stream poller has got.
    pub streams: Vec<Arc<StreamProgress>>,
}

/// [`spawn_all`], keeping every stream poller's progress for a caller that waits until the
/// pollers have caught up with what was written.
pub fn spawn_watched(
    stack: &Stack,
    names: &Provisioned,
    config: &aws_types::SdkConfig,
    invoker: Arc<dyn Invoker>,
) -> anyhow::Result<Pollers> {
    let roles = names.function_configs(config);
    let mut tasks = JoinSet::new();
    let mut progress = Vec::new();
    for function in &stack.functions {
        for schedule in &function.schedules {
            if let Some(poller) = SchedulePoller::new(&function.binary, schedule, invoker.clone()) {
                tasks.spawn(poller.run());
            }
        }
        if function.sqs_sources.is_empty() && function.stream_sources.is_empty() {
            continue;
        }
        let role = roles.of(&function.binary)?;
        let sqs = aws_sdk_sqs::Client::new(&role);
        let streams = aws_sdk_dynamodbstreams::Client::new(&role);
        for source in &function.sqs_sources {
            let id = &source.queue_logical_id;
            let url = lookup(&names.queue_urls, id, "queue url")?;
            let arn = lookup(&names.queue_arns, id, "queue arn")?;
            let poller = SqsPoller::new(&function.binary, source.clone(), url, arn, sqs.clone(), invoker.clone());
            tasks.spawn(poller.run());
        }
        for source in &function.stream_sources {
            let arn = lookup(&names.stream_arns, &source.table_logical_id, "stream arn")?;
            let on_failure = match &source.on_failure_queue_logical_id {
                Some(id) => Some(lookup(&names.queue_urls, id, "queue url")?),
                None => None,
            };
            let poller = StreamPoller::new(&function.binary, source.clone(), arn, streams.clone(), invoker.clone())
                .with_on_failure(sqs.clone(), on_failure);
            progress.push(poller.progress());
            tasks.spawn(poller.run());
        }
    }
    Ok(Pollers { tasks, streams: progress })
}

fn lookup(map: &BTreeMap<String, String>, id: &str, what: &str) -> anyhow::Result<String> {
    map.get(id).cloned().with_context(|| format!("no {what} for {id}: was it provisioned?"))
}

/// Backoff before retrying a failed batch: grows with the attempt, capped, so a poison
/// record does not spin the CPU while it waits for its retries to run out.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    (base * 2u32.saturating_pow(attempt.saturating_sub(1).min(6))).min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    fn outcome(value: Value) -> anyhow::Result<InvokeOutcome> {
        Ok(InvokeOutcome::Ok(value))
    }

    #[test]
    fn item_failures_follow_lambda_rules() {
        let ok = |v| batch_outcome(&outcome(v), &ids(), true);
        assert_eq!(ok(Value::Null), BatchOutcome::Success);
        assert_eq!(ok(json!({})), BatchOutcome::Success);
        assert_eq!(ok(json!({"batchItemFailures": []})), BatchOutcome::Success);
        assert_eq!(
            ok(json!({"batchItemFailures": [{"itemIdentifier": "b"}]})),
            BatchOutcome::Partial(vec!["b".into()])
        );
        assert_eq!(ok(json!({"batchItemFailures": [{"itemIdentifier": "zz"}]})), BatchOutcome::Failed);
        assert_eq!(ok(json!({"batchItemFailures": [{"itemIdentifier": null}]})), BatchOutcome::Failed);
        assert_eq!(ok(json!({"batchItemFailures": "b"})), BatchOutcome::Failed);
        assert_eq!(ok(json!("ok")), BatchOutcome::Failed);
    }

    #[test]
    fn without_reporting_any_return_is_success() {
        let value = json!({"batchItemFailures": [{"itemIdentifier": "a"}]});
        assert_eq!(batch_outcome(&outcome(value), &ids(), false), BatchOutcome::Success);
        let error = Ok(InvokeOutcome::FunctionError { error_type: "E".into(), error_message: "m".into() });
        assert_eq!(batch_outcome(&error, &ids(), false), BatchOutcome::Failed);
    }

    #[test]
    fn backoff_grows_and_caps() {
        let base = Duration::from_millis(500);
        assert_eq!(backoff(base, 1), base);
        assert_eq!(backoff(base, 2), base * 2);
        assert_eq!(backoff(base, 50), Duration::from_secs(30));
    }
}

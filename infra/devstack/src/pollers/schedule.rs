//! Scheduled functions: `rate(N unit)` expressions are run locally with an EventBridge
//! "Scheduled Event"; `cron(...)` expressions are only reported (not run locally).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::BatchReport;
use crate::invoke::{InvokeOutcome, Invoker};
use crate::model::{ACCOUNT_ID, REGION, Schedule};

/// Invokes one function on a fixed rate.
pub struct SchedulePoller {
    binary: String,
    expression: String,
    every: Duration,
    invoker: Arc<dyn Invoker>,
}

impl SchedulePoller {
    /// None (after saying why) for disabled, `cron(...)` or unreadable schedules.
    pub fn new(binary: &str, schedule: &Schedule, invoker: Arc<dyn Invoker>) -> Option<Self> {
        let expression = schedule.expression.trim();
        if !schedule.enabled {
            tracing::info!("{binary}: schedule {expression} is disabled");
            return None;
        }
        if expression.starts_with("cron(") {
            tracing::info!("{binary}: schedule {expression} is not run locally (cron); invoke it by hand");
            return None;
        }
        match parse_rate(expression) {
            Ok(every) => {
                Some(SchedulePoller { binary: binary.to_owned(), expression: expression.to_owned(), every, invoker })
            }
            Err(problem) => {
                tracing::warn!("{binary}: schedule {expression} ignored: {problem}");
                None
            }
        }
    }

    /// Like EventBridge, the first run is one period after start.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + self.every, self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            self.fire().await.log();
        }
    }

    /// Invokes the function once with a Scheduled Event.
    pub async fn fire(&self) -> BatchReport {
        let event = scheduled_event(&self.binary);
        let failed = match self.invoker.invoke(&self.binary, event).await {
            Ok(InvokeOutcome::Ok(_)) => 0,
            Ok(InvokeOutcome::FunctionError { error_type, .. }) => {
                tracing::warn!("{}: scheduled run failed ({error_type})", self.binary);
                1
            }
            Err(error) => {
                tracing::error!("{}: scheduled run not invoked: {error:#}", self.binary);
                1
            }
        };
        BatchReport {
            function: self.binary.clone(),
            source: format!("schedule:{}", self.expression),
            batch_size: 1,
            failed,
        }
    }
}

/// The event EventBridge Scheduler/rules send to a scheduled function.
pub fn scheduled_event(binary: &str) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{binary}-schedule")],
        "detail": {},
    })
}

/// `rate(1 minute)`, `rate(5 minutes)`, `rate(2 hours)`, `rate(1 day)`.
pub fn parse_rate(expression: &str) -> Result<Duration, String> {
    let inner =
        expression.strip_prefix("rate(").and_then(|e| e.strip_suffix(')')).ok_or("not a rate(...) expression")?;
    let (value, unit) = inner.trim().split_once(char::is_whitespace).ok_or("expected `rate(<value> <unit>)`")?;
    let value: u64 = value.parse().map_err(|_| format!("{value:?} is not a positive whole number"))?;
    if value == 0 {
        return Err("the rate must be positive".into());
    }
    let seconds = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        other => return Err(format!("unknown unit {other:?}")),
    };
    Ok(Duration::from_secs(value * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!(parse_rate("rate(1 minute)"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_rate("rate(5 minutes)"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_rate("rate(2 hours)"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_rate("rate(1 day)"), Ok(Duration::from_secs(86_400)));
        assert!(parse_rate("rate(0 minutes)").is_err());
        assert!(parse_rate("rate(5 weeks)").is_err());
        assert!(parse_rate("cron(0 12 * * ? *)").is_err());
    }

    #[test]
    fn scheduled_event_shape() {
        let event = scheduled_event("fn");
        assert_eq!(event["detail-type"], "Scheduled Event");
        assert_eq!(event["source"], "aws.events");
        assert_eq!(event["resources"][0], "arn:aws:events:us-east-1:123456789012:rule/fn-schedule");
    }
}

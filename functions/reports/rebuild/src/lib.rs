//! `reports-rebuild`, invoked by hand with `{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}`:
//! rebuilds what the events that occurred on those (UTC) days added to the reports.
//!
//! 1. Clears the period ([`ReportsStore::clear_period`]): every inbox marker of those days
//!    is subtracted and deleted, and report items left holding no event are deleted.
//! 2. Starts an EventBridge replay of the bus archive into the reports rule only, for the
//!    period widened by `REPLAY_MARGIN_MINUTES` on both sides (an event reaches the bus a
//!    little after it occurred) and ending no later than now. Events outside the period
//!    that the margin brings along still have their markers, so they change nothing.
//!
//! The replay runs asynchronously: the period's numbers return as reports-on-event
//! consumes it. If step 2 fails, invoke again (step 1 then finds nothing left to clear).
//! Answers `{"from", "to", "cleared": {"markers", "items_deleted"}, "replay": {"name",
//! "arn", "state", "event_start_time", "event_end_time"}}`.

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::ReplayDestination;
use aws_smithy_types::DateTime as SmithyTime;
use bazaar_runtime::config::Env;
use chrono::{DateTime, Duration, Utc};
use lambda_runtime::LambdaEvent;
use reports_core::query::period;
use reports_core::store::Cleared;
use reports_core::{Period, ReportsStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub struct Deps {
    pub store: ReportsStore,
    pub events: aws_sdk_eventbridge::Client,
    /// `REPORTS_ARCHIVE_ARN`: the bus archive replays come from.
    pub archive_arn: String,
    /// `EVENT_BUS_ARN`: the bus the archive belongs to (a replay goes back to it).
    pub bus_arn: String,
    /// `REPORTS_RULE_ARN`: the rule feeding reports-on-event; the only one replayed to.
    pub rule_arn: String,
    /// `REPLAY_MARGIN_MINUTES` (default 60): how far the replay window reaches past the
    /// period on each side.
    pub margin: Duration,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: ReportsStore::from_env(config, env)?,
            events: aws_sdk_eventbridge::Client::new(config),
            archive_arn: env.required("REPORTS_ARCHIVE_ARN")?,
            bus_arn: env.required("EVENT_BUS_ARN")?,
            rule_arn: env.required("REPORTS_RULE_ARN")?,
            margin: Duration::minutes(env.parsed_or("REPLAY_MARGIN_MINUTES", 60i64)?),
        })
    }
}

/// The invocation payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RebuildRequest {
    pub from: String,
    pub to: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The payload is not a valid period, or the period has not begun yet.
    #[error("invalid rebuild request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub name: String,
    pub arn: Option<String>,
    pub state: Option<String>,
    pub event_start_time: DateTime<Utc>,
    pub event_end_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rebuilt {
    pub from: String,
    pub to: String,
    pub cleared: Cleared,
    pub replay: Replay,
}

pub async fn handler(deps: &Deps, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let rebuilt = rebuild(deps, event.payload, Utc::now()).await?;
    Ok(serde_json::to_value(rebuilt)?)
}

/// The period of a payload, checked before anything is touched.
pub fn parse(payload: Value) -> Result<Period, RebuildError> {
    let request: RebuildRequest = serde_json::from_value(payload).map_err(|e| RebuildError::Invalid(e.to_string()))?;
    period(Some(&request.from), Some(&request.to)).map_err(|e| RebuildError::Invalid(e.to_string()))
}

/// The replay window of `period`: from its first midnight to the midnight after it,
/// widened by `margin` on both sides, ending no later than `now`.
pub fn window(
    period: Period,
    margin: Duration,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), RebuildError> {
    let start = period.from.start() - margin;
    let end = period.to.next().map_or(now, |d| d.start() + margin).min(now);
    if end <= start {
        return Err(RebuildError::Invalid("the period has not begun yet".to_owned()));
    }
    Ok((start, end))
}

pub async fn rebuild(deps: &Deps, payload: Value, now: DateTime<Utc>) -> Result<Rebuilt, RebuildError> {
    let period = parse(payload)?;
    let (start, end) = window(period, deps.margin, now)?;
    let cleared = deps.store.clear_period(period).await?;
    tracing::info!(from = %period.from, to = %period.to, markers = cleared.markers, items_deleted = cleared.items_deleted, "period cleared");
    let name = format!("reports-{}-{}-{}", period.from, period.to, &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let out = deps
        .events
        .start_replay()
        .replay_name(&name)
        .description(format!("reports rebuild of {}..{}", period.from, period.to))
        .event_source_arn(&deps.archive_arn)
        .event_start_time(SmithyTime::from_millis(start.timestamp_millis()))
        .event_end_time(SmithyTime::from_millis(end.timestamp_millis()))
        .destination(
            ReplayDestination::builder()
                .arn(&deps.bus_arn)
                .filter_arns(&deps.rule_arn)
                .build()
                .map_err(anyhow::Error::from)?,
        )
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "the period is cleared but the replay did not start (invoke again): {}",
                DisplayErrorContext(e)
            )
        })?;
    tracing::info!(replay = %name, %start, %end, "replay started");
    Ok(Rebuilt {
        from: period.from.to_string(),
        to: period.to.to_string(),
        cleared,
        replay: Replay {
            name,
            arn: out.replay_arn,
            state: out.state.map(|s| s.as_str().to_owned()),
            event_start_time: start,
            event_end_time: end,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn payloads_must_be_exactly_a_valid_period() {
        assert!(parse(json!({ "from": "2026-11-01", "to": "2026-11-30" })).is_ok());
        for bad in [
            json!({ "from": "2026-11-01" }),
            json!({ "from": "2026-11-01", "to": "2026-11-30", "force": true }),
            json!({ "from": "2026-11-30", "to": "2026-11-01" }),
            json!({ "from": "2026-11-01", "to": "2027-11-30" }),
            json!({ "from": "1/11/2026", "to": "2026-11-30" }),
            json!("2026-11-01"),
        ] {
            assert!(matches!(parse(bad.clone()), Err(RebuildError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn the_window_covers_the_period_with_margins_and_never_the_future() {
        let period = parse(json!({ "from": "2026-11-01", "to": "2026-11-02" })).expect("period");
        let (start, end) = window(period, Duration::minutes(60), at("2026-12-01T00:00:00Z")).expect("window");
        assert_eq!(start, at("2026-10-31T23:00:00Z"));
        assert_eq!(end, at("2026-11-03T01:00:00Z"));
        let (_, end) = window(period, Duration::minutes(60), at("2026-11-02T12:00:00Z")).expect("today");
        assert_eq!(end, at("2026-11-02T12:00:00Z"));
        let future = window(period, Duration::minutes(60), at("2026-10-30T00:00:00Z"));
        assert!(matches!(future, Err(RebuildError::Invalid(_))));
    }
}

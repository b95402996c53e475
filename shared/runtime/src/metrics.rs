//! Business and health metrics in CloudWatch's Embedded Metric Format (EMF): each count is
//! one JSON object printed on its own line, which CloudWatch Logs turns into a metric in the
//! `Bazaar` namespace. No API call, no added latency, nothing to configure per function.
//!
//! Counts are emitted after the state change they count was committed, so a redelivered
//! event (which changes nothing) is not counted twice. Business metrics carry the `Stage`
//! dimension; `ConsumerFailures` also carries `Function` (which consumer is failing).
//!
//! Where the lines go: stdout (what Lambda ships to CloudWatch Logs), and also appended to
//! the file named by `BAZAAR_METRICS_FILE` when it is set (the devstack sets it, so
//! `make metrics` can add them up). Tests may [`capture`] them instead.

use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

/// The CloudWatch namespace of every Bazaar metric.
pub const NAMESPACE: &str = "Bazaar";

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    OrdersPlaced,
    OrdersPaid,
    OrdersCancelled,
    OrdersRejected,
    PaymentsSucceeded,
    PaymentsFailed,
    PaymentsRefunded,
    BookingsRequested,
    BookingsConfirmed,
    BookingsCancelled,
    /// Messages a consumer handed back to its queue (they are retried, then dead-lettered).
    ConsumerFailures,
}

impl Metric {
    pub const ALL: [Metric; 11] = [
        Metric::OrdersPlaced,
        Metric::OrdersPaid,
        Metric::OrdersCancelled,
        Metric::OrdersRejected,
        Metric::PaymentsSucceeded,
        Metric::PaymentsFailed,
        Metric::PaymentsRefunded,
        Metric::BookingsRequested,
        Metric::BookingsConfirmed,
        Metric::BookingsCancelled,
        Metric::ConsumerFailures,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::OrdersPlaced => "OrdersPlaced",
            Metric::OrdersPaid => "OrdersPaid",
            Metric::OrdersCancelled => "OrdersCancelled",
            Metric::OrdersRejected => "OrdersRejected",
            Metric::PaymentsSucceeded => "PaymentsSucceeded",
            Metric::PaymentsFailed => "PaymentsFailed",
            Metric::PaymentsRefunded => "PaymentsRefunded",
            Metric::BookingsRequested => "BookingsRequested",
            Metric::BookingsConfirmed => "BookingsConfirmed",
            Metric::BookingsCancelled => "BookingsCancelled",
            Metric::ConsumerFailures => "ConsumerFailures",
        }
    }

    /// Whether the metric is broken down by function as well as by stage.
    fn per_function(self) -> bool {
        self == Metric::ConsumerFailures
    }
}

/// The EMF line of `value` counts of `metric` at `timestamp_ms`, for `stage` and `function`.
pub fn line(metric: Metric, value: u64, stage: &str, function: &str, timestamp_ms: i64) -> String {
    let dimensions: Vec<&str> = if metric.per_function() { vec!["Stage", "Function"] } else { vec!["Stage"] };
    let mut doc = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions],
                "Metrics": [{ "Name": metric.name(), "Unit": "Count" }],
            }],
        },
        "Stage": stage,
        metric.name(): value,
    });
    if metric.per_function() {
        doc["Function"] = serde_json::Value::from(function);
    }
    doc.to_string()
}

type Sink = Arc<dyn Fn(&str) + Send + Sync>;

fn sink() -> &'static Mutex<Option<Sink>> {
    static SINK: OnceLock<Mutex<Option<Sink>>> = OnceLock::new();
    SINK.get_or_init(|| Mutex::new(None))
}

/// Counts `value` of `metric` now (nothing for 0).
pub fn count(metric: Metric, value: u64) {
    if value == 0 {
        return;
    }
    let stage = std::env::var("STAGE").unwrap_or_else(|_| "local".to_owned());
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "unknown".to_owned());
    let text = line(metric, value, &stage, &function, chrono_millis());
    let captured = sink().lock().ok().and_then(|s| s.clone());
    match captured {
        Some(sink) => sink(&text),
        None => write(&text),
    }
}

fn chrono_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn write(text: &str) {
    // println!, not a raw stdout handle: in tests the harness captures it.
    println!("{text}");
    if let Ok(path) = std::env::var("BAZAAR_METRICS_FILE")
        && let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path)
    {
        let _ = writeln!(file, "{text}");
    }
}

/// Every metric line emitted in this process from now on, instead of stdout (tests).
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<String>>>);

impl Captured {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The sum of every captured count of `metric`.
    pub fn total(&self, metric: Metric) -> u64 {
        self.lines()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v[metric.name()].as_u64())
            .sum()
    }
}

/// Redirects every metric of this process into the returned buffer.
pub fn capture() -> Captured {
    let captured = Captured::default();
    let buffer = captured.0.clone();
    if let Ok(mut s) = sink().lock() {
        *s = Some(Arc::new(move |line: &str| {
            if let Ok(mut lines) = buffer.lock() {
                lines.push(line.to_owned());
            }
        }));
    }
    captured
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_valid_embedded_metric_format() {
        let v: serde_json::Value =
            serde_json::from_str(&line(Metric::OrdersPaid, 2, "prod", "fn", 1_700_000_000_000)).expect("json");
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        assert_eq!(directive["Namespace"], "Bazaar");
        assert_eq!(directive["Dimensions"], serde_json::json!([["Stage"]]));
        assert_eq!(directive["Metrics"], serde_json::json!([{ "Name": "OrdersPaid", "Unit": "Count" }]));
        // Every dimension and metric named in the directive is a top-level member.
        assert_eq!((v["Stage"].as_str(), v["OrdersPaid"].as_u64()), (Some("prod"), Some(2)));
        assert!(v.get("Function").is_none());
    }

    #[test]
    fn consumer_failures_are_per_function() {
        let v: serde_json::Value =
            serde_json::from_str(&line(Metric::ConsumerFailures, 1, "dev", "orders-on-stock", 1)).expect("json");
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"], serde_json::json!([["Stage", "Function"]]));
        assert_eq!(v["Function"], "orders-on-stock");
    }

    #[test]
    fn names_are_distinct() {
        let names: std::collections::BTreeSet<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
    }
}

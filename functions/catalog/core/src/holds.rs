//! Stock holds, pure part: the lines an order reserves (same product summed), which lines
//! are short, and the time keys the expiry index sorts by.

use std::collections::BTreeMap;

use bazaar_events::Money;
use bazaar_events::catalog::{ShortLine, StockLine};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// An order has at most 25 lines (orders-place enforces it); a transaction takes 100 items,
/// of which the hold, the marker and the event use three.
pub const MAX_LINES: usize = 97;
/// The expiry index partition of holds still `HELD` (removed once released or settled).
pub const HELD_PARTITION: &str = "HOLD#HELD";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HoldStatus {
    /// Units are taken from stock for the order.
    Held,
    /// The order was paid: the units are sold.
    Settled,
    /// The units went back to stock (order cancelled, payment failed or hold expired).
    Released,
    /// The order was cancelled before any hold existed; a late `OrderPlaced` reserves nothing.
    Void,
}

/// The hold of one order (`HOLD#<order id>/HOLD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub order_id: String,
    pub customer_id: String,
    pub lines: Vec<StockLine>,
    pub total: Option<Money>,
    pub status: HoldStatus,
    /// The flow that placed the order: events about the hold carry it.
    pub correlation_id: String,
    /// When an unpaid hold may be released (also the expiry index's sort key). Not the
    /// table's TTL attribute: DynamoDB would delete the hold before its units came back.
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The lines to reserve: quantities of the same product summed, zero lines dropped, in
/// product id order (a stable transaction layout).
pub fn sum_lines<'a>(lines: impl IntoIterator<Item = (&'a str, u32)>) -> Vec<StockLine> {
    let mut sums: BTreeMap<&str, u32> = BTreeMap::new();
    for (product_id, quantity) in lines {
        let sum = sums.entry(product_id).or_insert(0);
        *sum = sum.saturating_add(quantity);
    }
    sums.into_iter()
        .filter(|(_, q)| *q > 0)
        .map(|(product_id, quantity)| StockLine { product_id: product_id.to_owned(), quantity })
        .collect()
}

/// What a product offers a reservation: its stock when active, nothing otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    pub active: bool,
    pub stock: u32,
}

/// The lines that cannot be reserved; `available` is 0 for unknown or deleted products.
pub fn short_lines(lines: &[StockLine], available: &BTreeMap<String, Availability>) -> Vec<ShortLine> {
    lines
        .iter()
        .filter_map(|line| {
            let units = available.get(&line.product_id).filter(|a| a.active).map_or(0, |a| a.stock);
            (units < line.quantity).then(|| ShortLine {
                product_id: line.product_id.clone(),
                requested: line.quantity,
                available: units,
            })
        })
        .collect()
}

/// A fixed-width UTC timestamp, so that keys sort as the times they stand for.
pub fn time_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Holds whose `hold_expires_at` sorts before this key are released: `grace_seconds` after
/// expiry, so events already in flight (a payment just before the deadline) land first.
pub fn expiry_cutoff(now: DateTime<Utc>, grace_seconds: i64) -> String {
    time_key(now - chrono::Duration::seconds(grace_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_product_twice_is_one_summed_line() {
        let lines = sum_lines([("b", 2), ("a", 1), ("b", 3), ("c", 0)]);
        assert_eq!(
            lines,
            [StockLine { product_id: "a".into(), quantity: 1 }, StockLine { product_id: "b".into(), quantity: 5 }]
        );
        assert_eq!(sum_lines([("a", u32::MAX), ("a", 1)])[0].quantity, u32::MAX);
    }

    #[test]
    fn short_lines_report_requested_and_available() {
        let lines = sum_lines([("a", 2), ("b", 2), ("c", 1), ("d", 1)]);
        let available = BTreeMap::from([
            ("a".to_owned(), Availability { active: true, stock: 5 }),
            ("b".to_owned(), Availability { active: true, stock: 1 }),
            ("c".to_owned(), Availability { active: false, stock: 9 }),
        ]);
        let short = short_lines(&lines, &available);
        let got: Vec<_> = short.iter().map(|s| (s.product_id.as_str(), s.requested, s.available)).collect();
        assert_eq!(got, [("b", 2, 1), ("c", 1, 0), ("d", 1, 0)]);
    }

    #[test]
    fn time_keys_sort_like_times_and_the_cutoff_lags_by_the_grace() {
        let t = DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z").expect("time").with_timezone(&Utc);
        assert_eq!(time_key(t), "2026-11-21T10:00:00.000Z");
        assert!(time_key(t) < time_key(t + chrono::Duration::milliseconds(1)));
        assert_eq!(expiry_cutoff(t, 300), "2026-11-21T09:55:00.000Z");
    }

    #[test]
    fn statuses_are_stored_upper_case() {
        assert_eq!(serde_json::to_value(HoldStatus::Held).expect("json"), "HELD");
        assert_eq!(serde_json::to_value(HoldStatus::Void).expect("json"), "VOID");
    }
}

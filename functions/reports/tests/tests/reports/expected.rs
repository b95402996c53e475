//! The reports recomputed straight from the raw events, without reports-core: what
//! `GET /reports/sales` and `GET /reports/bookings` must answer (less `revenue_basis`).

use std::collections::{BTreeMap, BTreeSet};

use bazaar_events::Money;
use serde_json::{Value, json};

use crate::dataset::Raw;

type Amounts = BTreeMap<String, i64>;

fn plus(amounts: &mut Amounts, m: &Money, sign: i64) {
    *amounts.entry(m.currency.clone()).or_default() += sign * m.amount_minor;
}

/// By currency, zeros left out.
fn money(amounts: &Amounts) -> Value {
    Value::Array(
        amounts.iter().filter(|(_, n)| **n != 0).map(|(c, n)| json!({ "amount_minor": n, "currency": c })).collect(),
    )
}

fn header(from: &str, to: &str, owner: Option<&str>) -> serde_json::Map<String, Value> {
    let mut head = serde_json::Map::new();
    head.insert("from".into(), json!(from));
    head.insert("to".into(), json!(to));
    head.insert("scope".into(), json!(if owner.is_some() { "owner" } else { "all" }));
    if let Some(owner) = owner {
        head.insert("owner_id".into(), json!(owner));
    }
    head
}

#[derive(Default)]
struct ProductDay {
    name: String,
    orders: BTreeSet<String>,
    units: i64,
    revenue: Amounts,
}

/// The sales report of `owner` (or of everything) for `from..=to`.
pub fn sales(events: &[Raw], owner: Option<&str>, from: &str, to: &str) -> Value {
    let mine = |o: &str| owner.is_none_or(|x| x == o);
    let mut products: BTreeMap<String, BTreeMap<String, ProductDay>> = BTreeMap::new();
    let mut revenue: BTreeMap<String, Amounts> = BTreeMap::new();
    for e in events {
        let day = e.day();
        if day.as_str() < from || day.as_str() > to {
            continue;
        }
        match e {
            Raw::OrderPaid(p) => {
                for l in p.data.lines.iter().filter(|l| mine(&l.owner_id)) {
                    let row = products.entry(day.clone()).or_default().entry(l.product_id.clone()).or_default();
                    row.name = l.name.clone();
                    row.orders.insert(p.data.order_id.clone());
                    row.units += i64::from(l.quantity);
                    plus(&mut row.revenue, &l.line_total, 1);
                    if owner.is_some() {
                        plus(revenue.entry(day.clone()).or_default(), &l.line_total, 1);
                    }
                }
            }
            Raw::PaymentSucceeded(p) if owner.is_none() => plus(revenue.entry(day).or_default(), &p.data.amount, 1),
            Raw::PaymentRefunded(p) if owner.is_none() => plus(revenue.entry(day).or_default(), &p.data.amount, -1),
            Raw::Confirmed(c) if owner == Some(c.data.reservation.owner_id.as_str()) => {
                plus(revenue.entry(day).or_default(), &c.data.reservation.amount, 1);
            }
            Raw::Cancelled(c) if c.data.refund && owner == Some(c.data.reservation.owner_id.as_str()) => {
                plus(revenue.entry(day).or_default(), &c.data.reservation.amount, -1);
            }
            _ => {}
        }
    }
    let days: BTreeSet<&String> = products.keys().chain(revenue.keys()).collect();
    let (mut units, mut total) = (0, Amounts::new());
    let days: Vec<Value> = days
        .into_iter()
        .map(|day| {
            let day_revenue = revenue.get(day).cloned().unwrap_or_default();
            for (c, n) in &day_revenue {
                *total.entry(c.clone()).or_default() += n;
            }
            let rows: Vec<Value> = products
                .get(day)
                .into_iter()
                .flatten()
                .map(|(id, p)| {
                    units += p.units;
                    json!({ "product_id": id, "name": p.name, "orders": p.orders.len(), "units": p.units,
                            "revenue": money(&p.revenue) })
                })
                .collect();
            json!({ "date": day, "products": rows, "revenue": money(&day_revenue) })
        })
        .collect();
    let mut report = header(from, to, owner);
    report.insert("days".into(), Value::Array(days));
    report.insert("totals".into(), json!({ "units": units, "revenue": money(&total) }));
    Value::Object(report)
}

#[derive(Default, Clone)]
struct Counts {
    name: String,
    confirmed: i64,
    slots: i64,
    cancelled: i64,
    checked_in: i64,
    refunds: i64,
    revenue: Amounts,
}

fn counts_json(c: &Counts) -> serde_json::Map<String, Value> {
    let v = json!({ "confirmed": c.confirmed, "slots": c.slots, "cancelled": c.cancelled,
                    "checked_in": c.checked_in, "refunds": c.refunds, "revenue": money(&c.revenue) });
    v.as_object().cloned().unwrap_or_default()
}

/// The bookings report of `owner` (or of everything) for local days `from..=to`, of one
/// resource or all.
pub fn bookings(events: &[Raw], owner: Option<&str>, from: &str, to: &str, resource: Option<&str>) -> Value {
    let mut days: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
    for e in events {
        let b = match e {
            Raw::Confirmed(c) => &c.data.reservation,
            Raw::Cancelled(c) => &c.data.reservation,
            Raw::CheckedIn(c) => &c.data.reservation,
            _ => continue,
        };
        let day = b.local_date.as_str();
        if owner.is_some_and(|o| o != b.owner_id)
            || day < from
            || day > to
            || resource.is_some_and(|r| r != b.resource_id)
        {
            continue;
        }
        let c = days.entry(day.to_owned()).or_default().entry(b.resource_id.clone()).or_default();
        c.name = b.resource_name.clone();
        match e {
            Raw::Confirmed(_) => {
                c.confirmed += 1;
                c.slots += i64::from(b.slots);
                plus(&mut c.revenue, &b.amount, 1);
            }
            Raw::Cancelled(x) => {
                c.cancelled += 1;
                c.refunds += i64::from(x.data.refund);
            }
            _ => c.checked_in += 1,
        }
    }
    let mut total = Counts::default();
    let days: Vec<Value> = days
        .into_iter()
        .map(|(day, resources)| {
            let rows: Vec<Value> = resources
                .into_iter()
                .map(|(id, c)| {
                    total.confirmed += c.confirmed;
                    total.slots += c.slots;
                    total.cancelled += c.cancelled;
                    total.checked_in += c.checked_in;
                    total.refunds += c.refunds;
                    for (cur, n) in &c.revenue {
                        *total.revenue.entry(cur.clone()).or_default() += n;
                    }
                    let mut row = counts_json(&c);
                    row.insert("resource_id".into(), json!(id));
                    row.insert("resource_name".into(), json!(c.name));
                    Value::Object(row)
                })
                .collect();
            json!({ "date": day, "resources": rows })
        })
        .collect();
    let mut report = header(from, to, owner);
    if let Some(r) = resource {
        report.insert("resource_id".into(), json!(r));
    }
    report.insert("days".into(), Value::Array(days));
    report.insert("totals".into(), Value::Object(counts_json(&total)));
    Value::Object(report)
}

/// A report body without its `revenue_basis` (checked separately).
pub fn without_basis(mut report: Value) -> Value {
    if let Some(o) = report.as_object_mut() {
        o.remove("revenue_basis");
    }
    report
}

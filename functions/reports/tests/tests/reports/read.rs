//! `GET /reports/sales` and `GET /reports/bookings` equal a recomputation from the raw
//! events, in every scope, however often and in whatever order the events arrive; who may
//! read what; and bad periods.

use serde_json::Value;

use crate::dataset::{DAYS, OWNERS, Raw, month, shuffled};
use crate::expected::{self, without_basis};
use crate::support::*;

pub const FROM: &str = "2026-03-01";
pub const TO: &str = "2026-03-31";

/// Every view the tests compare: (description, body), sales and bookings, several scopes,
/// periods and resource filters.
pub async fn snapshot(app: &TestApp) -> Vec<(String, Value)> {
    let mut views = Vec::new();
    for (who, query) in sales_views() {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        views.push((format!("sales {} {q:?}", who.sub), app.sales_ok(&who, &q).await));
    }
    for (who, query) in bookings_views() {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        views.push((format!("bookings {} {q:?}", who.sub), app.bookings_ok(&who, &q).await));
    }
    views
}

type View = (bazaar_runtime::Identity, Vec<(&'static str, String)>);

fn period(from: &str, to: &str) -> Vec<(&'static str, String)> {
    vec![("from", from.to_owned()), ("to", to.to_owned())]
}

fn with(mut q: Vec<(&'static str, String)>, k: &'static str, v: &str) -> Vec<(&'static str, String)> {
    q.push((k, v.to_owned()));
    q
}

fn sales_views() -> Vec<View> {
    vec![
        (admin(), period(FROM, TO)),
        (admin(), period(DAYS[1], DAYS[2])),
        (admin(), with(period(FROM, TO), "owner", OWNERS[1])),
        (owner(OWNERS[0]), period(FROM, TO)),
        (owner(OWNERS[2]), period(DAYS[3], TO)),
    ]
}

fn bookings_views() -> Vec<View> {
    vec![
        (admin(), period(FROM, TO)),
        (admin(), period("2026-03-11", "2026-03-11")),
        (admin(), with(period(FROM, TO), "resource", "r-room")),
        (admin(), with(period(FROM, TO), "owner", OWNERS[2])),
        (owner(OWNERS[0]), period(FROM, TO)),
        (owner(OWNERS[1]), with(period(FROM, TO), "resource", "r-room")),
        (owner(OWNERS[0]), with(period(FROM, TO), "resource", "r-room")),
    ]
}

/// What each view of [`snapshot`] must be, recomputed from `events` alone.
pub fn expected_snapshot(events: &[Raw]) -> Vec<Value> {
    let mut views = Vec::new();
    for (who, q) in sales_views() {
        let get = |k: &str| q.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        let scope = if who.has_permission("reports:read_all") { get("owner") } else { Some(who.sub.as_str()) };
        views.push(expected::sales(events, scope, get("from").unwrap_or(FROM), get("to").unwrap_or(TO)));
    }
    for (who, q) in bookings_views() {
        let get = |k: &str| q.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        let scope = if who.has_permission("reports:read_all") { get("owner") } else { Some(who.sub.as_str()) };
        views.push(expected::bookings(
            events,
            scope,
            get("from").unwrap_or(FROM),
            get("to").unwrap_or(TO),
            get("resource"),
        ));
    }
    views
}

/// Asserts every view equals its recomputation from `events`.
pub async fn assert_reports_match(app: &TestApp, events: &[Raw]) {
    let actual = snapshot(app).await;
    let expected = expected_snapshot(events);
    assert_eq!(actual.len(), expected.len());
    for ((name, got), want) in actual.into_iter().zip(expected) {
        assert_eq!(without_basis(got), want, "{name}");
    }
}

#[test]
fn the_month_exercises_every_counter() {
    let events = month();
    let all = expected::sales(&events, None, FROM, TO);
    assert!(all["days"].as_array().expect("days").len() >= 5, "{all}");
    assert_eq!(all["totals"]["revenue"].as_array().expect("revenue").len(), 2, "EUR and USD: {all}");
    let b = expected::bookings(&events, None, FROM, TO, None);
    let t = &b["totals"];
    for counter in ["confirmed", "slots", "cancelled", "checked_in", "refunds"] {
        assert!(t[counter].as_i64().expect("n") > 0, "{counter}: {b}");
    }
    assert!(t["cancelled"].as_i64() > t["refunds"].as_i64(), "{b}");
    let own = expected::sales(&events, Some(OWNERS[0]), FROM, TO);
    assert_ne!(own["totals"], all["totals"]);
    let scoped = expected_snapshot(&events);
    assert!(scoped.iter().all(|v| !v["days"].as_array().expect("days").is_empty() || v["resource_id"] == "r-room"));
}

#[tokio::test]
async fn reports_equal_a_recomputation_from_the_raw_events_and_redelivery_changes_nothing() {
    let app = TestApp::spawn().await;
    let events = month();
    app.deliver_all(&events).await;
    assert_reports_match(&app, &events).await;
    let before = snapshot(&app).await;

    let again: Vec<String> = shuffled(&events).iter().map(Raw::body).collect();
    app.deliver(&again).await;
    app.deliver_all(&events).await;
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn the_revenue_basis_is_stated_per_scope() {
    let app = TestApp::spawn().await;
    app.deliver_all(&month()).await;
    let all = app.sales_ok(&admin(), &[("from", FROM), ("to", TO)]).await;
    assert_eq!(all["revenue_basis"]["source"], "payments");
    let own = app.sales_ok(&owner(OWNERS[0]), &[("from", FROM), ("to", TO)]).await;
    assert_eq!(own["revenue_basis"]["source"], "own_sales_and_bookings");
    assert_eq!(own["scope"], "owner");
    assert_eq!(own["owner_id"], OWNERS[0]);
}

#[tokio::test]
async fn owners_see_only_their_own_scope_and_others_are_refused() {
    let app = TestApp::spawn().await;
    app.deliver_all(&month()).await;
    let q = [("from", FROM), ("to", TO)];

    let own = app.sales_ok(&owner(OWNERS[0]), &q).await;
    let products: Vec<&str> = own["days"]
        .as_array()
        .expect("days")
        .iter()
        .flat_map(|d| d["products"].as_array().expect("products"))
        .map(|p| p["product_id"].as_str().expect("id"))
        .collect();
    assert!(!products.is_empty());
    assert!(products.iter().all(|p| ["p-lamp", "p-rug"].contains(p)), "{products:?}");

    let others = [("from", FROM), ("to", TO), ("owner", OWNERS[1])];
    assert_problem(&app.sales(&owner(OWNERS[0]), &others).await, 403);
    assert_problem(&app.bookings(&owner(OWNERS[0]), &others).await, 403);
    assert_problem(&app.sales(&customer(), &q).await, 403);
    assert_problem(&app.bookings(&customer(), &q).await, 403);
    let anonymous = reports_sales::handler(&app.sales_deps(), Req::new("GET", "/reports/sales").build()).await;
    assert_problem(&anonymous, 401);

    let everything = app.sales_ok(&admin(), &q).await;
    assert_eq!(app.sales_ok(&auditor(), &q).await, everything, "reports:read_all alone reads everything");
    assert_eq!(everything["scope"], "all");

    let foreign = app.bookings_ok(&owner(OWNERS[0]), &[("from", FROM), ("to", TO), ("resource", "r-room")]).await;
    assert_eq!(foreign["days"], serde_json::json!([]), "another owner's resource shows nothing");
    let nobody = app.sales_ok(&owner("owner-without-sales"), &q).await;
    assert_eq!(nobody["days"], serde_json::json!([]));
    assert_eq!(nobody["totals"], serde_json::json!({ "units": 0, "revenue": [] }));
}

#[tokio::test]
async fn bad_periods_and_parameters_are_problems() {
    let app = TestApp::spawn().await;
    let cases: [(&[(&str, &str)], u16); 7] = [
        (&[("to", "2026-03-31")], 400),
        (&[("from", "2026-03-01")], 400),
        (&[("from", "2026-3-1"), ("to", "2026-03-31")], 400),
        (&[("from", "2026-02-30"), ("to", "2026-03-31")], 400),
        (&[("from", "2026-03-31"), ("to", "2026-03-01")], 422),
        (&[("from", "2026-01-01"), ("to", "2027-01-02")], 422),
        (&[("from", "2026-03-01"), ("to", "2026-03-31"), ("resouce", "r-room")], 400),
    ];
    for (query, status) in cases {
        assert_problem(&app.sales(&admin(), query).await, status);
        assert_problem(&app.bookings(&admin(), query).await, status);
    }
    let year = app.sales_ok(&admin(), &[("from", "2028-01-01"), ("to", "2028-12-31")]).await;
    assert_eq!(year["days"], serde_json::json!([]), "366 days are allowed");
}

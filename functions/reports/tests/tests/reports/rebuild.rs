//! The rebuild path: clearing a period subtracts exactly what its events added (and
//! deletes their markers), so delivering them again reproduces the reports; and
//! reports-rebuild does that through a replay of the bus archive into the reports rule.
//!
//! moto 5.2.5 implements StartReplay synchronously and loosely: it ignores the time
//! window and `FilterArns`, replaying the whole archive to every rule of the bus. The
//! markers make that harmless (events outside the period are skipped), which the second
//! test relies on and checks.

use chrono::Utc;
use lambda_runtime::{Context, LambdaEvent};
use reports_core::{Day, Period};
use reports_rebuild::RebuildError;
use serde_json::{Value, json};

use crate::dataset::{DAYS, Raw, month};
use crate::read::{assert_reports_match, snapshot};
use crate::support::*;

fn in_period(e: &Raw) -> bool {
    DAYS[1..=2].contains(&e.day().as_str())
}

fn counted(e: &Raw) -> bool {
    !matches!(e, Raw::OrderPlaced(_))
}

#[tokio::test]
async fn clearing_a_period_then_redelivering_its_events_reproduces_the_reports() {
    let app = TestApp::spawn().await;
    let events = month();
    app.deliver_all(&events).await;
    let before = snapshot(&app).await;

    let period = Period::new(Day::parse(DAYS[1]).expect("day"), Day::parse(DAYS[2]).expect("day")).expect("period");
    let cleared = app.store().clear_period(period).await.expect("cleared");
    assert_eq!(cleared.markers, events.iter().filter(|e| in_period(e) && counted(e)).count());
    assert!(cleared.items_deleted > 0);
    assert!(app.markers(DAYS[1]).await.is_empty() && app.markers(DAYS[2]).await.is_empty());
    assert!(!app.markers(DAYS[0]).await.is_empty(), "other days keep their markers");

    // Now the reports are exactly those of the events outside the period, bookings too
    // (whose days lie outside the period but were touched by events inside it).
    let outside: Vec<Raw> = events.iter().filter(|e| !in_period(e)).cloned().collect();
    assert_reports_match(&app, &outside).await;
    let gone = app.sales_ok(&admin(), &[("from", DAYS[1]), ("to", DAYS[2])]).await;
    assert_eq!(gone["days"], json!([]));

    let again = app.store().clear_period(period).await.expect("cleared again");
    assert_eq!((again.markers, again.items_deleted), (0, 0), "nothing left to clear");

    let period_events: Vec<Raw> = events.iter().filter(|e| in_period(e)).cloned().collect();
    app.deliver_all(&period_events).await;
    app.deliver_all(&events).await;
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn a_rebuild_clears_the_period_and_replays_the_archive_into_the_reports_rule() {
    let mut app = TestApp::spawn().await;
    let bus = app.bus().await;
    let events = month();
    app.publish(&bus, &events).await;
    let delivered = app.drain(&bus).await;
    assert_eq!(delivered, events.iter().filter(|e| counted(e)).count(), "the rule skips unread types");
    assert_reports_match(&app, &events).await;
    let before = snapshot(&app).await;

    let payload = json!({ "from": DAYS[1], "to": DAYS[2] });
    let out = reports_rebuild::handler(&app.rebuild_deps(), LambdaEvent::new(payload, Context::default()))
        .await
        .expect("rebuilt");
    assert_eq!(out["from"], DAYS[1]);
    assert_eq!(out["cleared"]["markers"], events.iter().filter(|e| in_period(e) && counted(e)).count());
    let name = out["replay"]["name"].as_str().expect("replay name");
    assert!(name.starts_with("reports-2026-03-02-2026-03-03-"), "{name}");
    assert_eq!(out["replay"]["event_start_time"], "2026-03-01T23:00:00Z");
    assert_eq!(out["replay"]["event_end_time"], "2026-03-04T01:00:00Z");
    let gone = app.sales_ok(&admin(), &[("from", DAYS[1]), ("to", DAYS[2])]).await;
    assert_eq!(gone["days"], json!([]), "cleared until the replay is consumed");

    let replayed = app.drain(&bus).await;
    assert!(replayed >= events.iter().filter(|e| in_period(e) && counted(e)).count());
    assert_eq!(snapshot(&app).await, before);
    let described =
        aws_sdk_eventbridge::Client::new(&app.config).describe_replay().replay_name(name).send().await.expect("replay");
    assert_eq!(described.event_source_arn(), Some(bus.archive_arn.as_str()));
    let destination = described.destination().expect("destination");
    assert_eq!(destination.arn(), bus.arn);
    assert_eq!(destination.filter_arns(), std::slice::from_ref(&bus.rule_arn));
}

#[tokio::test]
async fn a_rebuild_refuses_bad_payloads_before_touching_anything() {
    let mut app = TestApp::spawn().await;
    app.bus().await;
    let events = month();
    app.deliver_all(&events).await;
    let markers = app.markers(DAYS[1]).await.len();
    let future = Utc::now().date_naive() + chrono::Days::new(2);
    for payload in [
        json!({ "from": DAYS[1] }),
        json!({ "from": DAYS[1], "to": DAYS[2], "dry_run": true }),
        json!({ "from": DAYS[2], "to": DAYS[1] }),
        json!({ "from": future.to_string(), "to": future.to_string() }),
        Value::Null,
    ] {
        let err = reports_rebuild::handler(&app.rebuild_deps(), LambdaEvent::new(payload.clone(), Context::default()))
            .await
            .expect_err("refused");
        assert!(matches!(err.downcast_ref::<RebuildError>(), Some(RebuildError::Invalid(_))), "{payload}: {err}");
    }
    assert_eq!(app.markers(DAYS[1]).await.len(), markers);
}

//! Every sample event in events/reservations is accepted by its function's handler, in
//! process with the environment the template gives it, with the outcome
//! events/reservations/outcomes.json names for it; a sample without one fails this test.
//! The samples refer to fixtures seeded here: resource `…a1` of owner `…0002` (Berlin,
//! Mon–Sat 08:00–20:00, hourly), and reservations of customer `…0001`: `…b1` (PENDING,
//! 2030-01-15 10:00), `…b2` (CONFIRMED, today) and `…b3` (CONFIRMED, 2030-01-15 09:00).

use bazaar_events::reservations::ReservationRequested;
use bazaar_events::{Envelope, Money};
use chrono::{DateTime, Duration, Utc};
use reservations_core::hours::{IntervalText, OpeningHours};
use reservations_core::model::{IdempotencyRecord, key_time};
use reservations_core::store::Reserve;
use reservations_core::{Reservation, ReservationStatus, Resource};

use crate::support::*;

const RESOURCE: &str = "00000000-0000-4000-8000-0000000000a1";
const OWNER: &str = "00000000-0000-4000-8000-000000000002";
const CUSTOMER: &str = "00000000-0000-4000-8000-000000000001";

fn fixture_resource() -> Resource {
    let day = vec![IntervalText::new("08:00", "20:00")];
    let hours = OpeningHours { sun: vec![], ..OpeningHours::every_day(&day) };
    Resource {
        id: RESOURCE.into(),
        owner_id: OWNER.into(),
        name: "Recording studio".into(),
        kind: "room".into(),
        description: None,
        time_zone: "Europe/Berlin".into(),
        opening_hours: hours,
        slot_minutes: 60,
        price_per_slot: Money::new(2500, "EUR"),
        capacity: 1,
        active: true,
        version: 1,
        created_at: "2026-11-21T10:00:00.000Z".into(),
        updated_at: "2026-11-21T10:00:00.000Z".into(),
    }
}

/// Stores reservation `id` of the fixture resource for `[start, start + 1 h)`.
async fn seed(app: &TestApp, id: &str, status: ReservationStatus, start: DateTime<Utc>) {
    let resource = fixture_resource();
    let r = Reservation {
        id: format!("00000000-0000-4000-8000-0000000000{id}"),
        status,
        resource_id: resource.id.clone(),
        resource_name: resource.name.clone(),
        owner_id: resource.owner_id.clone(),
        customer_id: CUSTOMER.into(),
        customer_email: "ana@example.com".into(),
        start,
        end: start + Duration::hours(1),
        time_zone: resource.time_zone.clone(),
        local_date: start.with_timezone(&ZONE).date_naive().to_string(),
        slot_starts: vec![key_time(start)],
        amount: resource.price_per_slot.clone(),
        payment_id: bazaar_events::payments::Subject::reservation(id).payment_id(),
        hold_expires_at: Utc::now() + Duration::minutes(15),
        created_at: "2026-11-21T10:00:00.000Z".into(),
        updated_at: "2026-11-21T10:00:00.000Z".into(),
        version: 1,
        correlation_id: "sample-seed".into(),
        status_reason: None,
        reminded: false,
        checked_in_at: None,
        checked_in_by: None,
    };
    let record = IdempotencyRecord { body_hash: "seed".into(), reservation_id: r.id.clone(), expires_at: 0 };
    let event = Envelope::new(ReservationRequested { reservation: r.booking(), expires_at: r.hold_expires_at }, "seed");
    let store = app.store();
    let item = store.event(&event).expect("event");
    let deadline = r.hold_expires_at.timestamp();
    let held = match store.pending(10).admit(&r.customer_id, &r.id, deadline, Utc::now().timestamp()).await {
        Ok(bazaar_aws::quota::Admission::Slot(held)) => *held,
        other => panic!("a pending-reservation slot for the seed: {other:?}"),
    };
    let stored = store.reserve(&r, &format!("seed-{id}"), &record, item, held).await.expect("seeded");
    assert_eq!(stored, Reserve::Created);
}

bazaar_testkit::samples_test!(reservations, TestApp::spawn().await, |app, functions| {
    app.store().create_resource(&fixture_resource()).await.expect("fixture resource");
    seed(&app, "b1", ReservationStatus::Pending, utc("2030-01-15T10:00:00+01:00")).await;
    seed(&app, "b2", ReservationStatus::Confirmed, at(today(), 12)).await;
    seed(&app, "b3", ReservationStatus::Confirmed, utc("2030-01-15T09:00:00+01:00")).await;
});

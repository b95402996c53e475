//! `POST /reservations`: slot locks in one transaction with the event, no double booking
//! under concurrency, the `Idempotency-Key` contract, and validation.

use std::collections::BTreeSet;

use bazaar_events::payments::Subject;
use bazaar_events::reservations::ReservationRequested;
use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use reservations_core::Clock;
use serde_json::json;

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn booking_locks_the_slots_and_emits_reservation_requested() {
    let app = TestApp::spawn().await;
    let resource = app.resource(&owner()).await;
    let ana = customer();
    let (start, end) = (at(tomorrow(), 10), at(tomorrow(), 12));

    let r = app.book(&ana, &resource, start, end).await;

    let body = expect_status(&r, 201);
    let id = body["id"].as_str().expect("id").to_owned();
    assert_eq!(r.headers()["location"], format!("/reservations/{id}"));
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["slots"], 2);
    assert_eq!(body["amount"], json!({ "amount_minor": 5000, "currency": "EUR" }));
    assert_eq!(body["payment_id"], Subject::reservation(&id).payment_id());
    assert_eq!(body["local_date"], tomorrow().to_string());
    assert!(body.get("customer_email").is_none(), "the email stays internal");
    let expires = utc(body["expires_at"].as_str().expect("expires_at"));
    assert!(expires > Utc::now() + Duration::minutes(14) && expires <= Utc::now() + Duration::minutes(15));

    let events = app.events_of::<ReservationRequested>(&id).await;
    assert_eq!(events.len(), 1);
    let booking = &events[0].data.reservation;
    assert_eq!((booking.start, booking.end, booking.slots), (start, end, 2));
    assert_eq!(booking.customer_email, ana.email);
    assert_eq!(booking.time_zone, "Europe/Berlin");
    assert_eq!(events[0].data.expires_at, expires);

    let taken = app.taken(&resource, tomorrow()).await;
    assert_eq!(taken, vec![key(start), key(start + Duration::hours(1))]);
}

#[tokio::test]
async fn a_hundred_concurrent_bookings_of_one_slot_give_exactly_one_reservation() {
    let app = TestApp::spawn().await;
    let resource = app.resource(&owner()).await;
    let deps = deps!(app, reservations_create);
    let (start, end) = (at(tomorrow(), 9), at(tomorrow(), 10));
    let body = booking(&resource, start, end);
    let customers: Vec<_> = (0..100).map(|_| customer()).collect();

    let responses = join_all(customers.iter().map(|c| app.post_reservation_with(&deps, c, "same-key", &body))).await;

    let created = responses.iter().filter(|r| r.status() == 201).count();
    let taken: Vec<_> = responses.iter().filter(|r| r.status() == 409).collect();
    assert_eq!((created, taken.len()), (1, 99));
    for r in taken {
        assert_eq!(assert_problem(r, 409)["type"], "urn:bazaar:problem:slot-taken");
    }
    assert_eq!(app.taken(&resource, tomorrow()).await.len(), 1);
    assert_eq!(bazaar_testkit::events::of_type::<ReservationRequested>(app.outbox().await).len(), 1);
}

#[tokio::test]
async fn of_overlapping_ranges_booked_at_once_only_non_overlapping_ones_win() {
    let app = TestApp::spawn().await;
    let resource = app.resource(&owner()).await;
    let deps = deps!(app, reservations_create);
    let day = tomorrow();
    let ranges = [(10, 12), (11, 13), (9, 11)];
    let attempts: Vec<(u32, u32)> = (0..10).flat_map(|_| ranges).collect();
    let customers: Vec<_> = attempts.iter().map(|_| customer()).collect();

    let responses = join_all(attempts.iter().zip(&customers).map(|((from, to), who)| {
        let body = booking(&resource, at(day, *from), at(day, *to));
        let (app, deps) = (&app, &deps);
        async move { (*from, *to, app.post_reservation_with(deps, who, "k", &body).await) }
    }))
    .await;

    let mut winners = Vec::new();
    for (from, to, r) in &responses {
        match r.status().as_u16() {
            201 => winners.push((*from, *to)),
            409 => {}
            other => panic!("unexpected {other}: {}", text(r)),
        }
    }
    let overlaps = |a: (u32, u32), b: (u32, u32)| a.0 < b.1 && b.0 < a.1;
    for (i, a) in winners.iter().enumerate() {
        for b in &winners[i + 1..] {
            assert!(!overlaps(*a, *b), "both {a:?} and {b:?} won");
        }
    }
    for range in ranges {
        assert!(winners.iter().any(|w| overlaps(*w, range)), "{range:?} lost to nobody: {winners:?}");
    }
    let expected: BTreeSet<String> =
        winners.iter().flat_map(|(from, to)| (*from..*to).map(|h| key(at(day, h)))).collect();
    let taken: BTreeSet<String> = app.taken(&resource, day).await.into_iter().collect();
    assert_eq!(taken, expected, "exactly the won slots are taken");
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_reservation_and_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let resource = app.resource(&owner()).await;
    let ana = customer();
    let body = booking(&resource, at(tomorrow(), 14), at(tomorrow(), 15));

    let first = app.post_reservation(&ana, "k-1", &body).await;
    let again = app.post_reservation(&ana, "k-1", &body).await;
    let other = app.post_reservation(&ana, "k-1", &booking(&resource, at(tomorrow(), 16), at(tomorrow(), 17))).await;
    let someone_else = app.post_reservation(&customer(), "k-1", &body).await;

    let reservation = expect_status(&first, 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    assert_eq!(expect_status(&again, 201), reservation);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(assert_problem(&other, 422)["type"], "urn:bazaar:problem:idempotency-key-reused");
    assert_eq!(assert_problem(&someone_else, 409)["type"], "urn:bazaar:problem:slot-taken", "keys are per caller");
    assert_eq!(bazaar_testkit::events::of_type::<ReservationRequested>(app.outbox().await).len(), 1);
}

async fn problem_fields(app: &TestApp, resource: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<String> {
    let r = app.book(&customer(), resource, start, end).await;
    error_fields(&assert_problem(&r, 422))
}

#[tokio::test]
async fn bookings_off_the_slot_grid_outside_hours_in_the_past_or_too_long_are_422() {
    let app = TestApp::spawn().await;
    let mut office = room();
    let day = json!([{ "open": "08:00", "close": "18:00" }]);
    office["opening_hours"] =
        json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day });
    let resource = app.resource_with(&owner(), office).await;
    let d = tomorrow();

    let half = Duration::minutes(30);
    assert_eq!(problem_fields(&app, &resource, at(d, 10) + half, at(d, 11) + half).await, vec!["start"]);
    assert_eq!(problem_fields(&app, &resource, at(d, 10), at(d, 11) + half).await, vec!["end"]);
    assert_eq!(problem_fields(&app, &resource, at(d, 6), at(d, 7)).await, vec!["start"], "before opening");
    assert_eq!(problem_fields(&app, &resource, at(d, 17), at(d, 19)).await, vec!["end"], "past closing");
    assert_eq!(problem_fields(&app, &resource, at(d, 8), at(d, 17)).await, vec!["end"], "9 slots, at most 8");
    let yesterday = d - Duration::days(2);
    assert_eq!(problem_fields(&app, &resource, at(yesterday, 10), at(yesterday, 11)).await, vec!["start"], "past");
    assert_eq!(problem_fields(&app, &resource, at(d, 11), at(d, 10)).await, vec!["end"]);

    let r = app
        .post_reservation(
            &customer(),
            "k",
            &json!({ "resource_id": resource, "start": "2030-01-01T10:00:00", "end": "x" }),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(&r, 422)), vec!["start", "end"]);
    let r = app.book(&customer(), "no-such-resource", at(d, 10), at(d, 11)).await;
    assert_eq!(error_fields(&assert_problem(&r, 422)), vec!["resource_id"]);
    assert!(app.outbox().await.is_empty(), "nothing was booked");
}

#[tokio::test]
async fn a_booking_needs_an_identity_a_key_and_a_well_formed_body() {
    let app = TestApp::spawn().await;
    let resource = app.resource(&owner()).await;
    let body = booking(&resource, at(tomorrow(), 10), at(tomorrow(), 11));
    let anonymous = Req::new("POST", "/reservations").header("idempotency-key", "k").json(&body);
    let keyless = Req::new("POST", "/reservations").identity(&customer()).json(&body);
    for (req, status) in [(anonymous, 401), (keyless, 400)] {
        assert_problem(&reservations_create::handler(&deps!(app, reservations_create), req.build()).await, status);
    }
    let mut extra = body.clone();
    extra["capacity"] = json!(2);
    assert_problem(&app.post_reservation(&customer(), "k", &extra).await, 400);
}

#[tokio::test]
async fn a_customer_holds_at_most_the_configured_pending_reservations_until_one_is_paid_or_cancelled() {
    let app = TestApp::spawn_with(&[("PendingReservationsPerCustomer", "2")]).await;
    let resource = app.resource(&owner()).await;
    let (ana, bo) = (customer(), customer());
    let hour = |h: u32| (at(tomorrow(), h), at(tomorrow(), h + 1));
    let (s, e) = hour(8);
    let first = app.booked(&ana, &resource, s, e).await;
    let (s, e) = hour(9);
    let second = app.booked(&ana, &resource, s, e).await;

    // Today's shop let one customer hold every slot without paying.
    let (s, e) = hour(10);
    let r = app.book(&ana, &resource, s, e).await;
    let problem = assert_problem(&r, 429);
    assert_eq!(problem["type"], "urn:bazaar:problem:too-many-pending-reservations");
    let retry: u64 = r.headers()["retry-after"].to_str().expect("text").parse().expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(app.taken(&resource, tomorrow()).await.len() == 2, "the refused booking holds nothing");
    app.booked(&bo, &resource, s, e).await;

    // A paid reservation and a cancelled one no longer count.
    app.pay(&first).await;
    let (s, e) = hour(11);
    app.booked(&ana, &resource, s, e).await;
    assert_eq!(expect_status(&app.cancel_as(&ana, &second, Clock::System).await, 200)["status"], "CANCELLED");
    let (s, e) = hour(12);
    app.booked(&ana, &resource, s, e).await;
    let (s, e) = hour(13);
    assert_problem(&app.book(&ana, &resource, s, e).await, 429);
}

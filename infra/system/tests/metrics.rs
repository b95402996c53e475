//! The EMF metrics the functions emit, counted through a whole system: each state change is
//! counted once (its own test binary: the capture is process-wide).

use std::time::Duration;

use bazaar_runtime::metrics::{self, Metric};
use bazaar_system::api::room_open_all_week;
use bazaar_system::{System, SystemOptions, eventually, system::ADMIN_EMAIL, system::ADMIN_PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

const SETTLE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_payments_bookings_and_consumer_failures_are_counted_once_each() {
    let captured = metrics::capture();
    let sys = System::start(SystemOptions::default().payment_success_rate("1.0")).await.expect("system");
    let api = &sys.api;
    let admin = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("admin");
    let (_, customer) = api.new_customer().await.expect("customer");

    // Paid, rejected, and cancelled right away.
    let lamp = api.create_product(&admin, "Lamp", 2_500, 5).await.expect("product");
    let paid = eventually(SETTLE, "the product orderable", || async {
        let r = api.place_order(&customer, &[(&lamp, 1)]).await?;
        Ok((r.status == StatusCode::CREATED).then(|| r.body["id"].as_str().unwrap_or_default().to_owned()))
    })
    .await
    .expect("placed");
    let rejected = api.place_order(&customer, &[(&lamp, 100)]).await.expect("placed");
    let rejected = rejected.body["id"].as_str().expect("id").to_owned();
    let cancelled = api.place_order(&customer, &[(&lamp, 1)]).await.expect("placed");
    let cancelled_payment = cancelled.body["payment_id"].as_str().expect("payment id").to_owned();
    let cancelled = cancelled.body["id"].as_str().expect("id").to_owned();
    let r = api.post(&format!("/orders/{cancelled}/cancel"), Some(&customer), &json!({})).await.expect("cancel");
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for (id, want) in [(&paid, "PAID"), (&rejected, "REJECTED"), (&cancelled, "CANCELLED")] {
        api.status_of(&format!("/orders/{id}"), &customer, &[want], SETTLE).await.expect(want);
    }

    // A booking, confirmed by its simulated payment.
    let resource = room_open_all_week("Court 1", "UTC", 60, 1500);
    let created = api.post("/resources", Some(&admin), &resource).await.expect("resource");
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let start = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive().and_hms_opt(10, 0, 0).expect("time");
    let booking = json!({
        "resource_id": created.body["id"], "start": format!("{start}Z").replace(' ', "T"),
        "end": format!("{}Z", start + chrono::Duration::hours(1)).replace(' ', "T"),
    });
    let booked = api.reserve(&customer, &booking).await.expect("book");
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    let path = format!("/reservations/{}", booked.body["id"].as_str().expect("id"));
    api.status_of(&path, &customer, &["CONFIRMED"], SETTLE).await.expect("confirmed");

    // The cancelled order's payment was refunded, or never created (the cancel came first).
    let payment = format!("/payments/{cancelled_payment}");
    let ended = api.status_of(&payment, &customer, &["FAILED", "REFUNDED"], SETTLE).await.expect("settled");
    let ended = ended["status"].as_str().unwrap_or_default().to_owned();
    // Every event has reached its consumers and every queue and stream has drained: nothing
    // more will be counted.
    sys.quiescent(SETTLE).await.expect("the system settles");
    let total = |m| captured.total(m);
    assert_eq!(total(Metric::OrdersPlaced), 3);
    assert_eq!(total(Metric::OrdersPaid), 1);
    assert_eq!(total(Metric::OrdersRejected), 1);
    assert_eq!(total(Metric::OrdersCancelled), 1);
    let refunded = u64::from(ended == "REFUNDED");
    assert_eq!(total(Metric::PaymentsRefunded), refunded, "{ended}");
    assert_eq!(total(Metric::PaymentsSucceeded), 2 + refunded, "the paid order, the booking (and a refunded charge)");
    assert_eq!(total(Metric::PaymentsFailed), 0, "no payment was declined; a tombstone is no payment");
    assert_eq!((total(Metric::BookingsRequested), total(Metric::BookingsConfirmed)), (1, 1));
    assert_eq!(total(Metric::BookingsCancelled), 0);
    assert_eq!(total(Metric::ConsumerFailures), 0, "{:#?}", captured.lines());
    let line: serde_json::Value = serde_json::from_str(&captured.lines()[0]).expect("EMF JSON");
    assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Bazaar");
}

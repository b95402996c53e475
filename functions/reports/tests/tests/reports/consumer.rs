//! reports-on-event: big events in chunks, each applied exactly once; poison messages fail
//! alone; event types the reports do not read are acknowledged without effect.

use bazaar_events::orders::{OrderLine, OrderPaid};
use bazaar_events::reservations::ReservationConfirmed;
use bazaar_events::{Envelope, Money};
use serde_json::json;

use crate::dataset::{Raw, at, month};
use crate::support::*;

fn big_order(lines: usize) -> Envelope<OrderPaid> {
    let lines: Vec<OrderLine> = (0..lines)
        .map(|i| OrderLine {
            product_id: format!("bulk-{i:03}"),
            owner_id: format!("bulk-owner-{}", i % 3),
            name: format!("Bulk item {i}"),
            quantity: 2,
            unit_price: Money::new(150, "EUR"),
            line_total: Money::new(300, "EUR"),
        })
        .collect();
    let total = Money::new(300 * i64::try_from(lines.len()).expect("small"), "EUR");
    Envelope::at(
        OrderPaid {
            order_id: "bulk-order".into(),
            customer_id: "customer-9".into(),
            customer_email: "customer-9@example.com".into(),
            payment_id: "bulk-payment".into(),
            lines,
            total,
        },
        "corr-bulk",
        at("2026-03-07", "10:00:00"),
    )
}

#[tokio::test]
async fn an_order_too_big_for_one_transaction_is_applied_in_chunks_exactly_once() {
    let app = TestApp::spawn().await;
    let order = big_order(120);
    let body = bazaar_testkit::events::delivered(&order);
    app.deliver(std::slice::from_ref(&body)).await;

    // 120 products × 2 scopes + 3 owners' revenue = 243 deltas: chunks of 99 + marker.
    let id = order.metadata.event_id.to_string();
    let mut markers = app.markers("2026-03-07").await;
    markers.sort();
    assert_eq!(markers, vec![format!("{id}#0"), format!("{id}#1"), format!("{id}#2")]);

    let q = [("from", "2026-03-07"), ("to", "2026-03-07")];
    let all = app.sales_ok(&admin(), &q).await;
    assert_eq!(all["days"][0]["products"].as_array().expect("products").len(), 120);
    assert_eq!(all["totals"]["units"], 240);
    let own = app.sales_ok(&owner("bulk-owner-1"), &q).await;
    assert_eq!(own["totals"], json!({ "units": 80, "revenue": [{ "amount_minor": 12000, "currency": "EUR" }] }));

    app.deliver(&[body.clone(), body]).await;
    assert_eq!(app.sales_ok(&admin(), &q).await, all);
    assert_eq!(app.sales_ok(&owner("bulk-owner-1"), &q).await, own);
    assert_eq!(app.markers("2026-03-07").await.len(), 3);
}

#[tokio::test]
async fn poison_messages_fail_alone_and_other_event_types_are_ignored() {
    let app = TestApp::spawn().await;
    let events = month();
    let paid = events.iter().find(|e| matches!(e, Raw::OrderPaid(_))).expect("an order").clone();
    let placed = events.iter().find(|e| matches!(e, Raw::OrderPlaced(_))).expect("an unread event").clone();
    let Raw::OrderPaid(mut lowercase) = paid.clone() else { unreachable!() };
    lowercase.metadata.event_id = uuid::Uuid::new_v4();
    lowercase.data.lines[0].line_total.currency = "eur".into();
    let confirmed = events.iter().find_map(|e| if let Raw::Confirmed(c) = e { Some(c.clone()) } else { None });
    let mut bad_date: Envelope<ReservationConfirmed> = confirmed.expect("a confirmation");
    bad_date.metadata.event_id = uuid::Uuid::new_v4();
    bad_date.data.reservation.local_date = "10/03/2026".into();

    let bodies = vec![
        paid.body(),
        "{not json".to_owned(),
        placed.body(),
        bazaar_testkit::events::delivered(&lowercase),
        bazaar_testkit::events::delivered(&bad_date),
        json!({ "detail-type": "OrderPaid", "source": "bazaar.orders", "detail": { "data": {} } }).to_string(),
    ];
    let failed = app.deliver_batch(&bodies).await;
    assert_eq!(failed, vec!["m1", "m3", "m4", "m5"]);

    let day = paid.day();
    assert_eq!(app.markers(&day).await, vec![format!("{}#0", paid.event_id())], "one marker: the valid order");
    let report = app.sales_ok(&admin(), &[("from", day.as_str()), ("to", day.as_str())]).await;
    let expected = crate::expected::sales(std::slice::from_ref(&paid), None, &day, &day);
    assert_eq!(crate::expected::without_basis(report), expected);
}

//! reports-on-event under hostile messages: each one fails alone (it ends in the DLQ), and
//! the valid events around it in the batch are counted.

use bazaar_events::orders::{OrderLine, OrderPaid, OrderPlaced};
use bazaar_events::{Envelope, Money};
use bazaar_testkit::events::delivered;
use bazaar_testkit::events::hostile::HostileBatch;

use crate::dataset::at;
use crate::support::*;

const DAY: &str = "2026-04-01";

fn paid(order_id: &str) -> Envelope<OrderPaid> {
    let line = OrderLine {
        product_id: format!("product-{order_id}"),
        owner_id: "owner-1".into(),
        name: "Desk lamp".into(),
        quantity: 1,
        unit_price: Money::new(1000, "EUR"),
        line_total: Money::new(1000, "EUR"),
    };
    let order = OrderPaid {
        order_id: order_id.to_owned(),
        customer_id: "customer-1".into(),
        customer_email: "customer-1@example.com".into(),
        payment_id: format!("payment-{order_id}"),
        lines: vec![line],
        total: Money::new(1000, "EUR"),
    };
    Envelope::at(order, "corr-hostile", at(DAY, "12:00:00"))
}

#[tokio::test]
async fn on_event_fails_each_hostile_message_alone_and_counts_the_rest() {
    let app = TestApp::spawn().await;
    let events = ["first", "hostile", "last"].map(paid);
    let [first, hostile, last] = events.each_ref().map(delivered);
    let mut batch = HostileBatch::new(&first, &hostile, &last);
    let received = app.service().received("reports-on-event", &mut batch.batch).await.expect("through the queue");
    let r = reports_on_event::handler(&app.on_event(), batch.lambda_event()).await.expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;

    let mut markers = app.markers(DAY).await;
    markers.sort();
    let [first, _, last] = events.each_ref().map(|e| format!("{}#0", e.metadata.event_id));
    let mut expected = vec![first, last];
    expected.sort();
    assert_eq!(markers, expected, "the two valid orders are counted, the hostile one never");
    let report = app.sales_ok(&admin(), &[("from", DAY), ("to", DAY)]).await;
    assert_eq!(report["totals"]["units"], 2);
}

/// An event of the contract the reports do not read is acknowledged; at a version the
/// contract does not have, it is poison like any other.
#[tokio::test]
async fn an_unread_event_of_the_contract_is_acknowledged_only_at_its_version() {
    let app = TestApp::spawn().await;
    let placed = Envelope::at(
        OrderPlaced {
            order_id: "o-1".into(),
            customer_id: "customer-1".into(),
            customer_email: "customer-1@example.com".into(),
            lines: vec![],
            total: Money::new(0, "EUR"),
            placed_at: at(DAY, "12:00:00"),
        },
        "corr-hostile",
        at(DAY, "12:00:00"),
    );
    let mut other_version = placed.clone();
    other_version.metadata.version = 999;
    let failed = app.deliver_batch(&[delivered(&placed), delivered(&other_version)]).await;
    assert_eq!(failed, vec!["m1"]);
    assert!(app.markers(DAY).await.is_empty(), "nothing counted");
}

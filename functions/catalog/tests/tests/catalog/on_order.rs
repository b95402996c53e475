//! catalog-on-order: reservation, rejection, release and settlement, each exactly once
//! under redelivery, and a poison message failing alone.

use bazaar_events::catalog::{ReleaseReason, StockLine, StockRejected, StockReleased, StockReserved};
use bazaar_events::orders::CancelReason;
use catalog_core::holds::HoldStatus;
use serde_json::json;

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn an_order_placed_holds_every_line_once_even_when_redelivered() {
    let app = TestApp::spawn().await;
    let (a, b) = (product_id(&app, 10).await, product_id(&app, 5).await);
    let order = new_order_id();
    // The same product twice is one line of the summed quantity.
    let placed = order_placed(&order, &[(&a, 2), (&b, 5), (&a, 1)]);
    acknowledged_twice(&app, &placed).await; // a redelivery is acknowledged

    assert_eq!((app.stock_of(&a).await, app.stock_of(&b).await), (7, 0));
    let reserved = app.events::<StockReserved>().await;
    assert_eq!(reserved.len(), 1, "one event despite the redelivery");
    let event = &reserved[0];
    assert_eq!(event.data.order_id, order);
    assert_eq!(event.metadata.correlation_id, placed.metadata.correlation_id);
    assert_eq!(event.data.total, placed.data.total);
    let mut lines = event.data.lines.clone();
    lines.sort_by(|x, y| x.product_id.cmp(&y.product_id));
    let mut expected =
        vec![StockLine { product_id: a.clone(), quantity: 3 }, StockLine { product_id: b.clone(), quantity: 5 }];
    expected.sort_by(|x, y| x.product_id.cmp(&y.product_id));
    assert_eq!(lines, expected);
    let hold = app.store().hold(&order).await.expect("read").expect("a hold");
    assert_eq!(hold.status, HoldStatus::Held);
    assert_eq!(hold.hold_expires_at, Some(event.data.hold_expires_at));
}

#[tokio::test]
async fn a_short_line_rejects_the_whole_order_and_holds_nothing() {
    let app = TestApp::spawn().await;
    let (plenty, scarce, gone) = (product_id(&app, 10).await, product_id(&app, 1).await, product_id(&app, 9).await);
    expect_status(&delete(&app, &gone, &admin()).await, 204);
    let order = new_order_id();
    let placed = order_placed(&order, &[(&plenty, 2), (&scarce, 2), (&gone, 1), ("no-such-product", 1)]);
    acknowledged_twice(&app, &placed).await;

    assert_eq!(
        (app.stock_of(&plenty).await, app.stock_of(&scarce).await, app.stock_of(&gone).await),
        (10, 1, 9),
        "all or nothing"
    );
    assert!(app.events::<StockReserved>().await.is_empty());
    let rejected = app.events::<StockRejected>().await;
    assert_eq!(rejected.len(), 1, "one event despite the redelivery");
    assert_eq!(rejected[0].metadata.correlation_id, placed.metadata.correlation_id);
    let mut short: Vec<_> =
        rejected[0].data.short.iter().map(|s| (s.product_id.clone(), s.requested, s.available)).collect();
    short.sort();
    let mut expected = vec![(scarce, 2, 1), (gone, 1, 0), ("no-such-product".to_owned(), 1, 0)];
    expected.sort();
    assert_eq!(short, expected);
    assert!(app.store().hold(&order).await.expect("read").is_none());
}

#[tokio::test]
async fn a_cancelled_order_gets_its_units_back_exactly_once() {
    let app = TestApp::spawn().await;
    let (a, order) = held(&app, 4, 3).await;
    assert_eq!(app.stock_of(&a).await, 1);

    acknowledged_twice(&app, &order_cancelled(&order, CancelReason::CustomerRequest)).await;
    // A second, different cancellation event (e.g. payment failed too) releases nothing more.
    acknowledged(&app, &payment_failed(&order)).await;

    assert_eq!(app.stock_of(&a).await, 4);
    let released = released_once(&app, ReleaseReason::OrderCancelled).await;
    assert_eq!(released.data.lines, [StockLine { product_id: a.clone(), quantity: 3 }]);
    assert_eq!(released.metadata.correlation_id, format!("corr-{order}"));
    assert_eq!(hold_status(&app, &order).await, HoldStatus::Released);
}

#[tokio::test]
async fn a_failed_payment_releases_the_hold() {
    let app = TestApp::spawn().await;
    let (a, order) = held(&app, 2, 2).await;
    acknowledged(&app, &payment_failed(&order)).await;
    assert_eq!(app.stock_of(&a).await, 2);
    released_once(&app, ReleaseReason::PaymentFailed).await;
}

#[tokio::test]
async fn a_reservations_failed_payment_touches_no_hold() {
    let app = TestApp::spawn().await;
    let (a, order) = held(&app, 2, 2).await;
    let as_reservation = |id: &str| {
        let mut failed = payment_failed(id);
        failed.data.subject = bazaar_events::payments::Subject::reservation(id);
        failed.data.payment_id = failed.data.subject.payment_id();
        failed
    };
    // One whose id is this order's, one unknown: both acknowledged, neither touches holds.
    let unknown = new_order_id();
    let batch = batch_of(&[delivered(&as_reservation(&order)), delivered(&as_reservation(&unknown))]);
    assert!(app.deliver(&batch).await.is_empty());
    assert_eq!(app.stock_of(&a).await, 0, "the order's units stay held");
    assert_eq!(hold_status(&app, &order).await, HoldStatus::Held);
    assert!(app.store().hold(&unknown).await.expect("read").is_none(), "no void hold either");
    assert!(app.events::<StockReleased>().await.is_empty());
}

#[tokio::test]
async fn a_paid_order_settles_its_hold_and_a_late_cancel_gives_nothing_back() {
    let app = TestApp::spawn().await;
    let (a, order) = held(&app, 5, 2).await;
    acknowledged_twice(&app, &order_paid(&order)).await;
    assert_eq!(hold_status(&app, &order).await, HoldStatus::Settled);

    acknowledged(&app, &order_cancelled(&order, CancelReason::CustomerRequest)).await;
    assert_eq!(app.stock_of(&a).await, 3, "sold units stay sold");
    assert!(app.events::<StockReleased>().await.is_empty());

    // Paying an order without a hold is acknowledged without effect.
    acknowledged(&app, &order_paid(&new_order_id())).await;
}

#[tokio::test]
async fn a_cancellation_that_overtakes_its_order_placed_leaves_the_stock_alone() {
    let app = TestApp::spawn().await;
    let a = product_id(&app, 5).await;
    let order = new_order_id();
    acknowledged(&app, &order_cancelled(&order, CancelReason::CustomerRequest)).await;
    acknowledged(&app, &order_placed(&order, &[(&a, 2)])).await;
    assert_eq!(app.stock_of(&a).await, 5);
    assert!(app.events::<StockReserved>().await.is_empty());
    assert!(app.events::<StockReleased>().await.is_empty());
    assert_eq!(hold_status(&app, &order).await, HoldStatus::Void);
}

/// An order's `OrderPlaced` and `OrderCancelled` handled at the same time (one batch, applied
/// concurrently): whichever wins, no message fails, and every unit held is given back.
#[tokio::test]
async fn a_cancellation_racing_its_order_placed_fails_no_message_and_returns_every_unit() {
    let app = TestApp::spawn().await;
    let a = product_id(&app, 100).await;
    let messages = (0..20).flat_map(|i| {
        let order = new_order_id();
        [
            (format!("placed-{i}"), delivered(&order_placed(&order, &[(&a, 1)]))),
            (format!("cancelled-{i}"), delivered(&order_cancelled(&order, CancelReason::CustomerRequest))),
        ]
    });
    let failed = app.deliver(&batch(messages)).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(app.stock_of(&a).await, 100);
    let (reserved, released) = (app.events::<StockReserved>().await, app.events::<StockReleased>().await);
    assert_eq!(reserved.len(), released.len(), "every hold made was released");
}

#[tokio::test]
async fn a_poison_message_fails_alone_and_the_other_nine_are_applied() {
    let app = TestApp::spawn().await;
    let a = product_id(&app, 100).await;
    let body = |i| match i {
        4 => "{ this is not an event".to_owned(),
        _ => delivered(&order_placed(&new_order_id(), &[(&a, 1)])),
    };
    let failed = app.deliver(&batch((0..10).map(|i| (format!("msg-{i}"), body(i))))).await;
    assert_eq!(failed, ["msg-4"]);
    assert_eq!(app.stock_of(&a).await, 91);
    assert_eq!(app.events::<StockReserved>().await.len(), 9);
}

#[tokio::test]
async fn an_event_this_consumer_does_not_know_or_cannot_decode_is_reported() {
    let app = TestApp::spawn().await;
    let unknown = json!({ "detail-type": "Surprise", "source": "bazaar.orders", "detail": {} }).to_string();
    let broken =
        json!({ "detail-type": "OrderPlaced", "source": "bazaar.orders", "detail": { "data": {} } }).to_string();
    let mut failed = app.deliver(&batch(vec![("u".into(), unknown), ("b".into(), broken)])).await;
    failed.sort();
    assert_eq!(failed, ["b", "u"]);
}

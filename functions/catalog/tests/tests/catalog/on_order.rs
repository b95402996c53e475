//! catalog-on-order: reservation, rejection, release and settlement, each exactly once
//! under redelivery, and a poison message failing alone.

use bazaar_events::catalog::{ReleaseReason, StockLine, StockRejected, StockReleased, StockReserved};
use bazaar_events::orders::CancelReason;
use catalog_core::holds::HoldStatus;
use serde_json::json;

use crate::support::*;

async fn product_id(app: &TestApp, stock: u32) -> String {
    app.product("Thing", "misc", 100, stock).await["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn an_order_placed_holds_every_line_once_even_when_redelivered() {
    let app = TestApp::spawn().await;
    let (a, b) = (product_id(&app, 10).await, product_id(&app, 5).await);
    let order = new_order_id();
    // The same product twice is one line of the summed quantity.
    let placed = order_placed(&order, &[(&a, 2), (&b, 5), (&a, 1)]);
    let messages = batch_of(&[delivered(&placed)]);
    assert!(app.deliver(&messages).await.is_empty());
    assert!(app.deliver(&messages).await.is_empty(), "a redelivery is acknowledged");

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
    let r =
        catalog_products_delete::handler(&deps!(app, catalog_products_delete), delete_product(&gone, Some(&admin())))
            .await;
    assert_eq!(r.status(), 204);
    let order = new_order_id();
    let placed = order_placed(&order, &[(&plenty, 2), (&scarce, 2), (&gone, 1), ("no-such-product", 1)]);
    let messages = batch_of(&[delivered(&placed)]);
    assert!(app.deliver(&messages).await.is_empty());
    assert!(app.deliver(&messages).await.is_empty());

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
    let a = product_id(&app, 4).await;
    let order = new_order_id();
    assert!(app.deliver(&batch_of(&[delivered(&order_placed(&order, &[(&a, 3)]))])).await.is_empty());
    assert_eq!(app.stock_of(&a).await, 1);

    let cancel = batch_of(&[delivered(&order_cancelled(&order, CancelReason::CustomerRequest))]);
    assert!(app.deliver(&cancel).await.is_empty());
    assert!(app.deliver(&cancel).await.is_empty());
    // A second, different cancellation event (e.g. payment failed too) releases nothing more.
    assert!(app.deliver(&batch_of(&[delivered(&payment_failed(&order))])).await.is_empty());

    assert_eq!(app.stock_of(&a).await, 4);
    let released = app.events::<StockReleased>().await;
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].data.reason, ReleaseReason::OrderCancelled);
    assert_eq!(released[0].data.lines, [StockLine { product_id: a.clone(), quantity: 3 }]);
    assert_eq!(released[0].metadata.correlation_id, format!("corr-{order}"));
    assert_eq!(app.store().hold(&order).await.expect("read").expect("hold").status, HoldStatus::Released);
}

#[tokio::test]
async fn a_failed_payment_releases_the_hold() {
    let app = TestApp::spawn().await;
    let a = product_id(&app, 2).await;
    let order = new_order_id();
    assert!(app.deliver(&batch_of(&[delivered(&order_placed(&order, &[(&a, 2)]))])).await.is_empty());
    assert!(app.deliver(&batch_of(&[delivered(&payment_failed(&order))])).await.is_empty());
    assert_eq!(app.stock_of(&a).await, 2);
    let released = app.events::<StockReleased>().await;
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].data.reason, ReleaseReason::PaymentFailed);
}

#[tokio::test]
async fn a_reservations_failed_payment_touches_no_hold() {
    let app = TestApp::spawn().await;
    let a = product_id(&app, 2).await;
    let order = new_order_id();
    assert!(app.deliver(&batch_of(&[delivered(&order_placed(&order, &[(&a, 2)]))])).await.is_empty());
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
    assert_eq!(app.store().hold(&order).await.expect("read").expect("hold").status, HoldStatus::Held);
    assert!(app.store().hold(&unknown).await.expect("read").is_none(), "no void hold either");
    assert!(app.events::<StockReleased>().await.is_empty());
}

#[tokio::test]
async fn a_paid_order_settles_its_hold_and_a_late_cancel_gives_nothing_back() {
    let app = TestApp::spawn().await;
    let a = product_id(&app, 5).await;
    let order = new_order_id();
    assert!(app.deliver(&batch_of(&[delivered(&order_placed(&order, &[(&a, 2)]))])).await.is_empty());
    let paid = batch_of(&[delivered(&order_paid(&order))]);
    assert!(app.deliver(&paid).await.is_empty());
    assert!(app.deliver(&paid).await.is_empty());
    assert_eq!(app.store().hold(&order).await.expect("read").expect("hold").status, HoldStatus::Settled);

    let cancel = batch_of(&[delivered(&order_cancelled(&order, CancelReason::CustomerRequest))]);
    assert!(app.deliver(&cancel).await.is_empty());
    assert_eq!(app.stock_of(&a).await, 3, "sold units stay sold");
    assert!(app.events::<StockReleased>().await.is_empty());

    // Paying an order without a hold is acknowledged without effect.
    assert!(app.deliver(&batch_of(&[delivered(&order_paid(&new_order_id()))])).await.is_empty());
}

#[tokio::test]
async fn a_cancellation_that_overtakes_its_order_placed_leaves_the_stock_alone() {
    let app = TestApp::spawn().await;
    let a = product_id(&app, 5).await;
    let order = new_order_id();
    let cancel = batch_of(&[delivered(&order_cancelled(&order, CancelReason::CustomerRequest))]);
    assert!(app.deliver(&cancel).await.is_empty());
    assert!(app.deliver(&batch_of(&[delivered(&order_placed(&order, &[(&a, 2)]))])).await.is_empty());
    assert_eq!(app.stock_of(&a).await, 5);
    assert!(app.events::<StockReserved>().await.is_empty());
    assert!(app.events::<StockReleased>().await.is_empty());
    assert_eq!(app.store().hold(&order).await.expect("read").expect("hold").status, HoldStatus::Void);
}

/// An order's `OrderPlaced` and `OrderCancelled` handled at the same time (one batch, applied
/// concurrently): whichever wins, no message fails, and every unit held is given back.
#[tokio::test]
async fn a_cancellation_racing_its_order_placed_fails_no_message_and_returns_every_unit() {
    let app = TestApp::spawn().await;
    let a = product_id(&app, 100).await;
    let mut messages = Vec::new();
    for i in 0..20 {
        let order = new_order_id();
        let placed = delivered(&order_placed(&order, &[(&a, 1)]));
        let cancelled = delivered(&order_cancelled(&order, CancelReason::CustomerRequest));
        messages.push((format!("placed-{i}"), placed));
        messages.push((format!("cancelled-{i}"), cancelled));
    }
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
    let mut messages = Vec::new();
    for i in 0..10 {
        let body = match i {
            4 => "{ this is not an event".to_owned(),
            _ => delivered(&order_placed(&new_order_id(), &[(&a, 1)])),
        };
        messages.push((format!("msg-{i}"), body));
    }
    let failed = app.deliver(&batch(messages)).await;
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
    let failed = app.deliver(&batch(vec![("u".into(), unknown), ("b".into(), broken)])).await;
    let mut failed = failed;
    failed.sort();
    assert_eq!(failed, ["b", "u"]);
}

//! The consumers under hostile messages: each one fails alone (it ends in the DLQ), and the
//! valid events around it in the batch are applied.

use bazaar_events::{Envelope, Money};
use bazaar_testkit::events::hostile::HostileBatch;
use orders_core::OrderStatus;

use crate::steps::*;
use crate::support::*;

/// Three new orders: (id, total) of the first, the hostile template's and the last.
async fn three_orders(app: &TestApp) -> [(String, Money); 3] {
    let mut orders = Vec::new();
    for _ in 0..3 {
        let id = placed_id(app, &customer()).await;
        let total = app.order(&id).await.total;
        orders.push((id, total));
    }
    orders.try_into().expect("three")
}

/// The bodies `event` makes of the three orders, as a hostile batch.
fn hostile_batch(orders: &[(String, Money); 3], event: impl Fn(&str, Money) -> String) -> HostileBatch {
    let [first, hostile, last] = orders.clone().map(|(id, total)| event(&id, total));
    HostileBatch::new(&first, &hostile, &last)
}

/// Asserts the first and the last order are `applied`, the hostile template's still `before`.
async fn statuses(app: &TestApp, orders: &[(String, Money); 3], applied: OrderStatus, before: OrderStatus) {
    let [first, hostile, last] = orders;
    assert_eq!(app.order(&first.0).await.status, applied);
    assert_eq!(app.order(&last.0).await.status, applied);
    assert_eq!(app.order(&hostile.0).await.status, before, "no hostile message moved its order");
}

#[tokio::test]
async fn on_product_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let ids = [(); 3].map(|()| uuid::Uuid::new_v4().to_string());
    let [first, hostile, last] =
        ids.clone().map(|id| delivered(&Envelope::new(product_changed(&id, 100, "EUR", true, 1), "c")));
    let mut batch = HostileBatch::new(&first, &hostile, &last);
    let received = app.received("orders-on-product", &mut batch.batch).await.expect("through the queue");
    let r = orders_on_product::handler(&deps!(app, orders_on_product), batch.lambda_event()).await.expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;

    let [first, hostile, last] = &ids;
    assert!(app.store().product(first).await.expect("read").is_some(), "the first is projected");
    assert!(app.store().product(last).await.expect("read").is_some(), "the last is projected");
    assert!(app.store().product(hostile).await.expect("read").is_none(), "no hostile message was projected");
}

#[tokio::test]
async fn on_stock_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let orders = three_orders(&app).await;
    let mut batch = hostile_batch(&orders, |id, total| delivered(&reserved(id, total)));
    let received = app.received("orders-on-stock", &mut batch.batch).await.expect("through the queue");
    let r = orders_on_stock::handler(&deps!(app, orders_on_stock), batch.lambda_event()).await.expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;
    statuses(&app, &orders, OrderStatus::AwaitingPayment, OrderStatus::Pending).await;
}

#[tokio::test]
async fn on_payment_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let orders = three_orders(&app).await;
    for (id, _) in &orders {
        reserve(&app, id).await;
    }
    let mut batch = hostile_batch(&orders, |id, total| delivered(&succeeded(id, total)));
    let received = app.received("orders-on-payment", &mut batch.batch).await.expect("through the queue");
    let r = orders_on_payment::handler(&deps!(app, orders_on_payment), batch.lambda_event()).await.expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;
    statuses(&app, &orders, OrderStatus::Paid, OrderStatus::AwaitingPayment).await;
}

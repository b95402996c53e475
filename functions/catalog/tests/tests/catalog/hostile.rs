//! catalog-on-order under hostile messages: each one fails alone (it ends in the DLQ), and
//! the valid orders around it in the batch hold their stock.

use bazaar_testkit::events::hostile::HostileBatch;
use catalog_core::holds::HoldStatus;

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn on_order_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let product = product_id(&app, 10).await;
    let (first, hostile, last) = (new_order_id(), new_order_id(), new_order_id());
    let mut batch = HostileBatch::new(
        &delivered(&order_placed(&first, &[(&product, 2)])),
        &delivered(&order_placed(&hostile, &[(&product, 3)])),
        &delivered(&order_placed(&last, &[(&product, 1)])),
    );
    let received = app.received("catalog-on-order", &mut batch.batch).await.expect("through the queue");
    let r = catalog_on_order::handler(&deps!(app, catalog_on_order), batch.lambda_event()).await.expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;

    assert_eq!(hold_status(&app, &first).await, HoldStatus::Held);
    assert_eq!(hold_status(&app, &last).await, HoldStatus::Held);
    assert!(app.store().hold(&hostile).await.expect("read").is_none(), "no hostile message held stock");
    assert_eq!(app.stock_of(&product).await, 7, "2 + 1 held");
}

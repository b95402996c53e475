//! catalog-holds-expire: unpaid holds go back to stock after their expiry and a grace period,
//! exactly once; settled holds never do.

use bazaar_events::catalog::{ReleaseReason, StockReleased};
use catalog_core::flows::release_expired;
use catalog_core::holds::HoldStatus;
use chrono::{Duration, Utc};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn an_unpaid_hold_is_released_only_after_its_expiry_and_the_grace() {
    let app = TestApp::spawn().await;
    let (id, order) = held(&app, 5, 2).await;
    let store = app.store();
    let ttl = deps!(app, catalog_on_order).hold_ttl_seconds;
    let grace = deps!(app, catalog_holds_expire).grace_seconds;

    let just_expired = Utc::now() + Duration::seconds(ttl + 1);
    assert_eq!(release_expired(&store, just_expired, grace, 100).await.expect("runs"), 0, "grace not over");
    assert_eq!(app.stock_of(&id).await, 3);

    let later = Utc::now() + Duration::seconds(ttl + grace + 5);
    assert_eq!(release_expired(&store, later, grace, 100).await.expect("runs"), 1);
    assert_eq!(release_expired(&store, later, grace, 100).await.expect("runs"), 0, "released once");
    assert_eq!(app.stock_of(&id).await, 5);
    let released = released_once(&app, ReleaseReason::Expired).await;
    assert_eq!(released.metadata.correlation_id, format!("corr-{order}"), "the order's flow");
    assert_eq!(hold_status(&app, &order).await, HoldStatus::Released);

    // The order's cancellation arriving afterwards gives nothing back twice.
    acknowledged(&app, &order_cancelled(&order, bazaar_events::orders::CancelReason::PaymentFailed)).await;
    assert_eq!(app.stock_of(&id).await, 5);
    assert_eq!(app.events::<StockReleased>().await.len(), 1);
}

#[tokio::test]
async fn a_settled_hold_never_expires() {
    let app = TestApp::spawn().await;
    let (id, order) = held(&app, 5, 2).await;
    acknowledged(&app, &order_paid(&order)).await;
    let far = Utc::now() + Duration::days(30);
    assert_eq!(release_expired(&app.store(), far, 300, 100).await.expect("runs"), 0);
    assert_eq!(app.stock_of(&id).await, 3);
}

#[tokio::test]
async fn the_scheduled_handler_releases_expired_holds_and_reports_how_many() {
    let app = TestApp::spawn().await;
    let id = product_id(&app, 10).await;
    // Holds that expired ten minutes ago (past the five-minute grace), and one still valid.
    let mut expired = deps!(app, catalog_on_order);
    expired.hold_ttl_seconds = -600;
    for _ in 0..3 {
        let placed = order_placed(&new_order_id(), &[(&id, 2)]);
        let event = LambdaEvent::new(batch_of(&[delivered(&placed)]), Context::default());
        let r = catalog_on_order::handler(&expired, event).await.expect("handled");
        assert!(r.batch_item_failures.is_empty());
    }
    placed(&app, &id, 1).await;
    assert_eq!(app.stock_of(&id).await, 3);

    let deps = deps!(app, catalog_holds_expire);
    let scheduled =
        || LambdaEvent::new(json!({ "source": "aws.events", "detail-type": "Scheduled Event" }), Context::default());
    let r = catalog_holds_expire::handler(&deps, scheduled()).await.expect("handled");
    assert_eq!(r, json!({ "released": 3 }));
    assert_eq!(app.stock_of(&id).await, 9);
    let r = catalog_holds_expire::handler(&deps, scheduled()).await.expect("handled");
    assert_eq!(r, json!({ "released": 0 }));
}

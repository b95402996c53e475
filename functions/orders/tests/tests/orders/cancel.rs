//! `POST /orders/{id}/cancel`: only from PENDING or AWAITING_PAYMENT, only by the customer
//! or an admin, with `OrderCancelled(customer_request)`.

use bazaar_events::orders::{CancelReason, OrderCancelled};
use bazaar_runtime::Identity;

use crate::support::*;

async fn cancel(app: &TestApp, who: &Identity, id: &str) -> lambda_http::Response<lambda_http::Body> {
    let req = Req::new("POST", &format!("/orders/{id}/cancel")).identity(who).path_param("id", id).build();
    orders_cancel::handler(&deps!(app, orders_cancel), req).await
}

#[tokio::test]
async fn a_customer_cancels_a_pending_order_once() {
    let app = TestApp::spawn().await;
    let ana = customer();
    let id = app.placed_order(&ana).await["id"].as_str().expect("id").to_owned();

    let r = cancel(&app, &ana, &id).await;

    assert_eq!(r.status(), 200, "{}", text(&r));
    let order = body_json(&r);
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["status_reason"], "customer_request");
    assert_eq!(app.order(&id).await.status, orders_core::OrderStatus::Cancelled);
    let events = app.events_of::<OrderCancelled>(&id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.reason, CancelReason::CustomerRequest);
    assert_eq!(events[0].data.customer_email, ana.email);

    assert_problem(&cancel(&app, &ana, &id).await, 409);
    assert_eq!(app.events_of::<OrderCancelled>(&id).await.len(), 1);
}

#[tokio::test]
async fn an_admin_may_cancel_an_order_awaiting_payment() {
    let app = TestApp::spawn().await;
    let id = app.placed_order(&customer()).await["id"].as_str().expect("id").to_owned();
    crate::consumers::reserve(&app, &id).await;
    assert_eq!(app.order(&id).await.status, orders_core::OrderStatus::AwaitingPayment);

    let r = cancel(&app, &admin(), &id).await;

    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["status"], "CANCELLED");
}

#[tokio::test]
async fn another_customers_or_an_unknown_order_is_404_and_unchanged() {
    let app = TestApp::spawn().await;
    let id = app.placed_order(&customer()).await["id"].as_str().expect("id").to_owned();

    assert_problem(&cancel(&app, &customer(), &id).await, 404);
    assert_problem(&cancel(&app, &customer(), "no-such-order").await, 404);
    assert_eq!(app.order(&id).await.status, orders_core::OrderStatus::Pending);
    assert!(app.events_of::<OrderCancelled>(&id).await.is_empty());
}

#[tokio::test]
async fn a_paid_order_cannot_be_cancelled() {
    let app = TestApp::spawn().await;
    let ana = customer();
    let id = app.placed_order(&ana).await["id"].as_str().expect("id").to_owned();
    crate::consumers::pay(&app, &id).await;

    let r = cancel(&app, &ana, &id).await;
    assert_problem(&r, 409);
    assert!(
        body_json(&r)["detail"].as_str().unwrap_or_default().contains("PAID order cannot be cancelled"),
        "{}",
        text(&r)
    );
    assert_eq!(app.order(&id).await.status, orders_core::OrderStatus::Paid);
    assert!(app.events_of::<OrderCancelled>(&id).await.is_empty(), "nothing for payments to refund");
}

//! `POST /orders/{id}/cancel`: only from PENDING or AWAITING_PAYMENT, only by the customer
//! or an admin, with `OrderCancelled(customer_request)`.

use bazaar_events::orders::{CancelReason, OrderCancelled};
use bazaar_runtime::Identity;
use orders_core::OrderStatus;

use crate::steps::*;
use crate::support::*;

async fn cancel(app: &TestApp, who: &Identity, id: &str) -> lambda_http::Response<lambda_http::Body> {
    let req = Req::new("POST", &format!("/orders/{id}/cancel")).identity(who).path_param("id", id).build();
    orders_cancel::handler(&deps!(app, orders_cancel), req).await
}

#[tokio::test]
async fn a_customer_cancels_a_pending_order_once() {
    let app = TestApp::spawn().await;
    let ana = customer();
    let id = placed_id(&app, &ana).await;

    let order = expect_status(&cancel(&app, &ana, &id).await, 200);

    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["status_reason"], "customer_request");
    let cancelled =
        cancelled_once(&app, &id, OrderStatus::Cancelled, "customer_request", CancelReason::CustomerRequest).await;
    assert_eq!(cancelled.data.customer_email, ana.email);

    assert_problem(&cancel(&app, &ana, &id).await, 409);
    assert_eq!(app.events_of::<OrderCancelled>(&id).await.len(), 1);
}

#[tokio::test]
async fn an_admin_may_cancel_an_order_awaiting_payment() {
    let app = TestApp::spawn().await;
    let id = placed_id(&app, &customer()).await;
    reserve(&app, &id).await;
    assert_eq!(app.order(&id).await.status, OrderStatus::AwaitingPayment);

    assert_eq!(expect_status(&cancel(&app, &admin(), &id).await, 200)["status"], "CANCELLED");
}

#[tokio::test]
async fn reading_every_order_is_not_cancelling_any() {
    let app = TestApp::spawn().await;
    let id = placed_id(&app, &customer()).await;

    let get = Req::new("GET", &format!("/orders/{id}")).identity(&auditor()).path_param("id", &id).build();
    assert_eq!(orders_get::handler(&deps!(app, orders_get), get).await.status(), 200, "the auditor reads it");
    assert_problem(&cancel(&app, &auditor(), &id).await, 403);
    assert_eq!(app.order(&id).await.status, OrderStatus::Pending);
    assert!(app.events_of::<OrderCancelled>(&id).await.is_empty());
}

#[tokio::test]
async fn another_customers_or_an_unknown_order_is_404_and_unchanged() {
    let app = TestApp::spawn().await;
    let id = placed_id(&app, &customer()).await;

    assert_problem(&cancel(&app, &customer(), &id).await, 404);
    assert_problem(&cancel(&app, &customer(), "no-such-order").await, 404);
    assert_eq!(app.order(&id).await.status, OrderStatus::Pending);
    assert!(app.events_of::<OrderCancelled>(&id).await.is_empty());
}

#[tokio::test]
async fn a_paid_order_cannot_be_cancelled() {
    let app = TestApp::spawn().await;
    let ana = customer();
    let id = placed_id(&app, &ana).await;
    pay(&app, &id).await;

    let r = cancel(&app, &ana, &id).await;
    assert_problem(&r, 409);
    assert!(
        body_json(&r)["detail"].as_str().unwrap_or_default().contains("PAID order cannot be cancelled"),
        "{}",
        text(&r)
    );
    assert_eq!(app.order(&id).await.status, OrderStatus::Paid);
    assert!(app.events_of::<OrderCancelled>(&id).await.is_empty(), "nothing for payments to refund");
}

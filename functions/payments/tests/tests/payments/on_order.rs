//! `payments-on-order`: a cancelled order never costs its customer anything. A pending
//! payment fails, a succeeded one is refunded, a cancellation that overtakes `StockReserved`
//! leaves a tombstone so no payment is ever created, and exactly one `CancellationSettled`
//! says which, however often the event is delivered.

use bazaar_events::orders::CancelReason;
use bazaar_events::payments::{
    Cancellation, CancellationSettled, MoneyOutcome, PaymentFailed, PaymentRefunded, PaymentSucceeded,
};
use chrono::{Duration, Utc};
use payments_core::PaymentStatus;

use crate::steps::*;
use crate::support::*;

fn reserved() -> bazaar_events::Envelope<bazaar_events::catalog::StockReserved> {
    stock_reserved(&new_customer(), 4200, Utc::now() + Duration::minutes(15))
}

#[tokio::test]
async fn a_cancellation_that_overtakes_stock_reserved_leaves_a_tombstone_and_nothing_is_ever_charged() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let reserved = reserved();
    let cancelled = order_cancelled(&reserved, CancelReason::CustomerRequest);
    app.order_events(&[delivered(&cancelled)]).await;
    let tombstone = app.payment(&payment_id_of(&reserved)).await.expect("a tombstone");
    assert_eq!((tombstone.status, tombstone.failure_reason.as_deref()), (PaymentStatus::Failed, Some("cancelled")));
    assert_eq!(tombstone.payer, reserved.data.customer_id);

    // The StockReserved of the cancelled order arrives late: it creates no payment.
    reserve(&app, &reserved).await;
    assert_eq!(app.payment(&payment_id_of(&reserved)).await, Some(tombstone));
    assert!(app.events::<PaymentSucceeded>().await.is_empty(), "never charged");
    let settled = settled_once(&app, MoneyOutcome::NothingCharged).await;
    assert_eq!(settled.data.cancellation, Cancellation::Order(cancelled.data.clone()));
    assert_eq!(settled.metadata.correlation_id, cancelled.metadata.correlation_id);
}

#[tokio::test]
async fn a_cancelled_order_with_a_pending_payment_fails_it_and_the_payer_cannot_pay_any_more() {
    let app = TestApp::sandbox().await;
    let payment = app.pending_payment(&new_customer()).await;
    let reserved_like = stock_reserved(&payment.payer, payment.amount.amount_minor, payment.hold_expires_at);
    let mut cancelled = order_cancelled(&reserved_like, CancelReason::CustomerRequest);
    cancelled.data.order_id = payment.subject.id.clone();
    let body = delivered(&cancelled);
    app.order_events(&[body.clone(), body.clone()]).await;
    app.order_events(&[body]).await;

    failed_once(&app, &payment.payment_id, "cancelled").await;
    settled_once(&app, MoneyOutcome::NothingCharged).await;
    assert_problem(&complete(&app, &payment.payment_id, &customer(&payment.payer), "c").await, 409);
}

#[tokio::test]
async fn a_cancelled_order_whose_payment_succeeded_is_refunded_exactly_once() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let reserved = reserved();
    reserve(&app, &reserved).await;
    assert_eq!(app.payment(&payment_id_of(&reserved)).await.expect("paid").status, PaymentStatus::Succeeded);

    let body = delivered(&order_cancelled(&reserved, CancelReason::CustomerRequest));
    app.order_events(&[body.clone(), body.clone()]).await;
    let after_first = app.snapshot().await;
    app.order_events(&[body]).await;
    assert_eq!(app.snapshot().await, after_first, "the redelivery changed nothing");

    let payment = app.payment(&payment_id_of(&reserved)).await.expect("payment");
    assert_eq!(payment.status, PaymentStatus::Refunded);
    let refunds = app.events::<PaymentRefunded>().await;
    assert_eq!(refunds.len(), 1, "exactly one PaymentRefunded");
    assert_eq!(
        (&refunds[0].data.amount, &refunds[0].data.customer_id),
        (&reserved.data.total, &reserved.data.customer_id)
    );
    assert_eq!(refunds[0].data.provider_ref, payment.refund_ref.clone().expect("refund ref"));
    settled_once(&app, MoneyOutcome::Refunded).await;
}

#[tokio::test]
async fn an_order_cancelled_because_its_payment_failed_only_hears_that_nothing_was_charged() {
    let app = TestApp::spawn_with(&simulated("0")).await;
    let reserved = reserved();
    reserve(&app, &reserved).await;
    failed_once(&app, &payment_id_of(&reserved), "declined").await;
    let before = app.payment(&payment_id_of(&reserved)).await;

    app.order_events(&[delivered(&order_cancelled(&reserved, CancelReason::PaymentFailed))]).await;
    assert_eq!(app.payment(&payment_id_of(&reserved)).await, before, "the payment is untouched");
    assert_eq!(app.events::<PaymentFailed>().await.len(), 1, "only the decline's");
    settled_once(&app, MoneyOutcome::NothingCharged).await;
}

#[tokio::test]
async fn stock_reserved_and_the_cancellation_racing_never_leave_a_charge() {
    let app = TestApp::spawn_with(&simulated("1.0")).await;
    let (on_stock, on_order) = (deps!(app, payments_on_stock), deps!(app, payments_on_order));
    let mut orders = Vec::new();
    for i in 0..12 {
        let reserved = reserved();
        let stock = sqs_event(&[("s", &delivered(&reserved))]);
        let cancel = sqs_event(&[("c", &delivered(&order_cancelled(&reserved, CancelReason::CustomerRequest)))]);
        let event = |e| lambda_runtime::LambdaEvent::new(e, lambda_runtime::Context::default());
        // Alternate which one starts first; both run concurrently.
        let (a, b) = if i % 2 == 0 {
            tokio::join!(
                payments_on_stock::handler(&on_stock, event(stock)),
                payments_on_order::handler(&on_order, event(cancel))
            )
        } else {
            let (b, a) = tokio::join!(
                payments_on_order::handler(&on_order, event(cancel)),
                payments_on_stock::handler(&on_stock, event(stock))
            );
            (a, b)
        };
        assert!(
            a.expect("on-stock").batch_item_failures.is_empty() && b.expect("on-order").batch_item_failures.is_empty()
        );
        orders.push(reserved);
    }
    let succeeded = app.events::<PaymentSucceeded>().await;
    let refunded = app.events::<PaymentRefunded>().await;
    let settled = app.events::<CancellationSettled>().await;
    for reserved in &orders {
        let id = payment_id_of(reserved);
        let payment = app.payment(&id).await.expect("payment or tombstone");
        let charges = succeeded.iter().filter(|e| e.data.payment_id == id).count();
        let refunds = refunded.iter().filter(|e| e.data.payment_id == id).count();
        assert_eq!(charges, refunds, "{payment:?}: every charge was given back");
        assert!(matches!(payment.status, PaymentStatus::Failed | PaymentStatus::Refunded), "{payment:?}");
        let told: Vec<_> = settled.iter().filter(|e| e.data.payment_id == id).collect();
        assert_eq!(told.len(), 1, "{payment:?}");
        let expected = if charges == 1 { MoneyOutcome::Refunded } else { MoneyOutcome::NothingCharged };
        assert_eq!(told[0].data.money, expected, "{payment:?}");
    }
}

#[tokio::test]
async fn poison_and_foreign_messages_fail_alone() {
    let app = TestApp::spawn().await;
    let good = reserved();
    let good_body = delivered(&order_cancelled(&good, CancelReason::StockRejected));
    let wrong = delivered(&good);
    let response = app.deliver_order(sqs_event(&[("a", "not json"), ("b", &wrong), ("d", &good_body)])).await;
    assert_eq!(failed_sorted(&response), ["a", "b"]);
    assert_eq!(app.payment(&payment_id_of(&good)).await.expect("tombstone").status, PaymentStatus::Failed);
}

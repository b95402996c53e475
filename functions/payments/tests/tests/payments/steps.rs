//! Steps the payments test files share: a simulated provider, `StockReserved` delivered,
//! the HTTP routes called as the gateway would, a payment stored as created long ago, and
//! the checks of how a payment ended.

use aws_lambda_events::sqs::SqsBatchResponse;
use bazaar_events::catalog::StockReserved;
use bazaar_events::payments::{CancellationSettled, MoneyOutcome, PaymentFailed, PaymentSucceeded, Subject};
use bazaar_events::{Envelope, Money};
use bazaar_runtime::Identity;
use chrono::{Duration, Utc};
use lambda_http::{Body, Response};
use payments_core::{Payment, PaymentStatus};

use crate::support::*;

/// The template parameters of a provider that settles at once, succeeding at `rate`.
pub fn simulated(rate: &'static str) -> [(&'static str, &'static str); 2] {
    [("PaymentProviderMode", "simulated"), ("PaymentSuccessRate", rate)]
}

/// Delivers `reserved` to payments-on-stock alone and asserts it was applied.
pub async fn reserve(app: &TestApp, reserved: &Envelope<StockReserved>) {
    let response = app.deliver(sqs_event(&[("m1", &delivered(reserved))])).await;
    assert!(response.batch_item_failures.is_empty(), "failed: {:?}", response.batch_item_failures);
}

/// The ids of the messages a consumer reported failed, sorted.
pub fn failed_sorted(response: &SqsBatchResponse) -> Vec<String> {
    let mut failed = bazaar_testkit::events::failed_ids(response);
    failed.sort();
    failed
}

/// Asserts `r` is a 200; returns its body.
pub fn ok_body(r: &Response<Body>) -> serde_json::Value {
    assert_eq!(r.status(), 200, "{}", text(r));
    body_json(r)
}

/// `GET /payments/{id}` as `who`.
pub async fn get(app: &TestApp, payment_id: &str, who: Option<&Identity>) -> Response<Body> {
    payments_get::handler(&deps!(app, payments_get), get_payment(payment_id, who)).await
}

/// `POST /payments/{id}/complete` as `who`.
pub async fn complete(app: &TestApp, payment_id: &str, who: &Identity, correlation_id: &str) -> Response<Body> {
    let req = post_action(payment_id, "complete", who, correlation_id);
    payments_complete::handler(&deps!(app, payments_complete), req).await
}

/// `POST /payments/{id}/cancel` as `who`.
pub async fn cancel(app: &TestApp, payment_id: &str, who: &Identity, correlation_id: &str) -> Response<Body> {
    let req = post_action(payment_id, "cancel", who, correlation_id);
    payments_cancel::handler(&deps!(app, payments_cancel), req).await
}

/// A PENDING payment of `subject` by `payer` created `age` ago, whose hold is still valid
/// for a while.
pub fn old_pending_payment(subject: Subject, payer: &str, age: Duration) -> Payment {
    let created = Utc::now() - age;
    Payment {
        payment_id: subject.payment_id(),
        subject,
        payer: payer.to_owned(),
        status: PaymentStatus::Pending,
        amount: Money::new(700, "EUR"),
        created_at: created,
        updated_at: created,
        hold_expires_at: Utc::now() + Duration::minutes(10),
        provider_ref: None,
        failure_reason: None,
        refund_ref: None,
    }
}

/// The subject of a new order's payment.
pub fn new_order() -> Subject {
    Subject::order(uuid::Uuid::new_v4().to_string())
}

/// Stores an [`old_pending_payment`] of `subject` by a new customer, created `age` ago, and
/// completes it as that customer: the payment and the response.
pub async fn complete_created_ago(app: &TestApp, subject: Subject, age: Duration) -> (Payment, Response<Body>) {
    let payer = new_customer();
    let payment = old_pending_payment(subject, &payer, age);
    app.insert_payment(&payment).await;
    let r = complete(app, &payment.payment_id, &customer(&payer), "c").await;
    (payment, r)
}

/// Asserts payment `payment_id` is SUCCEEDED, with exactly one `PaymentSucceeded` (for
/// it); returns the event.
pub async fn succeeded_once(app: &TestApp, payment_id: &str) -> Envelope<PaymentSucceeded> {
    assert_eq!(app.payment(payment_id).await.expect("payment").status, PaymentStatus::Succeeded);
    let mut events = app.events::<PaymentSucceeded>().await;
    assert_eq!(events.len(), 1, "exactly one PaymentSucceeded: {events:?}");
    assert_eq!(events[0].data.payment_id, payment_id);
    events.remove(0)
}

/// Asserts payment `payment_id` is FAILED for `reason`, with exactly one `PaymentFailed`
/// (for it, with that reason) and no `PaymentSucceeded`; returns the event.
pub async fn failed_once(app: &TestApp, payment_id: &str, reason: &str) -> Envelope<PaymentFailed> {
    let stored = app.payment(payment_id).await.expect("payment");
    assert_eq!((stored.status, stored.failure_reason.as_deref()), (PaymentStatus::Failed, Some(reason)));
    let mut events = app.events::<PaymentFailed>().await;
    assert_eq!(events.len(), 1, "exactly one PaymentFailed: {events:?}");
    assert_eq!((events[0].data.payment_id.as_str(), events[0].data.reason.as_str()), (payment_id, reason));
    assert!(app.events::<PaymentSucceeded>().await.is_empty(), "no PaymentSucceeded");
    events.remove(0)
}

/// Asserts exactly one `CancellationSettled` was emitted, saying `money`; returns it.
pub async fn settled_once(app: &TestApp, money: MoneyOutcome) -> Envelope<CancellationSettled> {
    let mut settled = app.events::<CancellationSettled>().await;
    assert_eq!(settled.len(), 1, "exactly one CancellationSettled: {settled:?}");
    assert_eq!(settled[0].data.money, money);
    settled.remove(0)
}

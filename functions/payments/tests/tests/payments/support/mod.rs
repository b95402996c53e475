//! A test app: a stack planned from template.yaml with a unique stage (its own table and
//! webhook secret parameter), provisioned into the shared moto_server, with every payments
//! function's `Deps` built from that function's template environment, as in production.

#![allow(dead_code)]

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_ssm::types::ParameterType;
use bazaar_aws::outbox::OutboxItem;
use bazaar_events::catalog::{StockLine, StockReserved};
use bazaar_events::orders::{CancelReason, OrderCancelled};
use bazaar_events::payments::Subject;
use bazaar_events::reservations::{Booking, ReservationCancelReason, ReservationCancelled, ReservationRequested};
use bazaar_events::{Envelope, Event, Money};
use bazaar_runtime::Identity;
pub use bazaar_testkit::apigw::{Req, assert_problem, body_json, text};
use bazaar_testkit::events::batch;
pub use bazaar_testkit::events::delivered;
pub use bazaar_testkit::{Offline, deps};
use chrono::{DateTime, Utc};
use lambda_http::Request;
use lambda_runtime::{Context, LambdaEvent};
use payments_core::{Payment, PaymentsStore};
use serde_json::Value;

/// The HMAC secret the tests' "provider" shares with the webhook.
pub const SECRET: &str = "whsec_test_0123456789abcdef";

devstack::test_app!(payments { pub secret_parameter: String });

/// The template parameter naming the webhook secret's SSM parameter.
const WEBHOOK_SECRET: &str = "PaymentsWebhookSecretParameter";

impl TestApp {
    /// A stack in manual provider mode (a real provider): payments stay PENDING until the
    /// webhook or an operator settles them, or the payer cancels.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[("PaymentProviderMode", "manual")]).await
    }

    /// A stack in sandbox provider mode: payments stay PENDING until the payer completes or
    /// cancels them (or the webhook settles them).
    pub async fn sandbox() -> TestApp {
        Self::spawn_with(&[("PaymentProviderMode", "sandbox")]).await
    }

    /// A stack with template parameters overridden (`PaymentProviderMode`, `PaymentSuccessRate`, …).
    pub async fn spawn_with(parameters: &[(&str, &str)]) -> TestApp {
        let service = Self::service_stack(parameters).await;
        let secret_parameter = service.parameter(WEBHOOK_SECRET).expect(WEBHOOK_SECRET).to_owned();
        let app = TestApp { service, secret_parameter };
        app.put_secret(SECRET).await;
        app
    }

    pub async fn put_secret(&self, secret: &str) {
        self.put_parameter(WEBHOOK_SECRET, secret, ParameterType::SecureString).await.expect("put parameter");
    }

    pub fn store(&self) -> PaymentsStore {
        PaymentsStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    pub async fn payment(&self, payment_id: &str) -> Option<Payment> {
        self.store().payment(payment_id).await.expect("read payment")
    }

    /// Runs `payments-on-stock` on one batch.
    pub async fn deliver(&self, event: SqsEvent) -> SqsBatchResponse {
        payments_on_stock::handler(&deps!(self, payments_on_stock), LambdaEvent::new(event, Context::default()))
            .await
            .expect("handled")
    }

    /// Runs `payments-on-reservation` on one batch.
    pub async fn deliver_reservation(&self, event: SqsEvent) -> SqsBatchResponse {
        payments_on_reservation::handler(
            &deps!(self, payments_on_reservation),
            LambdaEvent::new(event, Context::default()),
        )
        .await
        .expect("handled")
    }

    /// Runs `payments-on-order` on one batch.
    pub async fn deliver_order(&self, event: SqsEvent) -> SqsBatchResponse {
        payments_on_order::handler(&deps!(self, payments_on_order), LambdaEvent::new(event, Context::default()))
            .await
            .expect("handled")
    }

    /// Delivers `bodies` to payments-on-order (message ids m0, m1, …) and asserts none failed.
    pub async fn order_events(&self, bodies: &[String]) {
        let ids: Vec<String> = (0..bodies.len()).map(|i| format!("m{i}")).collect();
        let batch: Vec<(&str, &str)> = ids.iter().zip(bodies).map(|(i, b)| (i.as_str(), b.as_str())).collect();
        let response = self.deliver_order(sqs_event(&batch)).await;
        assert!(response.batch_item_failures.is_empty(), "failed: {:?}", response.batch_item_failures);
    }

    /// Delivers `bodies` to payments-on-reservation (message ids m0, m1, …) and asserts none failed.
    pub async fn reservation_events(&self, bodies: &[String]) {
        let ids: Vec<String> = (0..bodies.len()).map(|i| format!("m{i}")).collect();
        let batch: Vec<(&str, &str)> = ids.iter().zip(bodies).map(|(i, b)| (i.as_str(), b.as_str())).collect();
        let response = self.deliver_reservation(sqs_event(&batch)).await;
        assert!(response.batch_item_failures.is_empty(), "failed: {:?}", response.batch_item_failures);
    }

    /// A PENDING payment (manual mode) of a new order by `customer`; its hold expires in 15 minutes.
    pub async fn pending_payment(&self, customer: &str) -> Payment {
        let reserved = stock_reserved(customer, 4200, Utc::now() + chrono::Duration::minutes(15));
        let response = self.deliver(sqs_event(&[("m1", &delivered(&reserved))])).await;
        assert!(response.batch_item_failures.is_empty());
        let payment = self.payment(&payment_id_of(&reserved)).await.expect("payment created");
        assert_eq!(payment.status, payments_core::PaymentStatus::Pending, "{payment:?}");
        payment
    }

    /// Stores a PENDING payment directly (e.g. one created long ago).
    pub async fn insert_payment(&self, payment: &Payment) {
        assert!(self.store().create(payment, None, vec![]).await.expect("insert"));
    }

    /// Every item of the table (test-only scan) as canonical JSON, sorted: a snapshot to compare.
    pub async fn snapshot(&self) -> Vec<String> {
        let out =
            aws_sdk_dynamodb::Client::new(&self.config).scan().table_name(&self.table).send().await.expect("scan");
        let mut items: Vec<String> = out
            .items()
            .iter()
            .map(|i| serde_dynamo::from_item::<_, Value>(i.clone()).expect("item as JSON").to_string())
            .collect();
        items.sort();
        items
    }

    /// Every outbox item in the table (test-only scan).
    pub async fn outbox(&self) -> Vec<OutboxItem> {
        bazaar_testkit::events::outbox(&self.config, &self.table).await
    }

    /// The outbox events of type `T`, decoded.
    pub async fn events<T: Event>(&self) -> Vec<Envelope<T>> {
        bazaar_testkit::events::of_type(self.outbox().await)
    }
}

pub fn stock_reserved(customer: &str, amount_minor: i64, hold_expires_at: DateTime<Utc>) -> Envelope<StockReserved> {
    Envelope::new(
        StockReserved {
            order_id: uuid::Uuid::new_v4().to_string(),
            customer_id: customer.to_owned(),
            lines: vec![StockLine { product_id: uuid::Uuid::new_v4().to_string(), quantity: 2 }],
            total: Money::new(amount_minor, "EUR"),
            hold_expires_at,
        },
        format!("corr-{}", uuid::Uuid::new_v4().simple()),
    )
}

/// The customer cancelling the order `reserved` was for (or `reason` ending it otherwise).
pub fn order_cancelled(reserved: &Envelope<StockReserved>, reason: CancelReason) -> Envelope<OrderCancelled> {
    let order = &reserved.data;
    Envelope::new(
        OrderCancelled {
            order_id: order.order_id.clone(),
            customer_id: order.customer_id.clone(),
            customer_email: format!("{}@example.com", order.customer_id),
            reason,
            total: order.total.clone(),
        },
        format!("corr-{}", uuid::Uuid::new_v4().simple()),
    )
}

pub fn payment_id_of(reserved: &Envelope<StockReserved>) -> String {
    bazaar_events::payments::payment_id_for_order(&reserved.data.order_id)
}

/// A reservation of `customer` for `amount_minor` EUR, as every reservation event carries it.
pub fn booking(customer: &str, amount_minor: i64) -> Booking {
    let start = Utc::now() + chrono::Duration::days(2);
    Booking {
        reservation_id: uuid::Uuid::new_v4().to_string(),
        resource_id: uuid::Uuid::new_v4().to_string(),
        resource_name: "Tennis court 1".into(),
        owner_id: "owner-1".into(),
        customer_id: customer.to_owned(),
        customer_email: format!("{customer}@example.com"),
        start,
        end: start + chrono::Duration::hours(1),
        time_zone: "Europe/Berlin".into(),
        local_date: start.format("%Y-%m-%d").to_string(),
        local_start: None,
        local_end: None,
        slots: 2,
        amount: Money::new(amount_minor, "EUR"),
    }
}

pub fn reservation_requested(booking: &Booking, expires_at: DateTime<Utc>) -> Envelope<ReservationRequested> {
    Envelope::new(
        ReservationRequested { reservation: booking.clone(), expires_at },
        format!("corr-{}", uuid::Uuid::new_v4().simple()),
    )
}

pub fn reservation_cancelled(booking: &Booking, was_confirmed: bool, refund: bool) -> Envelope<ReservationCancelled> {
    Envelope::new(
        ReservationCancelled {
            reservation: booking.clone(),
            reason: ReservationCancelReason::OwnerRequest,
            was_confirmed,
            refund,
        },
        format!("corr-{}", uuid::Uuid::new_v4().simple()),
    )
}

pub fn reservation_payment_id(booking: &Booking) -> String {
    Subject::reservation(booking.reservation_id.clone()).payment_id()
}

/// An SQS batch of (message id, body).
pub fn sqs_event(messages: &[(&str, &str)]) -> SqsEvent {
    batch(messages.iter().map(|(id, body)| ((*id).to_owned(), (*body).to_owned())))
}

pub fn customer(sub: &str) -> Identity {
    Identity {
        sub: sub.to_owned(),
        email: format!("{sub}@example.com"),
        roles: vec!["customer".into()],
        permissions: vec![],
    }
}

pub fn admin() -> Identity {
    Identity {
        sub: "admin-1".to_owned(),
        email: "admin@example.com".to_owned(),
        roles: vec!["admin".into()],
        permissions: vec!["payments:read_all".into(), "payments:settle".into(), "orders:read_all".into()],
    }
}

/// A custom read-only role: sees every payment and order, changes none.
pub fn auditor() -> Identity {
    Identity {
        sub: "auditor-1".to_owned(),
        email: "auditor@example.com".to_owned(),
        roles: vec!["auditor".into()],
        permissions: vec!["payments:read_all".into(), "orders:read_all".into()],
    }
}

pub fn new_customer() -> String {
    format!("user-{}", uuid::Uuid::new_v4().simple())
}

/// An API Gateway v2 request as the gateway would send it.
pub fn request(
    method: &str,
    path: &str,
    route: &str,
    path_id: Option<&str>,
    body: Option<&str>,
    headers: &[(&str, &str)],
    identity: Option<&Identity>,
) -> Request {
    let mut req = Req::new(method, path).route(route).source_ip("203.0.113.9").identity(identity);
    if let Some(body) = body {
        req = req.json_text(body);
    }
    for (k, v) in headers {
        req = req.header(k, v);
    }
    if let Some(id) = path_id {
        req = req.path_param("id", id);
    }
    req.build()
}

pub fn get_payment(id: &str, identity: Option<&Identity>) -> Request {
    request("GET", &format!("/payments/{id}"), "/payments/{id}", Some(id), None, &[], identity)
}

/// `POST /payments/{id}/<action>` with a correlation id header.
pub fn post_action(id: &str, action: &str, identity: &Identity, correlation_id: &str) -> Request {
    request(
        "POST",
        &format!("/payments/{id}/{action}"),
        &format!("/payments/{{id}}/{action}"),
        Some(id),
        None,
        &[("x-correlation-id", correlation_id)],
        Some(identity),
    )
}

/// `POST /payments/webhook` with `body` and, when given, a `Bazaar-Signature` header.
pub fn webhook_request(body: &str, signature: Option<&str>) -> Request {
    let headers: Vec<(&str, &str)> = signature.map(|s| vec![("bazaar-signature", s)]).unwrap_or_default();
    request("POST", "/payments/webhook", "/payments/webhook", None, Some(body), &headers, None)
}

/// `body` signed now with the shared secret.
pub fn signed(body: &str) -> String {
    payments_core::signature::sign(SECRET.as_bytes(), Utc::now().timestamp(), body.as_bytes())
}

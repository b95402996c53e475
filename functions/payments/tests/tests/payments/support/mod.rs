//! A test app: a stack planned from template.yaml with a unique stage (its own table and
//! webhook secret parameter), provisioned into the shared moto_server, with every payments
//! function's `Deps` built from that function's template environment, as in production.

#![allow(dead_code)]

use std::collections::BTreeMap;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::outbox::OutboxItem;
use bazaar_events::catalog::{StockLine, StockReserved};
use bazaar_events::{Envelope, Event, Money};
use bazaar_runtime::Identity;
use bazaar_runtime::config::Env;
use bazaar_testkit::{Moto, template_path, unique_stage};
use chrono::{DateTime, Utc};
use devstack::model::Stack;
use lambda_http::{Body, Request, Response};
use lambda_runtime::{Context, LambdaEvent};
use payments_core::{Payment, PaymentsStore};
use serde_json::{Value, json};

/// The HMAC secret the tests' "provider" shares with the webhook.
pub const SECRET: &str = "whsec_test_0123456789abcdef";

pub struct TestApp {
    pub config: aws_types::SdkConfig,
    pub stack: Stack,
    pub endpoint: String,
    pub table: String,
    pub bus: String,
    pub secret_parameter: String,
}

impl TestApp {
    /// A stack in manual provider mode: payments stay PENDING until completed, cancelled or
    /// notified.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[("PaymentProviderMode", "manual")]).await
    }

    /// A stack with template parameters overridden (`PaymentProviderMode`, `PaymentSuccessRate`, …).
    pub async fn spawn_with(parameters: &[(&str, &str)]) -> TestApp {
        let moto = Moto::shared();
        let stage = unique_stage();
        let secret_parameter = format!("/bazaar/{stage}/payments/webhook-secret");
        let mut overrides = BTreeMap::from([
            ("Stage".to_owned(), stage.clone()),
            ("PaymentsWebhookSecretParameter".to_owned(), secret_parameter.clone()),
        ]);
        overrides.extend(parameters.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let opts = devstack::template::PlanOptions { overrides, moto_endpoint: moto.endpoint.clone() };
        let stack = devstack::template::plan(&template_path(), &opts).expect("template plans");
        let config = moto.sdk_config().await;
        devstack::provision::provision(&stack, &config).await.expect("provisioned");
        let table = stack.table("PaymentsTable").expect("payments table").name.clone();
        let bus = stack.buses.first().expect("a bus").name.clone();
        let app = TestApp { config, stack, endpoint: moto.endpoint.clone(), table, bus, secret_parameter };
        app.put_secret(SECRET).await;
        app
    }

    pub async fn put_secret(&self, secret: &str) {
        aws_sdk_ssm::Client::new(&self.config)
            .put_parameter()
            .name(&self.secret_parameter)
            .value(secret)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .expect("put parameter");
    }

    /// A function's environment as the template gives it.
    pub fn env(&self, logical_id: &str) -> Env {
        let function = self.stack.function(logical_id).unwrap_or_else(|| panic!("{logical_id} in the template"));
        Env::from_map(devstack::env::function_env(&self.stack, function, &self.endpoint))
    }

    pub fn on_stock(&self) -> payments_on_stock::Deps {
        payments_on_stock::Deps::new(&self.config, &self.env("PaymentsOnStockFunction")).expect("on-stock deps")
    }
    pub fn get(&self) -> payments_get::Deps {
        payments_get::Deps::new(&self.config, &self.env("PaymentsGetFunction")).expect("get deps")
    }
    pub fn complete(&self) -> payments_complete::Deps {
        payments_complete::Deps::new(&self.config, &self.env("PaymentsCompleteFunction")).expect("complete deps")
    }
    pub fn cancel(&self) -> payments_cancel::Deps {
        payments_cancel::Deps::new(&self.config, &self.env("PaymentsCancelFunction")).expect("cancel deps")
    }
    pub fn webhook(&self) -> payments_webhook::Deps {
        payments_webhook::Deps::new(&self.config, &self.env("PaymentsWebhookFunction")).expect("webhook deps")
    }
    pub fn publisher(&self) -> payments_publisher::Deps {
        payments_publisher::Deps::new(&self.config, &self.env("PaymentsPublisherFunction")).expect("publisher deps")
    }

    pub fn store(&self) -> PaymentsStore {
        PaymentsStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    pub async fn payment(&self, payment_id: &str) -> Option<Payment> {
        self.store().payment(payment_id).await.expect("read payment")
    }

    /// Runs `payments-on-stock` on one batch.
    pub async fn deliver(&self, event: SqsEvent) -> SqsBatchResponse {
        payments_on_stock::handler(&self.on_stock(), LambdaEvent::new(event, Context::default()))
            .await
            .expect("handled")
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
        assert!(self.store().create(payment, None, None).await.expect("insert"));
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
        let out = aws_sdk_dynamodb::Client::new(&self.config)
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", aws_sdk_dynamodb::types::AttributeValue::S("OUTBOX#".into()))
            .send()
            .await
            .expect("scan");
        out.items().iter().map(|i| bazaar_aws::dynamo::from_item(i.clone()).expect("outbox item")).collect()
    }

    /// The outbox events of type `T`, decoded.
    pub async fn events<T: Event>(&self) -> Vec<Envelope<T>> {
        self.outbox()
            .await
            .into_iter()
            .filter(|i| i.detail_type == T::DETAIL_TYPE)
            .map(|i| serde_json::from_str(&i.detail).expect("envelope"))
            .collect()
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

pub fn payment_id_of(reserved: &Envelope<StockReserved>) -> String {
    bazaar_events::payments::payment_id_for_order(&reserved.data.order_id)
}

/// The body an EventBridge rule delivers to an SQS target (no `account`, as moto does).
pub fn delivered<T: Event>(envelope: &Envelope<T>) -> String {
    json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": T::DETAIL_TYPE, "source": T::SOURCE,
        "time": envelope.metadata.occurred_at, "region": "us-east-1", "resources": [], "detail": envelope,
    })
    .to_string()
}

/// An SQS batch of (message id, body).
pub fn sqs_event(messages: &[(&str, &str)]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|(id, body)| {
            let mut m = SqsMessage::default();
            m.message_id = Some((*id).to_owned());
            m.body = Some((*body).to_owned());
            m
        })
        .collect();
    event
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
    let mut h = json!({ "host": "127.0.0.1:3000", "x-forwarded-proto": "http" });
    if body.is_some() {
        h["content-type"] = json!("application/json");
    }
    for (k, v) in headers {
        h[*k] = json!(v);
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {route}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": h,
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1", "stage": "$default",
            "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": format!("{method} {route}"), "timeEpoch": 0,
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "test" }
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    if let Some(id) = path_id {
        event["pathParameters"] = json!({ "id": id });
    }
    if let Some(identity) = identity {
        event["requestContext"]["authorizer"] = json!({ "lambda": identity.to_context() });
    }
    lambda_http::request::from_str(&event.to_string()).expect("API Gateway v2 event")
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

pub fn text(r: &Response<Body>) -> String {
    String::from_utf8_lossy(r.body().as_ref()).into_owned()
}

pub fn body_json(r: &Response<Body>) -> Value {
    serde_json::from_slice(r.body().as_ref()).unwrap_or(Value::Null)
}

/// Asserts a problem+json response with `status`.
pub fn assert_problem(r: &Response<Body>, status: u16) {
    assert_eq!(r.status().as_u16(), status, "{}", text(r));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body = body_json(r);
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().is_some_and(|t| t.starts_with("urn:bazaar:problem:")), "{body}");
}

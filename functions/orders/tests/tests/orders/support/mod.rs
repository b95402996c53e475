//! A test app: a stack planned from template.yaml with a unique stage, provisioned into the
//! shared moto_server, and every orders function's `Deps` built from its own template
//! environment. Requests are API Gateway v2 events and messages are SQS batches of
//! EventBridge envelopes, as in production.

#![allow(dead_code)]

use bazaar_events::catalog::ProductChanged;
use bazaar_events::{Envelope, Event, Money};
use bazaar_runtime::Identity;
pub use bazaar_testkit::apigw::{Req, assert_problem, body_json, text};
pub use bazaar_testkit::deps;
pub use bazaar_testkit::events::{delivered, failed_ids, lambda_batch_of as sqs};
use lambda_http::{Body, Response};
use orders_core::{Order, OrdersStore};
use serde_json::{Value, json};

devstack::test_app!(orders);

impl TestApp {
    pub fn store(&self) -> OrdersStore {
        OrdersStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    /// Feeds `ProductChanged` events through orders-on-product (the only way products get
    /// into the projection) and asserts none failed.
    pub async fn project(&self, events: &[ProductChanged]) {
        let bodies: Vec<String> = events.iter().map(|e| delivered(&Envelope::new(e.clone(), "seed"))).collect();
        let r = orders_on_product::handler(&deps!(self, orders_on_product), sqs(&bodies)).await.expect("handled");
        assert!(r.batch_item_failures.is_empty(), "projection failed: {:?}", failed_ids(&r));
    }

    /// A new active product at `amount_minor` `currency`, projected; returns its id.
    pub async fn product(&self, amount_minor: i64, currency: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.project(&[product_changed(&id, amount_minor, currency, true, 1)]).await;
        id
    }

    /// `POST /orders` with `key` and `body` as `identity`.
    pub async fn post_order(&self, identity: &Identity, key: &str, body: &Value) -> Response<Body> {
        let req = Req::new("POST", "/orders").identity(identity).header("idempotency-key", key).json(body).build();
        orders_place::handler(&deps!(self, orders_place), req).await
    }

    /// Places a one-line order as `identity` and returns its JSON.
    pub async fn placed_order(&self, identity: &Identity) -> Value {
        let product = self.product(1250, "EUR").await;
        let body = json!({ "lines": [{ "product_id": product, "quantity": 2 }] });
        let r = self.post_order(identity, &uuid::Uuid::new_v4().to_string(), &body).await;
        assert_eq!(r.status(), 201, "{}", text(&r));
        body_json(&r)
    }

    pub async fn order(&self, id: &str) -> Order {
        self.store().order(id).await.expect("read").expect("order exists")
    }

    /// Every outbox item in the orders table (test-only scan).
    pub async fn outbox(&self) -> Vec<bazaar_aws::outbox::OutboxItem> {
        bazaar_testkit::events::outbox(&self.config, &self.table).await
    }

    /// The outbox events of type `T` about `order_id`.
    pub async fn events_of<T: Event>(&self, order_id: &str) -> Vec<Envelope<T>> {
        bazaar_testkit::events::of_type::<T>(self.outbox().await)
            .into_iter()
            .filter(|e| serde_json::to_value(&e.data).expect("data")["order_id"] == order_id)
            .collect()
    }
}

/// The catalog owner of every product the tests project.
pub const OWNER: &str = "owner-of-the-lamps";

pub fn product_changed(id: &str, amount_minor: i64, currency: &str, active: bool, version: u64) -> ProductChanged {
    ProductChanged {
        product_id: id.to_owned(),
        owner_id: OWNER.into(),
        name: format!("Product {}", &id[..8.min(id.len())]),
        category: "lamps".into(),
        price: Money::new(amount_minor, currency),
        active,
        version,
    }
}

pub fn customer() -> Identity {
    Identity {
        sub: uuid::Uuid::new_v4().to_string(),
        email: format!("{}@example.com", uuid::Uuid::new_v4().simple()),
        roles: vec!["customer".into()],
        permissions: vec![],
    }
}

pub fn admin() -> Identity {
    Identity {
        roles: vec!["admin".into()],
        permissions: vec!["orders:read_all".into(), "orders:cancel_any".into(), "catalog:write".into()],
        ..customer()
    }
}

/// A custom read-only role: sees every order, changes none.
pub fn auditor() -> Identity {
    Identity { roles: vec!["auditor".into()], permissions: vec!["orders:read_all".into()], ..customer() }
}

/// The `field`s of a 422 problem's errors.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

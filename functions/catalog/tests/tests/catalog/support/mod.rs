//! A test app: a stack planned from template.yaml with a unique stage, provisioned into the
//! shared moto_server, and every catalog function's `Deps` built from its template
//! environment. Requests are API Gateway v2 events and SQS batches, as in production.

#![allow(dead_code)]

use aws_lambda_events::sqs::SqsEvent;
use bazaar_aws::outbox::OutboxItem;
use bazaar_events::orders::{CancelReason, OrderCancelled, OrderLine, OrderPaid, OrderPlaced};
use bazaar_events::payments::PaymentFailed;
use bazaar_events::{Envelope, Event, Money};
use bazaar_runtime::Identity;
pub use bazaar_testkit::apigw::{Req, assert_problem, body_json, text};
pub use bazaar_testkit::deps;
pub use bazaar_testkit::events::{batch, batch_of, delivered, failed_ids};
use catalog_core::CatalogStore;
use lambda_http::Request;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

devstack::test_app!(catalog);

impl TestApp {
    pub fn store(&self) -> CatalogStore {
        CatalogStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    /// Creates a product through the handler as an admin; returns its JSON.
    pub async fn product(&self, name: &str, category: &str, amount_minor: i64, stock: u32) -> Value {
        self.product_of(&admin(), name, category, amount_minor, stock).await
    }

    /// Creates a product through the handler as `creator` (its owner); returns its JSON.
    pub async fn product_of(
        &self,
        creator: &Identity,
        name: &str,
        category: &str,
        amount_minor: i64,
        stock: u32,
    ) -> Value {
        let body = json!({ "name": name, "category": category,
                           "price": { "amount_minor": amount_minor, "currency": "EUR" }, "stock": stock });
        let r = catalog_products_create::handler(
            &deps!(self, catalog_products_create),
            post("/products", &body, Some(creator)),
        )
        .await;
        assert_eq!(r.status(), 201, "{}", text(&r));
        body_json(&r)
    }

    /// The stored product (deleted ones included).
    pub async fn stored(&self, id: &str) -> catalog_core::Product {
        self.store().product(id).await.expect("read").expect("stored product")
    }

    pub async fn stock_of(&self, id: &str) -> u32 {
        self.stored(id).await.stock
    }

    /// Every outbox item in the catalog table (test-only scan).
    pub async fn outbox(&self) -> Vec<OutboxItem> {
        bazaar_testkit::events::outbox(&self.config, &self.table).await
    }

    /// The `detail` of every outbox event of type `T` (optionally about one order/product).
    pub async fn events<T: Event>(&self) -> Vec<Envelope<T>> {
        bazaar_testkit::events::of_type(self.outbox().await)
    }

    /// Runs one SQS batch through catalog-on-order; returns the failed message ids.
    pub async fn deliver(&self, batch: &SqsEvent) -> Vec<String> {
        let event = LambdaEvent::new(batch.clone(), Context::default());
        failed_ids(&catalog_on_order::handler(&deps!(self, catalog_on_order), event).await.expect("handled"))
    }
}

pub fn admin() -> Identity {
    Identity {
        sub: "00000000-0000-4000-8000-00000000000a".into(),
        email: "admin@bazaar.local".into(),
        roles: vec!["admin".into()],
        permissions: vec!["catalog:write".into(), "catalog:write_all".into(), "orders:read_all".into()],
    }
}

/// A seller: `catalog:write` only, so they may change just their own products.
pub fn owner(sub: &str) -> Identity {
    Identity {
        sub: sub.into(),
        email: format!("{sub}@example.com"),
        roles: vec!["owner".into()],
        permissions: vec!["catalog:write".into(), "reports:read".into()],
    }
}

pub fn customer() -> Identity {
    Identity {
        sub: "00000000-0000-4000-8000-000000000001".into(),
        email: "ana@example.com".into(),
        roles: vec!["customer".into()],
        permissions: vec![],
    }
}

/// An API Gateway v2 request. `route` names path parameters (`/products/{id}`); `path`
/// fills them; `query` pairs become the query string.
pub fn request(
    method: &str,
    route: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&str>,
    identity: Option<&Identity>,
) -> Request {
    let mut req = Req::new(method, path).route(route).identity(identity);
    for (k, v) in query {
        req = req.query(k, v);
    }
    if let Some(id) = route.contains("{id}").then(|| path.split('/').nth(2)).flatten() {
        req = req.path_param("id", id);
    }
    if let Some(body) = body {
        req = req.json_text(body);
    }
    req.build()
}

pub fn post(path: &str, body: &Value, identity: Option<&Identity>) -> Request {
    request("POST", "/products", path, &[], Some(&body.to_string()), identity)
}

pub fn get_product(id: &str) -> Request {
    request("GET", "/products/{id}", &format!("/products/{id}"), &[], None, None)
}

pub fn patch_product(id: &str, body: &Value, identity: Option<&Identity>) -> Request {
    request("PATCH", "/products/{id}", &format!("/products/{id}"), &[], Some(&body.to_string()), identity)
}

pub fn delete_product(id: &str, identity: Option<&Identity>) -> Request {
    request("DELETE", "/products/{id}", &format!("/products/{id}"), &[], None, identity)
}

pub fn put_stock(id: &str, body: &Value, identity: Option<&Identity>) -> Request {
    request("PUT", "/products/{id}/stock", &format!("/products/{id}/stock"), &[], Some(&body.to_string()), identity)
}

pub fn list_products(query: &[(&str, &str)]) -> Request {
    request("GET", "/products", "/products", query, None, None)
}

// ───────────────────────────── events ─────────────────────────────

pub fn eur(amount_minor: i64) -> Money {
    Money::new(amount_minor, "EUR")
}

pub fn new_order_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `OrderPlaced` for `lines` of (product id, quantity), each priced 1.00 EUR.
pub fn order_placed(order_id: &str, lines: &[(&str, u32)]) -> Envelope<OrderPlaced> {
    let lines: Vec<OrderLine> = lines
        .iter()
        .map(|(product_id, quantity)| OrderLine {
            product_id: (*product_id).to_owned(),
            owner_id: admin().sub,
            name: "thing".into(),
            quantity: *quantity,
            unit_price: eur(100),
            line_total: eur(100 * i64::from(*quantity)),
        })
        .collect();
    let total = eur(lines.iter().map(|l| l.line_total.amount_minor).sum());
    let Identity { sub: customer_id, email: customer_email, .. } = customer();
    let placed_at = chrono::Utc::now();
    of_order(
        order_id,
        OrderPlaced { order_id: order_id.to_owned(), customer_id, customer_email, lines, total, placed_at },
    )
}

pub fn order_cancelled(order_id: &str, reason: CancelReason) -> Envelope<OrderCancelled> {
    let Identity { sub: customer_id, email: customer_email, .. } = customer();
    let total = eur(100);
    of_order(order_id, OrderCancelled { order_id: order_id.to_owned(), customer_id, customer_email, reason, total })
}

pub fn order_paid(order_id: &str) -> Envelope<OrderPaid> {
    let Identity { sub: customer_id, email: customer_email, .. } = customer();
    let payment_id = bazaar_events::payments::payment_id_for_order(order_id);
    let (lines, total) = (vec![], eur(100));
    of_order(
        order_id,
        OrderPaid { order_id: order_id.to_owned(), customer_id, customer_email, payment_id, lines, total },
    )
}

pub fn payment_failed(order_id: &str) -> Envelope<PaymentFailed> {
    let failed = PaymentFailed {
        payment_id: bazaar_events::payments::payment_id_for_order(order_id),
        subject: bazaar_events::payments::Subject::order(order_id),
        customer_id: customer().sub,
        amount: eur(100),
        reason: "declined".into(),
    };
    of_order(order_id, failed)
}

/// `data` in the flow of order `order_id` (correlation id `corr-<order id>`).
fn of_order<T: Event>(order_id: &str, data: T) -> Envelope<T> {
    Envelope::new(data, format!("corr-{order_id}"))
}

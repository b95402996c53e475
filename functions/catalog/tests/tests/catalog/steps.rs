//! Steps the catalog test files share: the product routes called as the gateway would, and
//! order events delivered to catalog-on-order.

use bazaar_events::catalog::{ReleaseReason, StockReleased};
use bazaar_events::{Envelope, Event};
use bazaar_runtime::Identity;
use catalog_core::holds::HoldStatus;
use lambda_http::{Body, Response};
use serde_json::Value;

use crate::support::*;

/// `POST /products` as `who`.
pub async fn create(app: &TestApp, body: &Value, who: Option<&Identity>) -> Response<Body> {
    catalog_products_create::handler(&deps!(app, catalog_products_create), post("/products", body, who)).await
}

/// `GET /products/{id}`.
pub async fn get(app: &TestApp, id: &str) -> Response<Body> {
    catalog_products_get::handler(&deps!(app, catalog_products_get), get_product(id)).await
}

/// `PATCH /products/{id}` as `who`.
pub async fn update(app: &TestApp, id: &str, patch: &Value, who: &Identity) -> Response<Body> {
    catalog_products_update::handler(&deps!(app, catalog_products_update), patch_product(id, patch, Some(who))).await
}

/// `DELETE /products/{id}` as `who`.
pub async fn delete(app: &TestApp, id: &str, who: &Identity) -> Response<Body> {
    catalog_products_delete::handler(&deps!(app, catalog_products_delete), delete_product(id, Some(who))).await
}

/// `PUT /products/{id}/stock` as `who`.
pub async fn set_stock(app: &TestApp, id: &str, body: &Value, who: &Identity) -> Response<Body> {
    catalog_stock_put::handler(&deps!(app, catalog_stock_put), put_stock(id, body, Some(who))).await
}

/// `GET /products` with `query`.
pub async fn list(app: &TestApp, query: &[(&str, &str)]) -> Response<Body> {
    catalog_products_list::handler(&deps!(app, catalog_products_list), list_products(query)).await
}

/// Asserts `r` has `status`; returns its body.
pub fn expect_status(r: &Response<Body>, status: u16) -> Value {
    assert_eq!(r.status(), status, "{}", text(r));
    body_json(r)
}

/// Creates a product ("Thing", misc, 1.00 EUR) with `stock` units as an admin; returns its id.
pub async fn product_id(app: &TestApp, stock: u32) -> String {
    app.product("Thing", "misc", 100, stock).await["id"].as_str().expect("id").to_owned()
}

/// Delivers `event` alone to catalog-on-order and asserts it was acknowledged.
pub async fn acknowledged<T: Event>(app: &TestApp, event: &Envelope<T>) {
    delivered_acknowledged(app, event, 1).await;
}

/// Delivers `event` alone to catalog-on-order and redelivers that same message once: both
/// are acknowledged.
pub async fn acknowledged_twice<T: Event>(app: &TestApp, event: &Envelope<T>) {
    delivered_acknowledged(app, event, 2).await;
}

async fn delivered_acknowledged<T: Event>(app: &TestApp, event: &Envelope<T>, deliveries: usize) {
    let messages = batch_of(&[delivered(event)]);
    for delivery in 1..=deliveries {
        let failed = app.deliver(&messages).await;
        assert!(failed.is_empty(), "delivery {delivery}: {failed:?}");
    }
}

/// A new order of `quantity` units of `product`, placed (and acknowledged); its id.
pub async fn placed(app: &TestApp, product: &str, quantity: u32) -> String {
    let order = new_order_id();
    acknowledged(app, &order_placed(&order, &[(product, quantity)])).await;
    order
}

/// A product of `stock` units and a new order holding `quantity` of them: (product id,
/// order id).
pub async fn held(app: &TestApp, stock: u32, quantity: u32) -> (String, String) {
    let product = product_id(app, stock).await;
    let order = placed(app, &product, quantity).await;
    (product, order)
}

/// The status of order `order`'s hold, which must exist.
pub async fn hold_status(app: &TestApp, order: &str) -> HoldStatus {
    app.store().hold(order).await.expect("read").expect("a hold").status
}

/// Asserts exactly one `StockReleased` was emitted, for `reason`; returns it.
pub async fn released_once(app: &TestApp, reason: ReleaseReason) -> Envelope<StockReleased> {
    let mut released = app.events::<StockReleased>().await;
    assert_eq!(released.len(), 1, "exactly one StockReleased: {released:?}");
    assert_eq!(released[0].data.reason, reason);
    released.remove(0)
}

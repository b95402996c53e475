//! `POST /orders`: places an order priced from the product projection, once per
//! `Idempotency-Key`, and emits `OrderPlaced`.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use orders_core::place::{self, PlaceLimits, PlaceRequest};
use orders_core::{OrderView, OrdersStore, flows};

pub struct Deps {
    pub store: OrdersStore,
    /// The caps of the template's parameters (`OrderMaxLines`, `OrderMaxUnits`, `OpenOrdersPerCustomer`).
    pub limits: PlaceLimits,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: OrdersStore::from_env(config, env)?, limits: PlaceLimits::from_env(env)? })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/orders", "placeOrder", "Place an order")
        .access(bazaar_openapi::Access::SignedIn("their own orders"))
        .describe(
            "Prices the lines from the catalog and emits `OrderPlaced`; the order is `PENDING` until \
             stock is reserved and the payment settles. Sending the same `Idempotency-Key` and body again \
             replays the first answer (with `Idempotent-Replayed: true`); the same key with another body is a 422. \
             An order holds at most `OrderMaxLines` lines and `OrderMaxUnits` units in all (422), and a customer \
             holds at most `OpenOrdersPerCustomer` open orders (`PENDING` or `AWAITING_PAYMENT` whose stock may \
             still be held) at once: one more is a 429 `too-many-open-orders` until one is paid, cancelled or \
             expires (template parameters).",
        )
        .idempotency_key(place::MAX_KEY_CHARS, "order")
        .json_body::<PlaceRequest>("The lines to order (1 to 1000 of each product, within the caps).")
        .returns::<OrderView>(201, "The order, `PENDING`.")
        .with_header("Location", "The order's URL.")
        .with_header("Idempotent-Replayed", "`true` when this is the stored answer to an earlier request.")
        .link("order", bazaar_openapi::Link::to("getOrder").param("id", "$response.body#/id"))
        .link("cancel", bazaar_openapi::Link::to("cancelOrder").param("id", "$response.body#/id"))
        .link("payment", bazaar_openapi::Link::to("getPayment").param("id", "$response.body#/payment_id"))
        .problems(&[404, 409, 422, 429])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let key = place::idempotency_key(http::header(&req, "idempotency-key"))?;
        let body: PlaceRequest = http::json_body(&req)?;
        let placed =
            flows::place_order(&deps.store, &deps.limits, &identity, &key, &body, cx.correlation_id.as_str()).await?;
        let mut response = json(StatusCode::CREATED, &OrderView::from(&placed.order))?;
        let location = HeaderValue::from_str(&format!("/orders/{}", placed.order.id)).map_err(anyhow::Error::from)?;
        response.headers_mut().insert(header::LOCATION, location);
        if placed.replayed {
            response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        Ok(response)
    })
    .await
}

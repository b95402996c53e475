//! `POST /orders`: places an order priced from the product projection, once per
//! `Idempotency-Key`, and emits `OrderPlaced`.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use orders_core::place::{self, PlaceRequest};
use orders_core::{OrderView, flows};

pub use orders_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let key = place::idempotency_key(http::header(&req, "idempotency-key"))?;
        let body: PlaceRequest = http::json_body(&req)?;
        let placed = flows::place_order(&deps.store, &identity, &key, &body, cx.correlation_id.as_str()).await?;
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

//! `POST /orders/{id}/cancel`: cancels a PENDING or AWAITING_PAYMENT order (409 otherwise)
//! for its customer or a holder of `orders:cancel_any` (`flows::CANCEL`), and emits `OrderCancelled`.

use bazaar_openapi::Access;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use orders_core::{OrderView, flows};

pub use orders_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/orders/{id}/cancel", "cancelOrder", "Cancel an order")
        .describe(
            "Cancels a `PENDING` or `AWAITING_PAYMENT` order and emits `OrderCancelled`; a settled order is \
             a 409. Reading every order (`orders:read_all`) does not allow cancelling one (403); anyone who \
             may not see the order gets 404.",
        )
        .access(Access::Resource("the order", flows::CANCEL))
        .path_param("id", "The order id.")
        .returns::<OrderView>(200, "The cancelled order.")
        .link("order", bazaar_openapi::Link::to("getOrder").param("id", "$response.body#/id"))
        .problems(&[403, 404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let order = flows::cancel_order(&deps.store, &identity, &id, cx.correlation_id.as_str()).await?;
        json(StatusCode::OK, &OrderView::from(&order))
    })
    .await
}

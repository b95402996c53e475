//! `GET /orders/{id}`: one order, for its customer or a holder of `orders:read_all`;
//! anyone else gets 404.

use bazaar_openapi::Access;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use orders_core::{OrderView, flows};

pub use orders_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/orders/{id}", "getOrder", "Get an order")
        .describe("For its customer or a holder of `orders:read_all`; anyone else gets 404.")
        .access(Access::Resource("the order", flows::READ))
        .path_param("id", "The order id.")
        .returns::<OrderView>(200, "The order.")
        .link("cancel", bazaar_openapi::Link::to("cancelOrder").param("id", "$response.body#/id"))
        .link("payment", bazaar_openapi::Link::to("getPayment").param("id", "$response.body#/payment_id"))
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let order = flows::get_order(&deps.store, &identity, &id).await?;
        json(StatusCode::OK, &OrderView::from(&order))
    })
    .await
}

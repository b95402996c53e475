//! `GET /payments/{id}`: a payment, for its payer or a holder of `payments:read_all`
//! (anyone else gets 404, as for an unknown id).

use bazaar_openapi::Access;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use payments_core::{PaymentView, flows};

pub use payments_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/payments/{id}", "getPayment", "Get a payment")
        .describe("For its payer or a holder of `payments:read_all`; anyone else gets 404.")
        .access(Access::Resource("the payment", payments_core::model::READ))
        .path_param("id", "The payment id.")
        .returns::<PaymentView>(200, "The payment.")
        .link("complete", bazaar_openapi::Link::to("completePayment").param("id", "$response.body#/id"))
        .link("cancel", bazaar_openapi::Link::to("cancelPayment").param("id", "$response.body#/id"))
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let payment = flows::visible_payment(&deps.store, &id, &identity).await?;
        json(StatusCode::OK, &PaymentView::from(&payment))
    })
    .await
}

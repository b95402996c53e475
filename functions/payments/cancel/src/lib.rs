//! `POST /payments/{id}/cancel`: the payer (or an operator) gives up on a PENDING payment.
//! PENDING → FAILED (`cancelled_by_payer`) with `PaymentFailed`; not PENDING → 409.

use bazaar_openapi::Access;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use payments_core::{PaymentView, flows};

pub use payments_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/payments/{id}/cancel", "cancelPayment", "Abandon a pending payment")
        .describe(
            "The payer (or an operator holding `payments:settle`) abandons a `PENDING` payment: it becomes \
             `FAILED` (`cancelled_by_payer`) and `PaymentFailed` is emitted. Reading every payment does not \
             allow it (403); anyone who may not see the payment gets 404; a payment no longer `PENDING` is a 409.",
        )
        .access(Access::Resource("the payment", payments_core::model::CANCEL))
        .path_param("id", "The payment id.")
        .returns::<PaymentView>(200, "The failed payment.")
        .link("payment", bazaar_openapi::Link::to("getPayment").param("id", "$response.body#/id"))
        .problems(&[403, 404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let correlation_id = cx.correlation_id.to_string();
        let payment = flows::cancel(&deps.store, &id, &identity, &correlation_id, chrono::Utc::now()).await?;
        json(StatusCode::OK, &PaymentView::from(&payment))
    })
    .await
}

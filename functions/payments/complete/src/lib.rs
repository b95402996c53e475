//! `POST /payments/{id}/complete`: the payer pays a PENDING payment (manual provider mode).
//! PENDING → SUCCEEDED with `PaymentSucceeded`; not PENDING → 409; after the payment window
//! closed the payment is failed as `expired` (with `PaymentFailed`) and the answer is 409.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use payments_core::{PaymentView, PaymentsStore, flows, settings};

pub struct Deps {
    pub store: PaymentsStore,
    /// `PAYMENT_WINDOW_SECONDS`: how long after creation a payment may still succeed.
    pub window_seconds: i64,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: PaymentsStore::from_env(config, env)?, window_seconds: settings::window_seconds(env)? })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/payments/{id}/complete", "completePayment", "Pay a pending payment")
        .describe(
            "The payer (or a holder of `payments:read_all`) pays a `PENDING` payment (manual provider mode); \
             emits `PaymentSucceeded`. Anyone else gets 404. A payment no longer `PENDING` is a 409; after the \
             payment window closed it is failed as `expired` (emitting `PaymentFailed`) and the answer is a \
             409 `payment-expired`.",
        )
        .path_param("id", "The payment id.")
        .returns::<PaymentView>(200, "The settled payment.")
        .problems(&[404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let correlation_id = cx.correlation_id.to_string();
        let payment =
            flows::complete(&deps.store, deps.window_seconds, &id, &identity, &correlation_id, chrono::Utc::now())
                .await?;
        json(StatusCode::OK, &PaymentView::from(&payment))
    })
    .await
}

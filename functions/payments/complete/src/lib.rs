//! `POST /payments/{id}/complete`: a PENDING payment is paid. In a sandbox provider mode
//! (`simulated`, `sandbox`) its payer may do it, standing in for the provider's checkout; with
//! a real provider (`manual`) only an operator holding `payments:settle` may, and the payer's
//! money moves at the provider, whose signed webhook settles the payment.
//! PENDING → SUCCEEDED with `PaymentSucceeded`; not PENDING → 409; after the payment window
//! closed the payment is failed as `expired` (with `PaymentFailed`) and the answer is 409.

use bazaar_openapi::Access;
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use payments_core::settings::ProviderMode;
use payments_core::{PaymentView, PaymentsStore, flows, settings};

pub struct Deps {
    pub store: PaymentsStore,
    /// `PAYMENT_PROVIDER_MODE`: whether payers may complete their own payments.
    pub mode: ProviderMode,
    /// `PAYMENT_WINDOW_SECONDS`: how long after creation a payment may still succeed.
    pub window_seconds: i64,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: PaymentsStore::from_env(config, env)?,
            mode: settings::provider_mode(env)?,
            window_seconds: settings::window_seconds(env)?,
        })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/payments/{id}/complete", "completePayment", "Pay a pending payment")
        .describe(
            "Pays a `PENDING` payment and emits `PaymentSucceeded`. In a sandbox provider mode (`simulated`, \
             `sandbox`) the payer may, standing in for the provider's checkout; with a real provider (`manual`) \
             only an operator holding `payments:settle` may (the payer gets 403: the provider's signed webhook \
             settles payments). Reading every payment does not allow settling one (403); anyone who may not \
             see the payment gets 404. A payment no longer `PENDING` is a 409; after the payment window closed \
             it is failed as `expired` (emitting `PaymentFailed`) and the answer is a 409 `payment-expired`.",
        )
        .access(Access::Resource("the payment, in a sandbox provider mode", payments_core::model::COMPLETE_IN_SANDBOX))
        .access(Access::Resource("the payment, with a real provider", payments_core::model::COMPLETE))
        .path_param("id", "The payment id.")
        .returns::<PaymentView>(200, "The settled payment.")
        .link("payment", bazaar_openapi::Link::to("getPayment").param("id", "$response.body#/id"))
        .problems(&[403, 404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let correlation_id = cx.correlation_id.to_string();
        let payment = flows::complete(
            &deps.store,
            deps.mode,
            deps.window_seconds,
            &id,
            &identity,
            &correlation_id,
            chrono::Utc::now(),
        )
        .await?;
        json(StatusCode::OK, &PaymentView::from(&payment))
    })
    .await
}

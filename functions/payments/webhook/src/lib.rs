//! `POST /payments/webhook` (public): the payment provider's notifications. The signature
//! (`Bazaar-Signature: t=…,v1=…`, HMAC-SHA256 of `"<t>.<raw body>"` with the secret from
//! SSM) is checked before the body is even parsed, and the header itself before the secret
//! is read; anything missing, malformed, stale or wrong is 401 and changes nothing. A valid
//! notification is applied once per `event_id`:
//! - applied → 200 `{"status":"applied","payment_status":…}`
//! - repeated `event_id` → 200 `{"status":"duplicate"}`
//! - payment no longer PENDING → 200 `{"status":"ignored","payment_status":…}` (a 4xx would
//!   only make the provider retry something that can never apply)
//! - success after the payment window → payment FAILED `expired`, 200 `{"status":"expired"}`
//! - unknown payment → 404.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use payments_core::flows::{self, WebhookNotice};
use payments_core::secret::WebhookSecret;
use payments_core::signature::{self, Signed};
use payments_core::{PaymentError, PaymentsStore, settings};

pub struct Deps {
    pub store: PaymentsStore,
    pub secret: WebhookSecret,
    pub tolerance_seconds: i64,
    pub window_seconds: i64,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: PaymentsStore::from_env(config, env)?,
            secret: WebhookSecret::from_env(config, env)?,
            tolerance_seconds: settings::webhook_tolerance_seconds(env)?,
            window_seconds: settings::window_seconds(env)?,
        })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/payments/webhook", "paymentWebhook", "Provider notification")
        .describe(
            "Called by the payment provider, not by users: no token, but signed. `Bazaar-Signature: \
             t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">` with the stage's webhook secret, \
             `t` no further from now than `WEBHOOK_TOLERANCE_SECONDS`; a missing, malformed, stale or \
             wrong signature is a 401 and changes nothing. A valid notification settles a `PENDING` payment \
             once per `event_id` (emitting `PaymentSucceeded` or `PaymentFailed`; a success after the \
             payment window fails it as `expired`). A repeated `event_id` or a payment no longer `PENDING` \
             is still a 200, so the provider stops retrying; an unknown payment is a 404.",
        )
        .public()
        .header(signature::HEADER, "`t=<unix seconds>,v1=<hex HMAC-SHA256>` of `<t>.<raw body>`; several `v1` may be sent while the secret rotates.", true)
        .json_body::<WebhookNotice>("The provider's notification (unknown fields are ignored).")
        .returns::<flows::WebhookReply>(200, "What the notification changed: `applied`, `duplicate`, `ignored` or `expired`.")
        .problems(&[401, 404, 422, 503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let now = chrono::Utc::now();
        // What the header alone refuses (missing, malformed, stale) costs no SSM read.
        let header = http::header(&req, signature::HEADER);
        let signed = Signed::parse(header, now.timestamp(), deps.tolerance_seconds).map_err(PaymentError::from)?;
        let secret = deps.secret.get().await?;
        signed.check(secret.expose(), req.body().as_ref()).map_err(PaymentError::from)?;
        let notice: WebhookNotice = http::json_body(&req)?;
        let correlation_id = cx.correlation_id.to_string();
        let reply = flows::webhook(&deps.store, deps.window_seconds, &notice, &correlation_id, now).await?;
        json(StatusCode::OK, &reply)
    })
    .await
}

//! `POST /payments/webhook` (public): the payment provider's notifications. The signature
//! (`Bazaar-Signature: t=…,v1=…`, HMAC-SHA256 of `"<t>.<raw body>"` with the secret from
//! SSM) is checked before the body is even parsed; anything missing, malformed, stale or
//! wrong is 401 and changes nothing. A valid notification is applied once per `event_id`:
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
use payments_core::{PaymentError, PaymentsStore, settings, signature};

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

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let now = chrono::Utc::now();
        let secret = deps.secret.get().await?;
        let header = http::header(&req, signature::HEADER);
        signature::verify(secret.expose(), header, req.body().as_ref(), now.timestamp(), deps.tolerance_seconds)
            .map_err(PaymentError::from)?;
        let notice: WebhookNotice = http::json_body(&req)?;
        let correlation_id = cx.correlation_id.to_string();
        let reply = flows::webhook(&deps.store, deps.window_seconds, &notice, &correlation_id, now).await?;
        json(StatusCode::OK, &reply)
    })
    .await
}

//! `GET /payments/{id}`: a payment, for its payer or a holder of `payments:read_all`
//! (anyone else gets 404, as for an unknown id).

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use payments_core::{PaymentView, PaymentsStore, flows};

pub struct Deps {
    pub store: PaymentsStore,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: PaymentsStore::from_env(config, env)? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
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

//! `GET /notifications/preferences`: the caller's channels (defaults when never set).

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::NotificationsStore;

pub struct Deps {
    pub store: NotificationsStore,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: notifications_core::store_from_env(config, env)? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let prefs = deps.store.preferences(&identity.sub).await?;
        json(StatusCode::OK, &prefs)
    })
    .await
}

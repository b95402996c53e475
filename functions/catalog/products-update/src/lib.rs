//! `PATCH /products/{id}` (`catalog:write`): partial update of name, description, category
//! and price; emits `ProductChanged` with the next version.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use catalog_core::{CatalogStore, flows};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const PERMISSION: &str = "catalog:write";

pub struct Deps {
    pub store: CatalogStore,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: CatalogStore::from_env(config, env)? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require(PERMISSION)?;
        let id = http::path_param(&req, "id")?;
        let body = http::json_body(&req)?;
        json(StatusCode::OK, &flows::update(&deps.store, &id, body, cx.correlation_id.as_str()).await?)
    })
    .await
}

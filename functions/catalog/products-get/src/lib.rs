//! `GET /products/{id}` (public): an active product; unknown or deleted ones are 404.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use catalog_core::{CatalogStore, flows};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

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
    respond(req, |req, _cx| async move {
        let id = http::path_param(&req, "id")?;
        json(StatusCode::OK, &flows::get(&deps.store, &id).await?)
    })
    .await
}

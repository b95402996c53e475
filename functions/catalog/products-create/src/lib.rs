//! `POST /products` (`catalog:write`): creates a product and emits `ProductChanged`.

use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, ApiError, json, respond};
use catalog_core::{CatalogStore, flows};
use lambda_http::http::{HeaderValue, StatusCode, header};
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
        let body = http::json_body(&req)?;
        let product = flows::create(&deps.store, body, cx.correlation_id.as_str()).await?;
        let mut response = json(StatusCode::CREATED, &product)?;
        let location =
            HeaderValue::from_str(&format!("/products/{}", product.id)).map_err(|e| ApiError::Unexpected(e.into()))?;
        response.headers_mut().insert(header::LOCATION, location);
        Ok(response)
    })
    .await
}

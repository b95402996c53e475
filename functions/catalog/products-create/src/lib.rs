//! `POST /products` (`catalog:write`): creates a product owned by the caller and emits
//! `ProductChanged`.

use bazaar_runtime::http::{self, ApiError, json, respond};
use catalog_core::flows;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

pub const PERMISSION: &str = "catalog:write";

pub use catalog_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        identity.require(PERMISSION)?;
        let body = http::json_body(&req)?;
        let product = flows::create(&deps.store, body, &identity, cx.correlation_id.as_str()).await?;
        let mut response = json(StatusCode::CREATED, &product)?;
        let location =
            HeaderValue::from_str(&format!("/products/{}", product.id)).map_err(|e| ApiError::Unexpected(e.into()))?;
        response.headers_mut().insert(header::LOCATION, location);
        Ok(response)
    })
    .await
}

//! `DELETE /products/{id}` (`catalog:write`): soft delete (inactive), emits `ProductChanged`.

use bazaar_runtime::http::{self, no_content, respond};
use catalog_core::flows;
use lambda_http::{Body, Request, Response};

pub const PERMISSION: &str = "catalog:write";

pub use catalog_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require(PERMISSION)?;
        let id = http::path_param(&req, "id")?;
        flows::delete(&deps.store, &id, cx.correlation_id.as_str()).await?;
        no_content()
    })
    .await
}

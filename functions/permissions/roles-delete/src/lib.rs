//! `DELETE /roles/{name}`: deletes a custom role nobody holds (204; 409 for built-ins and
//! roles in use) and emits `RoleChanged { deleted: true }`. Requires `roles:manage`.

use bazaar_runtime::http::{self, no_content, respond};
use lambda_http::{Body, Request, Response};
use permissions_core::flows;
use permissions_core::model::MANAGE;

pub use permissions_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require(MANAGE)?;
        let name = http::path_param(&req, "name")?;
        flows::delete_role(&deps.store, &name, cx.correlation_id.as_str()).await?;
        no_content()
    })
    .await
}

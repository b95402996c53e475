//! `PUT /roles/{name}`: replaces a role's permissions (built-ins too; admin keeps
//! `roles:manage`) and emits `RoleChanged` with the next version. Requires `roles:manage`.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use permissions_core::RoleView;
use permissions_core::flows::{self, UpdateRole};
use permissions_core::model::MANAGE;

pub use permissions_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require(MANAGE)?;
        let name = http::path_param(&req, "name")?;
        let body: UpdateRole = http::json_body(&req)?;
        let role = flows::update_role(&deps.store, &name, &body, cx.correlation_id.as_str()).await?;
        json(StatusCode::OK, &RoleView::from(&role))
    })
    .await
}

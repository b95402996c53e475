//! `PUT /roles/{name}`: replaces a role's permissions (built-ins too; admin keeps
//! `roles:manage`) and emits `RoleChanged` with the next version. Requires `roles:manage`.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use permissions_core::RoleView;
use permissions_core::flows::{self, UpdateRole};
use permissions_core::model::MANAGE;

pub use permissions_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::put("/roles/{name}", "updateRole", "Replace a role's permissions")
        .access(bazaar_openapi::Access::Permission(permissions_core::model::MANAGE))
        .describe(
            "Requires `roles:manage`. Replaces the permissions (and, when sent, the description) of a role, \
             built-in ones included, and emits `RoleChanged` with the next version; a request that changes \
             nothing answers with the role as it is. The admin role keeps every permission (422). The caller \
             must hold every permission the role grants, before and after (403 `beyond-own-permissions`). A \
             409 means the role kept changing concurrently: retry.",
        )
        .path_param("name", "The role's name.")
        .json_body::<UpdateRole>("The role's permissions (all of them) and optionally its description.")
        .returns::<RoleView>(200, "The role as it is now.")
        .link("delete", bazaar_openapi::Link::to("deleteRole").param("name", "$response.body#/name"))
        .problems(&[404, 409, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let caller = cx.identity(&req)?;
        caller.require(MANAGE)?;
        let name = http::path_param(&req, "name")?;
        let body: UpdateRole = http::json_body(&req)?;
        let role = flows::update_role(&deps.store, &caller, &name, &body, cx.correlation_id.as_str()).await?;
        json(StatusCode::OK, &RoleView::from(&role))
    })
    .await
}

//! `DELETE /roles/{name}`: deletes a custom role nobody holds (204; 409 for built-ins and
//! roles in use) and emits `RoleChanged { deleted: true }`. Requires `roles:manage`.

use bazaar_runtime::http::{self, no_content, respond};
use lambda_http::{Body, Request, Response};
use permissions_core::flows;
use permissions_core::model::MANAGE;

pub use permissions_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::delete("/roles/{name}", "deleteRole", "Delete a role")
        .access(bazaar_openapi::Access::Permission(permissions_core::model::MANAGE))
        .describe(
            "Requires `roles:manage`. Deletes a custom role that nobody holds and emits \
             `RoleChanged { deleted: true }`. Built-in roles and roles in use are a 409; a role granting a \
             permission the caller does not hold is a 403 (`beyond-own-permissions`).",
        )
        .path_param("name", "The role's name.")
        .returns_empty(204, "The role is deleted.")
        .problems(&[404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let caller = cx.identity(&req)?;
        caller.require(MANAGE)?;
        let name = http::path_param(&req, "name")?;
        flows::delete_role(&deps.store, &caller, &name, cx.correlation_id.as_str()).await?;
        no_content()
    })
    .await
}

//! `DELETE /users/{id}/roles/{role}`: takes a role from a user (404 when not held; 409 for
//! the last admin's `admin`) and emits `UserRolesChanged`. Requires `roles:manage`.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use permissions_core::flows;
use permissions_core::model::MANAGE;

pub use permissions_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::delete("/users/{id}/roles/{role}", "revokeUserRole", "Take a role from a user")
        .access(bazaar_openapi::Access::Permission(permissions_core::model::MANAGE))
        .describe(
            "Requires `roles:manage`. Takes the role from the user and emits `UserRolesChanged`. A role the \
             user does not hold is a 404; the last holder of `admin` cannot lose it (409). A role granting a \
             permission the caller does not hold is a 403 (`beyond-own-permissions`): a role manager cannot \
             strip an admin.",
        )
        .path_param("id", "The user's id.")
        .path_param("role", "The role's name.")
        .returns::<permissions_core::UserRolesView>(200, "The user's roles and permissions, without the role.")
        .problems(&[404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let caller = cx.identity(&req)?;
        caller.require(MANAGE)?;
        let id = http::path_param(&req, "id")?;
        let role = http::path_param(&req, "role")?;
        let view = flows::revoke(&deps.store, &caller, &id, &role, cx.correlation_id.as_str()).await?;
        json(StatusCode::OK, &view)
    })
    .await
}

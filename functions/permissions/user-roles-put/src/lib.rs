//! `PUT /users/{id}/roles/{role}`: gives a user a role (idempotent: a role already held
//! changes nothing) and emits `UserRolesChanged`. Requires `roles:manage`.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use permissions_core::flows;
use permissions_core::model::MANAGE;

pub use permissions_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::put("/users/{id}/roles/{role}", "grantUserRole", "Give a user a role")
        .access(bazaar_openapi::Access::Permission(permissions_core::model::MANAGE))
        .describe(
            "Requires `roles:manage`. Gives the user the role and emits `UserRolesChanged`; idempotent: a role \
             already held changes nothing. An unknown user or role is a 404; a 409 means the user's roles kept \
             changing concurrently: retry. A role granting a permission the caller does not hold is a 403 \
             (`beyond-own-permissions`).",
        )
        .path_param("id", "The user's id.")
        .path_param("role", "The role's name.")
        .returns::<permissions_core::UserRolesView>(200, "The user's roles and permissions, the role included.")
        .link(
            "revoke",
            bazaar_openapi::Link::to("revokeUserRole")
                .param("id", "$request.path.id")
                .param("role", "$request.path.role"),
        )
        .link("roles", bazaar_openapi::Link::to("getUserRoles").param("id", "$request.path.id"))
        .problems(&[404, 409])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let caller = cx.identity(&req)?;
        caller.require(MANAGE)?;
        let id = http::path_param(&req, "id")?;
        let role = http::path_param(&req, "role")?;
        let view = flows::grant(&deps.store, &caller, &id, &role, cx.correlation_id.as_str()).await?;
        json(StatusCode::OK, &view)
    })
    .await
}

//! `GET /users/{id}/roles`: a user's roles, the permissions they add up to and the
//! assignment version; 404 for a user this service never recorded. Requires `roles:manage`.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use permissions_core::flows;
use permissions_core::model::MANAGE;

pub use permissions_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/users/{id}/roles", "getUserRoles", "Get a user's roles")
        .access(bazaar_openapi::Access::Permission(permissions_core::model::MANAGE))
        .describe(
            "Requires `roles:manage`. The roles a user holds, the permissions they add up to and the \
             assignment version; a user this service never recorded is a 404.",
        )
        .path_param("id", "The user's id.")
        .returns::<permissions_core::UserRolesView>(200, "The user's roles and permissions.")
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require(MANAGE)?;
        let id = http::path_param(&req, "id")?;
        let view = flows::user_roles(&deps.store, &id).await?;
        json(StatusCode::OK, &view)
    })
    .await
}

//! `GET /roles`: every role (built-ins merged with the stored ones) with its permissions and
//! members count, sorted by name. Requires `roles:manage`.

use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use permissions_core::model::MANAGE;
use permissions_core::{RoleList, RoleView, flows};

pub use permissions_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/roles", "listRoles", "List roles")
        .access(bazaar_openapi::Access::Permission(permissions_core::model::MANAGE))
        .describe(
            "Requires `roles:manage`. Every role, the built-in ones merged with those admins created, \
             with its permissions and members count, sorted by name.",
        )
        .returns::<RoleList>(200, "Every role.")
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require(MANAGE)?;
        let roles = flows::list_roles(&deps.store).await?;
        let roles: Vec<RoleView> = roles.iter().map(RoleView::from).collect();
        json(StatusCode::OK, &RoleList { roles })
    })
    .await
}

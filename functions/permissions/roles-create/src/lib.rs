//! `POST /roles`: creates a custom role (201 + Location; 409 if the name exists, 422 for
//! unknown permissions) and emits `RoleChanged`. Requires `roles:manage`.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use permissions_core::RoleView;
use permissions_core::flows::{self, CreateRole};
use permissions_core::model::MANAGE;

pub use permissions_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/roles", "createRole", "Create a role")
        .access(bazaar_openapi::Access::Permission(permissions_core::model::MANAGE))
        .describe(
            "Requires `roles:manage`. Creates a custom role and emits `RoleChanged`. A name already taken \
             (the built-in roles' included) is a 409; an invalid name, an unknown permission or a too long \
             description is a 422; a permission the caller does not hold is a 403 (`beyond-own-permissions`).",
        )
        .json_body::<CreateRole>("The role's name, permissions and description.")
        .returns::<RoleView>(201, "The role, version 1 (or the next version of a deleted role of that name).")
        .with_header("Location", "The role's URL.")
        .link("update", bazaar_openapi::Link::to("updateRole").param("name", "$response.body#/name"))
        .link("delete", bazaar_openapi::Link::to("deleteRole").param("name", "$response.body#/name"))
        .problems(&[409, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let caller = cx.identity(&req)?;
        caller.require(MANAGE)?;
        let body: CreateRole = http::json_body(&req)?;
        let role = flows::create_role(&deps.store, &caller, &body, cx.correlation_id.as_str()).await?;
        let mut response = json(StatusCode::CREATED, &RoleView::from(&role))?;
        let location = HeaderValue::from_str(&format!("/roles/{}", role.name)).map_err(anyhow::Error::from)?;
        response.headers_mut().insert(header::LOCATION, location);
        Ok(response)
    })
    .await
}

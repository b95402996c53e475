//! `GET /auth/users/{id}`: any account, for callers holding `users:read` (admins).

use auth_core::AuthError;
use auth_core::model::UserView;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const PERMISSION: &str = "users:read";

pub use auth_core::store::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/auth/users/{id}", "getUser", "Get an account")
        .access(bazaar_openapi::Access::Permission(PERMISSION))
        .describe("Any account, with its roles and permissions, for callers holding `users:read` (admins).")
        .path_param("id", "The account's user id.")
        .returns::<UserView>(200, "The account.")
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require(PERMISSION)?;
        let id = http::path_param(&req, "id")?;
        let user = deps.store.user(&id).await?.ok_or(AuthError::NotFound)?;
        let permissions = deps.store.permissions_for(&user).await?;
        json(StatusCode::OK, &UserView::new(&user, permissions))
    })
    .await
}

//! `GET /auth/me`: the caller's own account.

use auth_core::AuthError;
use auth_core::model::UserView;
use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use auth_core::store::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/auth/me", "getMe", "The caller's account")
        .access(bazaar_openapi::Access::SignedIn("their own account"))
        .describe(
            "Any signed-in caller: their own account with the roles and permissions it holds now \
             (404 when the account no longer exists).",
        )
        .returns::<UserView>(200, "The caller's account.")
        .link("user", bazaar_openapi::Link::to("getUser").param("id", "$response.body#/id"))
        .link("roles", bazaar_openapi::Link::to("getUserRoles").param("id", "$response.body#/id"))
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let user = deps.store.user(&identity.sub).await?.ok_or(AuthError::NotFound)?;
        let permissions = deps.store.permissions_for(&user).await?;
        json(StatusCode::OK, &UserView::new(&user, permissions))
    })
    .await
}

//! `GET /auth/me`: the caller's own account.

use auth_core::model::UserView;
use auth_core::{AuthError, AuthStore, settings};
use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub struct Deps {
    pub store: AuthStore,
}

impl Deps {
    pub async fn from_env() -> anyhow::Result<Deps> {
        let config = bazaar_runtime::sdk_config().await;
        Ok(Deps { store: AuthStore::new(aws_sdk_dynamodb::Client::new(&config), settings::table_from_env()?) })
    }
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let user = deps.store.user(&identity.sub).await?.ok_or(AuthError::NotFound)?;
        json(StatusCode::OK, &UserView::from(&user))
    })
    .await
}

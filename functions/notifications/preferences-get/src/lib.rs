//! `GET /notifications/preferences`: the caller's channels (defaults when never set).

use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use notifications_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let prefs = deps.store.preferences(&identity.sub).await?;
        json(StatusCode::OK, &prefs)
    })
    .await
}

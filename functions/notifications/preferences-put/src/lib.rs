//! `PUT /notifications/preferences`: replaces the caller's channels. SMS needs an E.164
//! phone number (422 otherwise).

use bazaar_runtime::Problem;
use bazaar_runtime::http::{json, json_body, respond};
use bazaar_runtime::problem::FieldError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::PreferencesInput;

pub use notifications_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let input: PreferencesInput = json_body(&req)?;
        let prefs = input.parse().map_err(|errors| {
            Problem::validation(
                errors.into_iter().map(|(field, message)| FieldError { field: field.to_owned(), message }).collect(),
            )
        })?;
        deps.store.put_preferences(&identity.sub, &prefs, chrono::Utc::now()).await?;
        json(StatusCode::OK, &prefs)
    })
    .await
}

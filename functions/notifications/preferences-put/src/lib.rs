//! `PUT /notifications/preferences`: replaces the caller's channels. SMS needs an E.164
//! phone number (422 otherwise).

use bazaar_runtime::Problem;
use bazaar_runtime::http::{json, json_body, respond};
use bazaar_runtime::problem::FieldError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::PreferencesInput;

pub use notifications_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::put(
        "/notifications/preferences",
        "putPreferences",
        "Set the caller's notification channels",
    )
    .access(bazaar_openapi::Access::SignedIn("their own preferences"))
    .describe(
        "Any signed-in user, for themselves: replaces the channels notifications use. `sms: true` needs \
             an E.164 `phone_number` (`+` then 7 to 15 digits, the first not 0); an invalid number is a 422 \
             even with SMS off. An empty `phone_number` counts as none.",
    )
    .json_body::<PreferencesInput>("The channels to use.")
    .returns::<notifications_core::Preferences>(200, "The stored preferences.")
    .problems(&[422])
}

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

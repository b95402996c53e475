//! `GET /notifications/preferences`: the caller's channels (defaults when never set).

use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use notifications_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/notifications/preferences", "getPreferences", "The caller's notification channels")
        .access(bazaar_openapi::Access::SignedIn("their own preferences"))
        .describe(
            "Any signed-in user, for themselves: which channels notifications use. Email on and SMS off \
             until the caller sets otherwise.",
        )
        .returns::<notifications_core::Preferences>(200, "The caller's preferences.")
        .link(
            "replace",
            bazaar_openapi::Link::to("putPreferences").body(bazaar_openapi::json!({
                "email": "$response.body#/email",
                "sms": "$response.body#/sms",
                "phone_number": "$response.body#/phone_number",
            })),
        )
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let prefs = deps.store.preferences(&identity.sub).await?;
        json(StatusCode::OK, &prefs)
    })
    .await
}

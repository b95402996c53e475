//! `PUT /notifications/templates/{name}` (notifications:templates): stores a custom
//! template after checking that every part compiles and renders against the variables its
//! events provide (422 naming the part otherwise).

use bazaar_runtime::Problem;
use bazaar_runtime::http::{json, json_body, path_param, respond};
use bazaar_runtime::problem::FieldError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::templates::{MAX_BODY_CHARS, MAX_SMS_CHARS, MAX_SUBJECT_CHARS};
use notifications_core::{Template, TemplateName, TemplateSource, TemplateView};
use serde::Deserialize;

pub use notifications_core::TableDeps as Deps;

/// The body of `PUT /notifications/templates/{name}`: minijinja sources of each part.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NotificationTemplateInput")]
pub struct TemplateInput {
    /// The email subject.
    #[schemars(length(min = 1, max = MAX_SUBJECT_CHARS))]
    subject: String,
    /// The plain-text email body.
    #[schemars(length(min = 1, max = MAX_BODY_CHARS))]
    text: String,
    /// The HTML email body; the text body alone when absent.
    #[serde(default)]
    #[schemars(length(min = 1, max = MAX_BODY_CHARS))]
    html: Option<String>,
    /// The SMS text; no SMS for this template when absent.
    #[serde(default)]
    #[schemars(length(min = 1, max = MAX_SMS_CHARS))]
    sms: Option<String>,
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::put("/notifications/templates/{name}", "putTemplate", "Replace a notification template")
        .access(bazaar_openapi::Access::Permission("notifications:templates"))
        .describe(
            "Needs `notifications:templates`. Stores a custom template (minijinja sources) once every part \
             compiles and renders against the variables its events provide; otherwise a 422 naming the part. \
             Later notifications of this name use it.",
        )
        .path_param("name", &TemplateName::param_description())
        .json_body::<TemplateInput>("The template's parts.")
        .returns::<TemplateView>(200, "The stored template.")
        .problems(&[404, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require("notifications:templates")?;
        let name = TemplateName::parse(&path_param(&req, "name")?).ok_or_else(Problem::not_found)?;
        let input: TemplateInput = json_body(&req)?;
        let template = Template { subject: input.subject, text: input.text, html: input.html, sms: input.sms };
        template.validate(name).map_err(|errors| {
            Problem::validation(
                errors.into_iter().map(|e| FieldError { field: e.part.to_owned(), message: e.message }).collect(),
            )
        })?;
        let stored = deps.store.put_template(name, &template, chrono::Utc::now()).await?;
        tracing::info!(template = name.as_str(), "custom template stored");
        let body = TemplateView::new(name, TemplateSource::Custom, stored.template, Some(stored.updated_at));
        json(StatusCode::OK, &body)
    })
    .await
}

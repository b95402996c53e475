//! `PUT /notifications/templates/{name}` (notifications:templates): stores a custom
//! template after checking that every part compiles and renders against the variables its
//! events provide (422 naming the part otherwise).

use bazaar_runtime::Problem;
use bazaar_runtime::http::{json, json_body, path_param, respond};
use bazaar_runtime::problem::FieldError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::{Template, TemplateName};
use serde::Deserialize;
use serde_json::json as value;

pub use notifications_core::TableDeps as Deps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateInput {
    subject: String,
    text: String,
    #[serde(default)]
    html: Option<String>,
    #[serde(default)]
    sms: Option<String>,
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
        let body = value!({
            "name": name, "source": "custom", "subject": stored.template.subject, "text": stored.template.text,
            "html": stored.template.html, "sms": stored.template.sms, "updated_at": stored.updated_at,
        });
        json(StatusCode::OK, &body)
    })
    .await
}

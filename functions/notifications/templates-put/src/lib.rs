//! `PUT /notifications/templates/{name}` (notifications:templates; a security template,
//! whose message carries a single-use link, needs notifications:security_templates): stores
//! a custom template after checking that every part compiles and renders against the
//! variables its events provide within the render limits, and that a security template's
//! links all point at its link's page (422 naming the part otherwise).

use bazaar_runtime::Problem;
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{json, json_body, path_param, respond};
use bazaar_runtime::problem::FieldError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::message::LinkPages;
use notifications_core::templates::{MAX_BODY_CHARS, MAX_SMS_CHARS, MAX_SUBJECT_CHARS};
use notifications_core::{NotificationsStore, Template, TemplateName, TemplateSource, TemplateView};
use serde::Deserialize;

pub struct Deps {
    pub store: NotificationsStore,
    /// The pages a security template's links must point at.
    pub pages: LinkPages,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: NotificationsStore::from_env(config, env)?, pages: LinkPages::from_env(env)? })
    }
}

/// Who may change a template.
const PERMISSION: &str = "notifications:templates";
/// Who may change a security template (`password_reset`): admins only, by default.
const SECURITY_PERMISSION: &str = "notifications:security_templates";

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
        .access(bazaar_openapi::Access::Permission(PERMISSION))
        .access(bazaar_openapi::Access::Scope(
            "the security templates (`password_reset`, `email_verification`, `welcome`), instead",
            SECURITY_PERMISSION,
        ))
        .describe(
            "Needs `notifications:templates`; a security template (`password_reset`, `email_verification`, \
             `welcome`: their messages carry a single-use link) needs `notifications:security_templates` \
             instead. Stores a custom template \
             (minijinja sources) once every part compiles and renders against the variables its events \
             provide, within a fuel limit and a size limit per part, and, for a security template, once \
             every link in it (any URL, `//host`, `www.`, `mailto:`, every `href`/`src`) points at the \
             configured page of its link and the link itself is used; otherwise a 422 naming the part. \
             Later notifications of this name use it (a message it fails to render for, or whose links it \
             sends elsewhere, is sent with the default template).",
        )
        .path_param_of::<TemplateName>("name", &TemplateName::param_description())
        .json_body::<TemplateInput>("The template's parts.")
        .returns::<TemplateView>(200, "The stored template.")
        .link("template", bazaar_openapi::Link::to("getTemplate").param("name", "$request.path.name"))
        .problems(&[404, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let name = TemplateName::parse(&path_param(&req, "name")?);
        identity.require(if name.is_some_and(TemplateName::is_security) { SECURITY_PERMISSION } else { PERMISSION })?;
        let name = name.ok_or_else(Problem::not_found)?;
        let input: TemplateInput = json_body(&req)?;
        let template = Template { subject: input.subject, text: input.text, html: input.html, sms: input.sms };
        template.validate(name, &deps.pages).map_err(|errors| {
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

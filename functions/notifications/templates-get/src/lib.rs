//! `GET /notifications/templates/{name}` (notifications:templates): the custom template
//! when one was stored, else the default shipped with the service.

use bazaar_runtime::Problem;
use bazaar_runtime::http::{json, path_param, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::{TemplateName, TemplateSource, TemplateView};

pub use notifications_core::TableDeps as Deps;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/notifications/templates/{name}", "getTemplate", "A notification template")
        .access(bazaar_openapi::Access::Permission("notifications:templates"))
        .describe(
            "Needs `notifications:templates`. The custom template when one was stored (`source: custom`), \
             else the default shipped with the service (`source: default`).",
        )
        .path_param_of::<TemplateName>("name", &TemplateName::param_description())
        .returns::<TemplateView>(200, "The template.")
        .link(
            "replace",
            bazaar_openapi::Link::to("putTemplate").param("name", "$request.path.name").body(bazaar_openapi::json!({
                "subject": "$response.body#/subject",
                "text": "$response.body#/text",
                "html": "$response.body#/html",
                "sms": "$response.body#/sms",
            })),
        )
        .problems(&[404])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require("notifications:templates")?;
        let name = TemplateName::parse(&path_param(&req, "name")?).ok_or_else(Problem::not_found)?;
        let body = match deps.store.template(name).await? {
            Some(stored) => TemplateView::new(name, TemplateSource::Custom, stored.template, Some(stored.updated_at)),
            None => TemplateView::new(name, TemplateSource::Default, name.default_template(), None),
        };
        json(StatusCode::OK, &body)
    })
    .await
}

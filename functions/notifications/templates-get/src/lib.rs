//! `GET /notifications/templates/{name}` (notifications:templates): the custom template
//! when one was stored, else the default shipped with the service.

use bazaar_runtime::Problem;
use bazaar_runtime::http::{json, path_param, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::TemplateName;
use serde_json::json as value;

pub use notifications_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        cx.identity(&req)?.require("notifications:templates")?;
        let name = TemplateName::parse(&path_param(&req, "name")?).ok_or_else(Problem::not_found)?;
        let body = match deps.store.template(name).await? {
            Some(stored) => value!({
                "name": name, "source": "custom", "subject": stored.template.subject, "text": stored.template.text,
                "html": stored.template.html, "sms": stored.template.sms, "updated_at": stored.updated_at,
            }),
            None => {
                let t = name.default_template();
                value!({ "name": name, "source": "default", "subject": t.subject, "text": t.text, "html": t.html,
                         "sms": t.sms, "updated_at": null })
            }
        };
        json(StatusCode::OK, &body)
    })
    .await
}

//! `GET /openapi.json`: the API's OpenAPI 3.1 document. It is generated from the handlers'
//! own operations and types (bazaar-system's `openapi_document_is_current` test writes and
//! checks the committed copy, `make openapi` regenerates it), and embedded at build time.

use bazaar_runtime::ApiError;
use bazaar_runtime::http::respond;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};

/// Needs nothing built at init: the document is in the binary.
pub use bazaar_runtime::NoDeps as Deps;

/// The committed document, as served.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/openapi.json", "getOpenApiDocument", "This OpenAPI document")
        .describe("The OpenAPI 3.1 description of every route, generated from the handlers' types.")
        .tag("docs")
        .public()
        .returns_other(
            200,
            "The OpenAPI 3.1 document.",
            "application/json",
            serde_json::json!({ "type": "object", "required": ["openapi", "paths"] }),
        )
}

pub async fn handler(_deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |_req, _cx| async move {
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "public, max-age=300")
            .body(Body::Text(DOCUMENT.to_owned()))
            .map_err(|e| ApiError::Unexpected(e.into()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_testkit::apigw::{Req, body_json};

    #[tokio::test]
    async fn serves_the_committed_document() {
        let response = handler(&Deps, Req::new("GET", "/openapi.json").build()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let document = body_json(&response);
        assert_eq!(document["openapi"], "3.1.0");
        assert!(document["paths"]["/openapi.json"]["get"].is_object(), "the document lists itself");
    }

    #[tokio::test]
    async fn the_sample_event_gets_the_document() {
        for (name, json) in bazaar_testkit::samples::load("api").into_iter().filter(|(n, _)| n.starts_with("openapi/"))
        {
            let response = handler(&Deps, bazaar_testkit::samples::request(&json)).await;
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            assert_eq!(body_json(&response)["openapi"], "3.1.0", "{name}");
        }
    }
}

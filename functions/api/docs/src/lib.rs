//! `GET /docs`: a readable page of the API, Redoc (from npm, vendored in `assets/`, inlined
//! at build time) rendering `GET /openapi.json`. Sent gzipped to clients that accept it.

use bazaar_runtime::ApiError;
use bazaar_runtime::http::{self, respond};
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};

/// Needs nothing built at init: the page is in the binary.
pub use bazaar_runtime::NoDeps as Deps;

/// The page, gzipped (build.rs): what nearly every client gets, as it is.
pub const PAGE_GZIP: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/docs.html.gz"));

/// The page itself, for a client that does not accept gzip: inflated from [`PAGE_GZIP`] the
/// first time one asks, then kept for the container's life.
pub fn page() -> Result<&'static str, ApiError> {
    use std::io::Read as _;
    static PAGE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let mut page = String::new();
        flate2::read::GzDecoder::new(PAGE_GZIP).read_to_string(&mut page).ok().map(|_| page)
    });
    page.as_deref().ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("the embedded docs page does not inflate")))
}

/// Whether `Accept-Encoding` allows gzip (`gzip`, `gzip;q=0.5`, `*`; not `gzip;q=0`).
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.unwrap_or("").split(',').any(|coding| {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts
            .any(|p| matches!(p.trim().strip_prefix("q="), Some(q) if q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)));
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/docs", "getApiDocs", "Readable API documentation")
        .describe("An HTML page (Redoc) rendering `GET /openapi.json`.")
        .tag("docs")
        .public()
        .returns_other(200, "The documentation page.", "text/html", serde_json::json!({ "type": "string" }))
}

pub async fn handler(_deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let gzip = accepts_gzip(http::header(&req, "accept-encoding"));
        let builder = Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "public, max-age=300")
            .header(header::VARY, "accept-encoding");
        let response = if gzip {
            builder.header(header::CONTENT_ENCODING, "gzip").body(Body::Binary(PAGE_GZIP.to_vec()))
        } else {
            builder.body(Body::Text(page()?.to_owned()))
        };
        response.map_err(|e| ApiError::Unexpected(e.into()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;
    use bazaar_testkit::apigw::{Req, text};

    #[test]
    fn gzip_is_used_only_when_accepted() {
        assert!(accepts_gzip(Some("gzip, deflate, br")));
        assert!(accepts_gzip(Some("br;q=1.0, gzip;q=0.8")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(None));
    }

    #[tokio::test]
    async fn serves_the_page_plain_or_gzipped() {
        let plain = handler(&Deps, Req::new("GET", "/docs").build()).await;
        assert_eq!(plain.status(), StatusCode::OK);
        assert_eq!(plain.headers()["content-type"], "text/html; charset=utf-8");
        assert!(plain.headers().get("content-encoding").is_none());
        let page = text(&plain);
        assert!(page.contains(r#"<redoc spec-url="openapi.json">"#), "renders the served document");
        assert!(page.contains("RedocStandalone"), "the bundle is inlined, nothing is fetched");
        assert!(!page.contains("/*REDOC*/"));

        let zipped = handler(&Deps, Req::new("GET", "/docs").header("accept-encoding", "gzip").build()).await;
        assert_eq!(zipped.headers()["content-encoding"], "gzip");
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(zipped.body().as_ref()).read_to_string(&mut unzipped).expect("gunzips");
        assert_eq!(unzipped, page);
        // Inflated once, then the same page every time.
        assert!(std::ptr::eq(super::page().expect("inflates"), super::page().expect("inflates")));
    }

    #[tokio::test]
    async fn the_sample_event_gets_the_gzipped_page() {
        let samples = bazaar_testkit::samples::load("api");
        let docs: Vec<_> = samples.iter().filter(|(n, _)| n.starts_with("docs/")).collect();
        assert!(!docs.is_empty());
        for (name, json) in docs {
            let response = handler(&Deps, bazaar_testkit::samples::request(json)).await;
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            assert_eq!(response.headers()["content-encoding"], "gzip", "{name} accepts gzip");
        }
    }
}

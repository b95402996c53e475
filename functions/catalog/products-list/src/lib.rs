//! `GET /products` (public): active products in a stable order, `?limit=`, `?cursor=`, `?category=`.

use bazaar_aws::cursor::{DEFAULT_LIMIT, MAX_LIMIT};
use bazaar_runtime::Problem;
use bazaar_runtime::http::{self, json, respond};
use catalog_core::CatalogStore;
use catalog_core::flows::{self, ListQuery};
use catalog_core::model::MAX_CATEGORY_CHARS;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// The store and the cursor secret.
pub type Deps = bazaar_aws::cursor::Listing<CatalogStore>;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/products", "listProducts", "List products")
        .public()
        .describe(
            "Public. Active products in a stable order (creation order), optionally of one category. \
             A cursor is only valid for the listing it came from (same category): another one is a 400. \
             A 503 means the cursor key cannot be read right now: retry.",
        )
        .query(
            "category",
            "Only products of this category.",
            serde_json::json!({ "type": "string", "maxLength": MAX_CATEGORY_CHARS }),
        )
        .paginated(DEFAULT_LIMIT, MAX_LIMIT)
        .returns::<flows::Page>(200, "One page of products.")
        .link("product", bazaar_openapi::Link::to("getProduct").param("id", "$response.body#/items/0/id"))
        .link(
            "order",
            bazaar_openapi::Link::to("placeOrder").body(
                bazaar_openapi::json!({ "lines": [{ "product_id": "$response.body#/items/0/id", "quantity": 1 }] }),
            ),
        )
        .problems(&[400, 503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let category = http::query_param(&req, "category");
        // No product has a longer category; refused before DynamoDB sees an oversized key.
        if category.as_ref().is_some_and(|c| c.chars().count() > MAX_CATEGORY_CHARS) {
            return Err(
                Problem::bad_request(format!("category must be at most {MAX_CATEGORY_CHARS} characters")).into()
            );
        }
        let query = ListQuery {
            limit: http::limit_param(&req, DEFAULT_LIMIT, MAX_LIMIT)?,
            category,
            cursor: http::query_param(&req, "cursor"),
        };
        let page = flows::list(&deps.store, &*deps.cursors.key().await?, query).await?;
        json(StatusCode::OK, &page)
    })
    .await
}

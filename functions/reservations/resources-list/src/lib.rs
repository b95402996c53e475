//! `GET /resources` (public): active resources in creation order, or every resource of
//! one owner (`?owner=`); `?limit=`, `?cursor=` (signed).

use bazaar_aws::cursor::{DEFAULT_LIMIT, MAX_LIMIT};
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::{ReservationsStore, flows};

/// The store and the cursor secret.
pub type Deps = bazaar_aws::cursor::Listing<ReservationsStore>;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/resources", "listResources", "List resources")
        .public()
        .describe(
            "Public. The active resources in creation order, or with `?owner=` every resource (active or not) \
             of that owner.",
        )
        .query(
            "owner",
            "A user id: that owner's resources, inactive ones included.",
            serde_json::json!({ "type": "string" }),
        )
        .paginated(DEFAULT_LIMIT, MAX_LIMIT)
        .returns::<flows::Page<reservations_core::Resource>>(200, "One page of resources.")
        .link("resource", bazaar_openapi::Link::to("getResource").param("id", "$response.body#/items/0/id"))
        .link("availability", bazaar_openapi::Link::to("getAvailability").param("id", "$response.body#/items/0/id"))
        .problems(&[400, 503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let limit = http::limit_param(&req, DEFAULT_LIMIT, MAX_LIMIT)?;
        let owner = http::query_param(&req, "owner");
        let cursor = http::query_param(&req, "cursor");
        let page =
            flows::resources::list_resources(&deps.store, &*deps.cursors.key().await?, owner, limit, cursor.as_deref())
                .await?;
        json(StatusCode::OK, &page)
    })
    .await
}

//! `GET /orders`: the caller's orders, newest first (`?limit=`, `?cursor=`); with
//! `orders:read_all`, `?all=true` lists every order.

use bazaar_aws::cursor::{DEFAULT_LIMIT, MAX_LIMIT};
use bazaar_openapi::Access;
use bazaar_runtime::http::{self, json, respond};
use bazaar_runtime::{Identity, Problem};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use orders_core::store::Scope;
use orders_core::{OrdersStore, flows};

/// The store and the cursor secret.
pub type Deps = bazaar_aws::cursor::Listing<OrdersStore>;

/// `?all=`: absent or `false` → the caller's orders; `true` → every order (403 without
/// `orders:read_all`); anything else → 400.
pub fn scope(identity: &Identity, all: Option<&str>) -> Result<Scope, Problem> {
    match all {
        None | Some("false") => Ok(Scope::Customer(identity.sub.clone())),
        Some("true") => {
            identity.require(flows::READ_ALL)?;
            Ok(Scope::All)
        }
        Some(_) => Err(Problem::bad_request("all must be true or false")),
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/orders", "listOrders", "List orders")
        .describe("The caller's orders, newest first; with `orders:read_all`, `?all=true` lists everyone's.")
        .access(Access::SignedIn("their own orders"))
        .access(Access::Scope("`?all=true`", flows::READ_ALL))
        .query(
            "all",
            "`true` for every customer's orders (needs `orders:read_all`).",
            serde_json::json!({ "type": "string", "enum": ["true", "false"] }),
        )
        .paginated(DEFAULT_LIMIT, MAX_LIMIT)
        .returns::<orders_core::flows::Page>(200, "One page of orders.")
        .link("order", bazaar_openapi::Link::to("getOrder").param("id", "$response.body#/items/0/id"))
        .link("payment", bazaar_openapi::Link::to("getPayment").param("id", "$response.body#/items/0/payment_id"))
        .problems(&[400, 503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, _cx| async move {
        let identity = Identity::from_request(&req)?;
        let scope = scope(&identity, http::query_param(&req, "all").as_deref())?;
        let limit = http::limit_param(&req, DEFAULT_LIMIT, MAX_LIMIT)?;
        let cursor = http::query_param(&req, "cursor");
        let page =
            flows::list_orders(&deps.store, &*deps.cursors.key().await?, &scope, limit, cursor.as_deref()).await?;
        json(StatusCode::OK, &page)
    })
    .await
}

//! `GET /notifications`: the caller's delivery log, newest first, `?limit=` (1..=100,
//! default 20) and an opaque `?cursor=`.

use bazaar_aws::cursor::{DEFAULT_LIMIT, MAX_LIMIT};
use bazaar_runtime::Problem;
use bazaar_runtime::http::{json, limit_param, query_param, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::store::key_belongs_to;
use notifications_core::{DeliveryPage, NotificationsStore};

/// The store and the cursor secret.
pub type Deps = bazaar_aws::cursor::Listing<NotificationsStore>;

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::get("/notifications", "listNotifications", "The caller's delivery log")
        .access(bazaar_openapi::Access::SignedIn("their own delivery log"))
        .describe(
            "Any signed-in user, for themselves: every email and SMS sent (or attempted) to the caller, \
             newest first, recipients masked. A cursor from another user's listing is a 400.",
        )
        .paginated(DEFAULT_LIMIT, MAX_LIMIT)
        .returns::<DeliveryPage>(200, "One page of deliveries; `next_cursor` is null on the last page.")
        .problems(&[400, 503])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let limit = limit_param(&req, DEFAULT_LIMIT, MAX_LIMIT)?;
        let cursors = deps.cursors.key().await?;
        let start = match query_param(&req, "cursor") {
            None => None,
            Some(cursor) => {
                let key = cursors.open(&cursor).map_err(|e| Problem::bad_request(e.to_string()))?;
                if !key_belongs_to(&key, &identity.sub) {
                    return Err(Problem::bad_request("the cursor is not valid").into());
                }
                Some(key)
            }
        };
        let (items, last) = deps.store.deliveries(&identity.sub, limit, start).await?;
        let next_cursor = last.map(|k| cursors.seal(&k)).transpose()?;
        json(StatusCode::OK, &DeliveryPage { items, next_cursor })
    })
    .await
}

//! `GET /reports/bookings?from=YYYY-MM-DD&to=YYYY-MM-DD[&resource=<id>][&owner=<id>]`:
//! per (local) day and resource, reservations confirmed, slots, confirmed amount,
//! cancelled, checked in and refunds, with totals — in one Query (by day, or by resource
//! when `?resource=` is given). Scoping as `GET /reports/sales`: an owner only ever sees
//! their own resources.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use reports_core::day::MAX_DAYS;
use reports_core::{query, report};

pub use reports_core::TableDeps as Deps;

pub const PARAMS: [&str; 4] = ["from", "to", "resource", "owner"];

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    let day = serde_json::json!({ "type": "string", "format": "date" });
    bazaar_openapi::Operation::get("/reports/bookings", "getBookingsReport", "Get the bookings report")
        .access(bazaar_openapi::Access::Permission(reports_core::query::READ))
        .access(bazaar_openapi::Access::Scope("the whole marketplace or `?owner=`", reports_core::query::READ_ALL))
        .describe(
            "Per local day of `from`..`to` (both included) and resource: reservations \
             confirmed, slots, confirmed amount, cancelled, checked in and refunds, with totals; `?resource=` \
             narrows it to one resource. Scoped as the sales report: `reports:read` reads the caller's own \
             resources (`?owner=` is then a 403), `reports:read_all` everything or one owner's. An unknown \
             query parameter is a 400.",
        )
        .required_query("from", "The first day, `YYYY-MM-DD`.", day.clone())
        .required_query(
            "to",
            &format!("The last day, `YYYY-MM-DD`: not before `from`, at most {MAX_DAYS} days in all (else 422)."),
            day,
        )
        .query("resource", "A resource id: only its bookings.", serde_json::json!({ "type": "string" }))
        .query("owner", "An owner's user id (needs `reports:read_all`).", serde_json::json!({ "type": "string" }))
        .returns::<report::BookingsReport>(200, "The report.")
        .problems(&[400, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let params = req.query_string_parameters();
        let (scope, period) = query::read(&cx.identity(&req)?, params.iter().collect::<Vec<_>>(), &PARAMS)?;
        let resource = http::query_param(&req, "resource");
        let rows = deps.store.bookings(&scope, period, resource.as_deref()).await?;
        json(StatusCode::OK, &report::bookings_report(period, &scope, resource.as_deref(), rows))
    })
    .await
}

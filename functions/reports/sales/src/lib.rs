//! `GET /reports/sales?from=YYYY-MM-DD&to=YYYY-MM-DD[&owner=<id>]`: per day, each
//! product's orders, units and revenue, the day's revenue by currency, and totals — in one
//! Query. `reports:read` reads the caller's own scope; `reports:read_all` reads everything
//! or, with `?owner=`, one owner's. The response's `revenue_basis` says what its revenue
//! counts: payments for everything, the owner's own sales and bookings for an owner.

use bazaar_runtime::http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use reports_core::day::MAX_DAYS;
use reports_core::{query, report};

pub use reports_core::TableDeps as Deps;

pub const PARAMS: [&str; 3] = ["from", "to", "owner"];

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    let day = serde_json::json!({ "type": "string", "format": "date" });
    bazaar_openapi::Operation::get("/reports/sales", "getSalesReport", "Get the sales report")
        .access(bazaar_openapi::Access::Permission(reports_core::query::READ))
        .access(bazaar_openapi::Access::Scope("the whole marketplace or `?owner=`", reports_core::query::READ_ALL))
        .describe(
            "Per UTC day of `from`..`to` (both included): each product's orders, units and \
             revenue, the day's revenue by currency, and totals. `reports:read` reads the caller's own scope \
             (`?owner=` is then a 403); `reports:read_all` reads the whole marketplace or, with `?owner=`, one \
             owner's. `revenue_basis` says what the revenue counts. An unknown query parameter is a 400.",
        )
        .required_query("from", "The first day, `YYYY-MM-DD`.", day.clone())
        .required_query(
            "to",
            &format!("The last day, `YYYY-MM-DD`: not before `from`, at most {MAX_DAYS} days in all (else 422)."),
            day,
        )
        .query("owner", "An owner's user id (needs `reports:read_all`).", serde_json::json!({ "type": "string" }))
        .returns::<report::SalesReport>(200, "The report.")
        .problems(&[400, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let params = req.query_string_parameters();
        let (scope, period) = query::read(&cx.identity(&req)?, params.iter().collect::<Vec<_>>(), &PARAMS)?;
        let rows = deps.store.sales(&scope, period).await?;
        json(StatusCode::OK, &report::sales_report(period, &scope, rows))
    })
    .await
}

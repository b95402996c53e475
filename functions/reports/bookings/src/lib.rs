//! `GET /reports/bookings?from=YYYY-MM-DD&to=YYYY-MM-DD[&resource=<id>][&owner=<id>]`:
//! per (local) day and resource, reservations confirmed, slots, confirmed amount,
//! cancelled, checked in and refunds, with totals — in one Query (by day, or by resource
//! when `?resource=` is given). Scoping as `GET /reports/sales`: an owner only ever sees
//! their own resources.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use reports_core::{query, report};

pub use reports_core::TableDeps as Deps;

pub const PARAMS: [&str; 4] = ["from", "to", "resource", "owner"];

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let params = req.query_string_parameters();
        query::only_known(params.iter().map(|(k, _)| k), &PARAMS)?;
        let scope = query::scope(&identity, http::query_param(&req, "owner").as_deref())?;
        let period =
            query::period(http::query_param(&req, "from").as_deref(), http::query_param(&req, "to").as_deref())?;
        let resource = http::query_param(&req, "resource");
        let rows = deps.store.bookings(&scope, period, resource.as_deref()).await?;
        json(StatusCode::OK, &report::bookings_report(period, &scope, resource.as_deref(), rows))
    })
    .await
}

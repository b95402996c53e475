//! `GET /orders/{id}`: one order, for its customer or a holder of `orders:read_all`;
//! anyone else gets 404.

use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use orders_core::{OrderView, flows};

pub use orders_core::TableDeps as Deps;

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let id = http::path_param(&req, "id")?;
        let order = flows::get_order(&deps.store, &identity, &id).await?;
        json(StatusCode::OK, &OrderView::from(&order))
    })
    .await
}

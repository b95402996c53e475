//! Steps the reservations test files share: reading a response and a query string.

use lambda_http::{Body, Response};
use serde_json::Value;

use crate::support::*;

/// Asserts `r` has `status`; returns its body.
pub fn expect_status(r: &Response<Body>, status: u16) -> Value {
    assert_eq!(r.status(), status, "{}", text(r));
    body_json(r)
}

/// `req` with the `query` pairs as its query string.
pub fn with_query(req: Req, query: &[(&str, &str)]) -> Req {
    query.iter().fold(req, |req, (k, v)| req.query(k, v))
}

/// The `id`s of a listing page's items, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().expect("items").iter().map(|item| item["id"].as_str().expect("id").to_owned()).collect()
}

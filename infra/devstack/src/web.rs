//! The HTTP calls the devstack itself makes: to its API (seeding) and to moto's own API.

use anyhow::Context as _;

/// Sends `request` and reads its JSON answer; any status but 2xx is an error. `what` says
/// what was asked, for the error.
pub(crate) async fn json(request: reqwest::RequestBuilder, what: &str) -> anyhow::Result<serde_json::Value> {
    let response = request.send().await.and_then(reqwest::Response::error_for_status).context(what.to_owned())?;
    response.json().await.with_context(|| format!("reading the answer to {what}"))
}

//! The sample events under `events/<service>/<function>/*.json`, and what each should come
//! to: `events/<service>/outcomes.json` maps `<function>/<case>.json` to an HTTP status
//! (an HTTP function's answer; an authorizer's 200 authorized, 403 refused, 401
//! "Unauthorized"; a consumer's, publisher's or schedule's 200 handled without failures,
//! 500 some failed). Each service's tests run every sample through its function's handler;
//! this module finds the samples and outcomes and does the comparing.

use std::collections::BTreeMap;

use lambda_http::Request;
use lambda_runtime::{Context, LambdaEvent};
use serde::de::DeserializeOwned;

/// Every sample of `service` as (`<function>/<case>.json`, its JSON), sorted by name.
pub fn load(service: &str) -> Vec<(String, String)> {
    let root = crate::workspace_root().join("events").join(service);
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("events/{service}: {e:?}")).flatten() {
        if !dir.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir.path()).expect("function dir").flatten() {
            let name = format!("{}/{}", dir.file_name().to_string_lossy(), file.file_name().to_string_lossy());
            found.push((name, std::fs::read_to_string(file.path()).expect("sample")));
        }
    }
    found.sort();
    found
}

/// `events/<service>/outcomes.json`: the outcome each sample of `service` must have.
pub fn outcomes(service: &str) -> BTreeMap<String, u16> {
    let path = crate::workspace_root().join("events").join(service).join("outcomes.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The function a sample named `<function>/<case>.json` is for.
pub fn function(name: &str) -> &str {
    name.split('/').next().unwrap_or_default()
}

/// An HTTP function's sample: an API Gateway v2 request.
pub fn request(json: &str) -> Request {
    lambda_http::request::from_str(json).expect("an API Gateway v2 event")
}

/// Any other function's sample, as the Lambda runtime hands it over.
pub fn event<T: DeserializeOwned>(json: &str) -> LambdaEvent<T> {
    LambdaEvent::new(serde_json::from_str(json).expect("sample event"), Context::default())
}

/// A batch's outcome: 200 when no item failed, else `failed` (the status the service's
/// expectations use for partial failure).
pub fn batch_outcome(failures: usize, failed: u16) -> u16 {
    if failures == 0 { 200 } else { failed }
}

/// Asserts that every sample has an expectation and every expectation a sample.
pub fn assert_covered(found: &[(String, String)], expected: &BTreeMap<String, u16>) {
    let names: Vec<&String> = found.iter().map(|(n, _)| n).collect();
    assert_eq!(names, expected.keys().collect::<Vec<_>>(), "the samples and outcomes.json differ");
}

/// Asserts that `run` gives every sample the outcome `expected` names for it, in order.
pub async fn assert_outcomes(
    found: &[(String, String)],
    expected: &BTreeMap<String, u16>,
    run: impl AsyncFn(&str, &str) -> u16,
) {
    for (name, json) in found {
        assert_eq!(run(name, json).await, expected[name], "{name}");
    }
}

/// The whole check for a service whose samples need no setup: every sample is expected,
/// every expectation has a sample, and each sample gets its expected outcome from `run`.
pub async fn check(service: &str, run: impl AsyncFn(&str, &str) -> u16) {
    let found = load(service);
    let expected = outcomes(service);
    assert_covered(&found, &expected);
    assert_outcomes(&found, &expected, run).await;
}

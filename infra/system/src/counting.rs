//! Counting the AWS requests each function makes: an HTTP client wrapped around the SDK's
//! own, installed in the one `SdkConfig` every in-process function builds its clients
//! from. Requests are attributed to the function running in the current task (see
//! [`crate::registry`]); requests made outside any function (the event-source pollers, the
//! test itself) are attributed to `-`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

tokio::task_local! {
    /// The binary whose handler is running in this task.
    pub static CURRENT_FUNCTION: String;
}

/// What one request was: `dynamodb:TransactWriteItems`, `sqs:ReceiveMessage`, ...
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Call {
    pub function: String,
    pub operation: String,
}

/// Requests and the items they carried (transaction items, batch entries), per call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Every request sent, the SDK's retries included (what AWS bills).
    pub requests: u64,
    pub items: u64,
    /// Of those, the SDK's retries of a call (`amz-sdk-request: attempt=2` and later): a
    /// dropped connection or a 5xx under load, not a call the code made.
    pub retries: u64,
}

impl Tally {
    /// The calls the code made: requests less the SDK's retries.
    pub fn calls(&self) -> u64 {
        self.requests - self.retries
    }
}

/// Whether `request` is the SDK's retry of an earlier attempt.
fn is_retry(request: &HttpRequest) -> bool {
    let header = request.headers().get("amz-sdk-request").unwrap_or_default();
    header
        .split(';')
        .filter_map(|part| part.trim().strip_prefix("attempt="))
        .any(|n| n.parse::<u32>().is_ok_and(|n| n > 1))
}

#[derive(Debug, Default)]
pub struct Counter {
    calls: Mutex<BTreeMap<Call, Tally>>,
}

impl Counter {
    pub fn snapshot(&self) -> BTreeMap<Call, Tally> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn reset(&self) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.clear();
        }
    }

    fn record(&self, request: &HttpRequest) {
        let function = CURRENT_FUNCTION.try_with(Clone::clone).unwrap_or_else(|_| "-".to_owned());
        let (operation, items) = classify(request);
        if let Ok(mut calls) = self.calls.lock() {
            let tally = calls.entry(Call { function, operation }).or_default();
            tally.requests += 1;
            tally.items += items;
            tally.retries += u64::from(is_retry(request));
        }
    }
}

/// The service and operation of a request, and how many items it carried (1 for single-item
/// calls). JSON-protocol services name the operation in `X-Amz-Target`; SESv2 is REST; SNS
/// speaks the query protocol.
pub fn classify(request: &HttpRequest) -> (String, u64) {
    let body = request.body().bytes().unwrap_or_default();
    if let Some(target) = request.headers().get("x-amz-target") {
        let (prefix, operation) = target.split_once('.').unwrap_or((target, ""));
        let service = match prefix {
            p if p.starts_with("DynamoDBStreams") => "dynamodbstreams",
            p if p.starts_with("DynamoDB") => "dynamodb",
            "AmazonSQS" => "sqs",
            "AWSEvents" => "events",
            "AmazonSSM" => "ssm",
            other => other,
        };
        return (format!("{service}:{operation}"), items(operation, body));
    }
    if request.uri().contains("/v2/email/outbound-emails") {
        return ("sesv2:SendEmail".to_owned(), 1);
    }
    let text = String::from_utf8_lossy(body);
    match text.split('&').find_map(|pair| pair.strip_prefix("Action=")) {
        Some(action) => (format!("sns:{action}"), 1),
        None => ("other".to_owned(), 1),
    }
}

fn items(operation: &str, body: &[u8]) -> u64 {
    let json = || serde_json::from_slice::<serde_json::Value>(body).unwrap_or_default();
    let len = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_array()).map_or(1, |a| a.len() as u64);
    match operation {
        "TransactWriteItems" | "TransactGetItems" => len(json().get("TransactItems")),
        "PutEvents" => len(json().get("Entries")),
        "BatchGetItem" => json()
            .get("RequestItems")
            .and_then(|r| r.as_object())
            .map_or(1, |tables| tables.values().map(|t| len(t.get("Keys"))).sum()),
        _ => 1,
    }
}

#[derive(Debug, Clone)]
struct CountingClient {
    inner: SharedHttpClient,
    counter: Arc<Counter>,
}

#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
    counter: Arc<Counter>,
}

impl HttpClient for CountingClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let inner = self.inner.http_connector(settings, components);
        SharedHttpConnector::new(CountingConnector { inner, counter: self.counter.clone() })
    }
}

impl HttpConnector for CountingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.counter.record(&request);
        self.inner.call(request)
    }
}

/// `config` with every request counted into `counter`. The system only ever talks to moto
/// on 127.0.0.1, so the wrapped client is plain HTTP.
pub fn counting(config: &aws_types::SdkConfig, counter: Arc<Counter>) -> aws_types::SdkConfig {
    let inner = config.http_client().unwrap_or_else(bazaar_runtime::http_client);
    config.to_builder().http_client(CountingClient { inner, counter }).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(attempt: Option<&'static str>) -> HttpRequest {
        let mut request = HttpRequest::empty();
        if let Some(attempt) = attempt {
            request.headers_mut().insert("amz-sdk-request", attempt);
        }
        request
    }

    #[test]
    fn a_request_is_a_retry_from_its_second_attempt_on() {
        assert!(!is_retry(&request(None)));
        assert!(!is_retry(&request(Some("attempt=1; max=3"))));
        assert!(is_retry(&request(Some("attempt=2; max=3"))));
        let tally = Tally { requests: 6, items: 6, retries: 1 };
        assert_eq!(tally.calls(), 5);
    }
}

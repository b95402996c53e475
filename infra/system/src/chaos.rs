//! Injected AWS failures, for the chaos test: an HTTP client wrapped around the SDK's own
//! (as [`crate::counting`] is), so the real SDK sees each failure and its retries and our
//! error paths both run. Only the functions' requests fail ([`crate::counting::CURRENT_FUNCTION`]
//! set); the event-source pollers stand in for Lambda and the test's own look at state is
//! uncounted. Each request fails with probability `rate`, as one of:
//!
//! - **throttling**: `400 ThrottlingException` (SNS: its XML `Throttling`), before moto sees it;
//! - **a 500**: `InternalServerError`, before moto sees it;
//! - **a timeout after the fact**: the request reaches moto and is applied, and its answer
//!   is lost (what a timeout is in AWS: the caller cannot know whether its write happened).
//!   Not for SES's SendEmail and SNS's Publish: they take no idempotency token, so a send
//!   whose answer is lost was made and the SDK's retry makes it again, in AWS too; the
//!   notifications service sends at least once (a duplicate email rather than a lost one),
//!   and those two get a timeout before the fact instead.
//!
//! Separately, each entry of a publisher's `PutEvents` is reported failed with probability
//! `put_events_entry_rate` (`ErrorCode: InternalFailure`) although moto put it: the publisher
//! must retry just those entries, and their consumers see them twice.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use crate::counting::{CURRENT_FUNCTION, classify};

/// What was injected, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Injected {
    pub requests: u64,
    pub throttles: u64,
    pub server_errors: u64,
    pub lost_answers: u64,
    /// PutEvents entries reported failed.
    pub failed_entries: u64,
}

#[derive(Debug)]
pub struct Chaos {
    rate: f64,
    put_events_entry_rate: f64,
    seed: u64,
    /// Off until [`Chaos::enable`]: a test sets up its world first.
    enabled: AtomicBool,
    draws: AtomicU64,
    injected: Mutex<Injected>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Throttle,
    ServerError,
    LostAnswer,
}

impl Chaos {
    /// Fails `rate` of the functions' requests and `put_events_entry_rate` of their PutEvents
    /// entries, drawing from `seed`.
    pub fn new(rate: f64, put_events_entry_rate: f64, seed: u64) -> Arc<Chaos> {
        Arc::new(Chaos {
            rate,
            put_events_entry_rate,
            seed,
            enabled: AtomicBool::new(false),
            draws: AtomicU64::new(0),
            injected: Mutex::default(),
        })
    }

    /// From now on, requests fail.
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::SeqCst);
    }

    pub fn injected(&self) -> Injected {
        self.injected.lock().map(|i| *i).unwrap_or_default()
    }

    /// A uniform draw in [0, 1): splitmix64 of the seed and the draw's number.
    fn draw(&self) -> f64 {
        let mut z =
            self.seed.wrapping_add(self.draws.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn fault(&self) -> Option<Fault> {
        let x = self.draw();
        if x >= self.rate {
            return None;
        }
        // The failing draws split evenly into the three kinds.
        Some(match (x / self.rate * 3.0) as u32 {
            0 => Fault::Throttle,
            1 => Fault::ServerError,
            _ => Fault::LostAnswer,
        })
    }

    fn count(&self, f: impl FnOnce(&mut Injected)) {
        if let Ok(mut injected) = self.injected.lock() {
            f(&mut injected);
        }
    }
}

/// `config` whose requests made inside a function fail as `chaos` says.
pub fn faulty(config: &aws_types::SdkConfig, chaos: Arc<Chaos>) -> aws_types::SdkConfig {
    let inner = config.http_client().unwrap_or_else(bazaar_runtime::http_client);
    config.to_builder().http_client(ChaosClient { inner, chaos }).build()
}

#[derive(Debug, Clone)]
struct ChaosClient {
    inner: SharedHttpClient,
    chaos: Arc<Chaos>,
}

#[derive(Debug)]
struct ChaosConnector {
    inner: SharedHttpConnector,
    chaos: Arc<Chaos>,
}

impl HttpClient for ChaosClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let inner = self.inner.http_connector(settings, components);
        SharedHttpConnector::new(ChaosConnector { inner, chaos: self.chaos.clone() })
    }
}

/// An AWS error answer in the request's protocol: SNS speaks XML (the query protocol), the
/// others JSON (`__type`, and SESv2's `x-amzn-errortype`).
fn error_response(request: &HttpRequest, status: u16, code: &str) -> HttpResponse {
    let sns = classify(request).0.starts_with("sns:");
    let body = if sns {
        let kind = if status >= 500 { "Receiver" } else { "Sender" };
        format!(
            "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>injected by the chaos test</Message>\
             </Error><RequestId>chaos</RequestId></ErrorResponse>"
        )
    } else {
        format!(r#"{{"__type":"{code}","message":"injected by the chaos test"}}"#)
    };
    let mut response = HttpResponse::new(StatusCode::try_from(status).expect("a status"), SdkBody::from(body));
    let content_type = if sns { "text/xml" } else { "application/x-amz-json-1.0" };
    response.headers_mut().insert("content-type", content_type);
    response.headers_mut().insert("x-amzn-errortype", code.to_owned());
    response.headers_mut().insert("x-amzn-requestid", "chaos");
    response
}

/// Whether `request` sends a message out (an email or SMS), which no token makes idempotent.
fn is_send(request: &HttpRequest) -> bool {
    let operation = classify(request).0;
    operation == "sesv2:SendEmail" || operation == "sns:Publish"
}

/// `body` (a PutEvents answer) with each entry reported failed at `rate`; how many were.
fn fail_entries(chaos: &Chaos, body: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut failed = 0u64;
    for entry in answer.get_mut("Entries")?.as_array_mut()? {
        if entry.get("EventId").is_some() && chaos.draw() < chaos.put_events_entry_rate {
            *entry =
                serde_json::json!({ "ErrorCode": "InternalFailure", "ErrorMessage": "injected by the chaos test" });
            failed += 1;
        }
    }
    let before = answer.get("FailedEntryCount").and_then(serde_json::Value::as_u64).unwrap_or(0);
    answer["FailedEntryCount"] = serde_json::json!(before + failed);
    Some((serde_json::to_vec(&answer).ok()?, failed))
}

impl HttpConnector for ChaosConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if !self.chaos.enabled.load(Ordering::SeqCst) || CURRENT_FUNCTION.try_with(|_| ()).is_err() {
            return self.inner.call(request);
        }
        let chaos = self.chaos.clone();
        chaos.count(|i| i.requests += 1);
        let put_events = classify(&request).0 == "events:PutEvents";
        match chaos.fault() {
            Some(Fault::Throttle) => {
                chaos.count(|i| i.throttles += 1);
                let code = if classify(&request).0.starts_with("sns:") { "Throttling" } else { "ThrottlingException" };
                HttpConnectorFuture::ready(Ok(error_response(&request, 400, code)))
            }
            Some(Fault::ServerError) => {
                chaos.count(|i| i.server_errors += 1);
                let code =
                    if classify(&request).0.starts_with("sns:") { "InternalFailure" } else { "InternalServerError" };
                HttpConnectorFuture::ready(Ok(error_response(&request, 500, code)))
            }
            Some(Fault::LostAnswer) if is_send(&request) => {
                chaos.count(|i| i.lost_answers += 1);
                HttpConnectorFuture::ready(Err(ConnectorError::timeout(
                    "no answer (injected by the chaos test)".into(),
                )))
            }
            Some(Fault::LostAnswer) => {
                let sent = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    // Applied by moto (or refused: either way, the caller never hears).
                    let _ = sent.await;
                    chaos.count(|i| i.lost_answers += 1);
                    Err(ConnectorError::timeout("the answer was lost (injected by the chaos test)".into()))
                })
            }
            None if put_events && chaos.put_events_entry_rate > 0.0 => {
                let sent = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    let mut response = sent.await?;
                    if response.status().is_success() {
                        // moto's answer arrives as a stream: read it whole to rewrite it.
                        let body = std::mem::replace(response.body_mut(), SdkBody::empty());
                        let bytes = aws_smithy_types::byte_stream::ByteStream::new(body)
                            .collect()
                            .await
                            .map_err(|e| ConnectorError::io(e.into()))?
                            .into_bytes();
                        let (body, failed) = fail_entries(&chaos, &bytes).unwrap_or_else(|| (bytes.to_vec(), 0));
                        chaos.count(|i| i.failed_entries += failed);
                        let length = body.len().to_string();
                        *response.body_mut() = SdkBody::from(body);
                        response.headers_mut().insert("content-length", length);
                    }
                    Ok(response)
                })
            }
            None => self.inner.call(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_and_the_kinds_come_out_as_asked() {
        let chaos = Chaos::new(0.1, 0.0, 7);
        chaos.enable();
        let faults: Vec<Option<Fault>> = (0..30_000).map(|_| chaos.fault()).collect();
        let failed = faults.iter().filter(|f| f.is_some()).count();
        assert!((2_700..3_300).contains(&failed), "{failed} of 30000");
        for kind in [Fault::Throttle, Fault::ServerError, Fault::LostAnswer] {
            let n = faults.iter().filter(|f| **f == Some(kind)).count();
            assert!((800..1_200).contains(&n), "{kind:?}: {n}");
        }
        // The same seed, the same draws.
        let (a, b) = (Chaos::new(0.5, 0.0, 1), Chaos::new(0.5, 0.0, 1));
        assert!((0..100).all(|_| a.fault() == b.fault()));
    }

    #[test]
    fn put_events_entries_are_reported_failed_and_counted() {
        let chaos = Chaos::new(0.0, 1.0, 1);
        let answer = br#"{"FailedEntryCount":0,"Entries":[{"EventId":"a"},{"EventId":"b"}]}"#;
        let (body, failed) = fail_entries(&chaos, answer).expect("rewritten");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(failed, 2);
        assert_eq!(body["FailedEntryCount"], 2);
        assert_eq!(body["Entries"][1]["ErrorCode"], "InternalFailure");
        let none = Chaos::new(0.0, 0.0, 1);
        assert_eq!(fail_entries(&none, answer).map(|(_, n)| n), Some(0));
    }
}

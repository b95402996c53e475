//! SQS consumers: process a batch concurrently and report only the failed messages, so
//! Lambda returns just those to the queue (each after its backoff delay,
//! [`crate::redelivery`], and after maxReceiveCount receives to its DLQ).

use aws_lambda_events::sqs::SqsMessage;
use bazaar_events::{Envelope, Event};
use serde::Deserialize;

#[cfg(feature = "sqs")]
mod batch;
#[cfg(feature = "sqs")]
pub use crate::redelivery::{Backoff, Retries};
#[cfg(feature = "sqs")]
pub use batch::process;

/// The largest body a consumer reads. EventBridge refuses an entry over 256 KiB, and its
/// delivery to SQS adds a few hundred bytes of its own fields (`id`, `time`, `account`, …):
/// 1 KiB of slack covers them. Anything larger was not delivered by a rule; it is refused
/// before it is parsed, so a hostile sender cannot make a consumer build a huge document.
pub const MAX_BODY_BYTES: usize = 256 * 1024 + 1024;

/// The EventBridge envelope as delivered to an SQS target (moto omits `account`, so it is
/// not read).
#[derive(Debug, Clone, Deserialize)]
pub struct Delivered {
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub detail: serde_json::Value,
}

impl Delivered {
    /// Parses a message body; an error means the message is poison: not JSON, not an
    /// EventBridge delivery, or larger than [`MAX_BODY_BYTES`] (refused unread).
    pub fn parse(body: &str) -> anyhow::Result<Delivered> {
        anyhow::ensure!(
            body.len() <= MAX_BODY_BYTES,
            "a body of {} bytes is larger than any EventBridge delivery ({MAX_BODY_BYTES})",
            body.len()
        );
        Ok(serde_json::from_str(body)?)
    }

    /// Whether this is a `T` (same source and detail-type).
    pub fn is<T: Event>(&self) -> bool {
        self.source == T::SOURCE && self.detail_type == T::DETAIL_TYPE
    }

    /// The typed event; an error means the message is poison for this consumer: another
    /// type, a `metadata.version` other than `T`'s, or a detail that is not a `T`.
    ///
    /// Only `T::VERSION` is read, older or newer: a version is bumped on a breaking change,
    /// so another version's `data` may decode as a `T` and mean something else. Failing
    /// keeps the event (it ends in the DLQ) until a consumer that reads its version can be
    /// given it again.
    pub fn decode<T: Event>(self) -> anyhow::Result<Envelope<T>> {
        anyhow::ensure!(
            self.is::<T>(),
            "expected {} from {}, got {} from {}",
            T::DETAIL_TYPE,
            T::SOURCE,
            self.detail_type,
            self.source
        );
        let version = self.version();
        anyhow::ensure!(
            version == Some(u64::from(T::VERSION)),
            "{} version {} is not the version {} this consumer reads",
            T::DETAIL_TYPE,
            version.map_or_else(|| "(none)".to_owned(), |v| v.to_string()),
            T::VERSION
        );
        Ok(serde_json::from_value(self.detail)?)
    }

    /// What a consumer answers for a message of a type it does not read, when it may
    /// acknowledge such events: `Ok` for an event of the contract at the contract's
    /// version (a well-formed fact that other consumers read), an error (poison) for
    /// anything else — a source and detail-type the contract does not pair, or another
    /// version. Most consumers read every type their rule routes and fail any other.
    pub fn unread(&self) -> anyhow::Result<()> {
        let Some(expected) = bazaar_events::version_of(&self.source, &self.detail_type) else {
            anyhow::bail!("{} from {} is not an event of the contract", self.detail_type, self.source);
        };
        anyhow::ensure!(
            self.version() == Some(u64::from(expected)),
            "{} from {} is not at the contract's version {expected}",
            self.detail_type,
            self.source
        );
        Ok(())
    }

    fn version(&self) -> Option<u64> {
        self.detail.pointer("/metadata/version").and_then(serde_json::Value::as_u64)
    }

    pub fn correlation_id(&self) -> Option<&str> {
        self.detail.pointer("/metadata/correlation_id").and_then(serde_json::Value::as_str)
    }

    pub fn event_id(&self) -> Option<&str> {
        self.detail.pointer("/metadata/event_id").and_then(serde_json::Value::as_str)
    }
}

/// Decodes a message body delivered by an EventBridge rule into a typed event; an error
/// means the message is poison for this consumer.
pub fn decode<T: Event>(body: &str) -> anyhow::Result<Envelope<T>> {
    Delivered::parse(body)?.decode()
}

/// The body of an SQS message, or an error (poison) when it has none.
pub fn body(message: &SqsMessage) -> anyhow::Result<&str> {
    message.body.as_deref().ok_or_else(|| anyhow::anyhow!("message without a body"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_events::auth::UserRegistered;

    #[test]
    fn decode_checks_the_detail_type_and_the_envelope() {
        let envelope = Envelope::new(
            UserRegistered { user_id: "u".into(), email: "e@x.io".into(), roles: vec![], verification: None },
            "c",
        );
        let body = serde_json::json!({
            "id": "1", "detail-type": "UserRegistered", "source": "bazaar.auth",
            "time": "2026-01-01T00:00:00Z", "detail": envelope,
        })
        .to_string();
        assert_eq!(decode::<UserRegistered>(&body).expect("decodes"), envelope);
        let wrong = body.replace("UserRegistered", "OrderPlaced");
        assert!(decode::<UserRegistered>(&wrong).is_err());
        assert!(decode::<UserRegistered>("{not json").is_err());
        let delivered = Delivered::parse(&body).expect("parses");
        assert!(delivered.unread().is_ok(), "an event of the contract");
        assert!(delivered.is::<UserRegistered>());
        assert_eq!(delivered.correlation_id(), Some("c"));
        assert_eq!(delivered.event_id(), Some(envelope.metadata.event_id.to_string().as_str()));
    }

    fn user_registered() -> serde_json::Value {
        let envelope = Envelope::new(
            UserRegistered { user_id: "u".into(), email: "e@x.io".into(), roles: vec![], verification: None },
            "c",
        );
        serde_json::json!({ "detail-type": "UserRegistered", "source": "bazaar.auth", "detail": envelope })
    }

    #[test]
    fn only_the_contracts_version_decodes() {
        for version in [serde_json::json!(0), serde_json::json!(2), serde_json::json!(999), serde_json::json!("1")] {
            let mut body = user_registered();
            body["detail"]["metadata"]["version"] = version.clone();
            let delivered = Delivered::parse(&body.to_string()).expect("parses");
            assert!(delivered.unread().is_err(), "{version}");
            let e = delivered.decode::<UserRegistered>().expect_err("another version");
            assert!(e.to_string().contains("is not the version 1"), "{version}: {e}");
        }
        let mut body = user_registered();
        body["detail"]["metadata"].as_object_mut().expect("metadata").remove("version");
        assert!(decode::<UserRegistered>(&body.to_string()).is_err(), "no version");
        assert!(decode::<UserRegistered>(&user_registered().to_string()).is_ok());
    }

    #[test]
    fn a_type_the_contract_does_not_have_is_never_acknowledged_unread() {
        for (source, detail_type) in [("bazaar.auth", "NoSuchEvent"), ("bazaar.orders", "UserRegistered")] {
            let mut body = user_registered();
            body["source"] = source.into();
            body["detail-type"] = detail_type.into();
            let delivered = Delivered::parse(&body.to_string()).expect("parses");
            assert!(delivered.unread().is_err(), "{detail_type} from {source}");
        }
    }

    #[test]
    fn a_body_larger_than_any_delivery_is_refused_unread() {
        let mut body = user_registered();
        body["padding"] = "x".repeat(MAX_BODY_BYTES).into();
        let body = body.to_string();
        let e = Delivered::parse(&body).expect_err("too large");
        assert!(e.to_string().contains("larger than any EventBridge delivery"), "{e}");
        let mut fits = user_registered();
        let room = MAX_BODY_BYTES - fits.to_string().len() - r#","padding":"""#.len();
        fits["padding"] = "x".repeat(room).into();
        assert_eq!(fits.to_string().len(), MAX_BODY_BYTES);
        assert!(decode::<UserRegistered>(&fits.to_string()).is_ok(), "the largest body still decodes");
    }
}

//! The event contract of Bazaar: the envelope every event travels in and the typed `data`
//! of each event, per service. Producers and consumers both use these types, so they
//! cannot drift; `schemas/` holds the JSON Schemas generated from them (kept current by a test).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

/// `impl Event` for a service's events: `events!("bazaar.<service>": Name = version, …)`.
/// An event's detail-type is its type's name.
macro_rules! events {
    ($source:literal: $($event:ident = $version:literal),+ $(,)?) => {
        $(impl $crate::Event for $event {
            const SOURCE: &'static str = $source;
            const DETAIL_TYPE: &'static str = stringify!($event);
            const VERSION: u32 = $version;
        })+
    };
}

/// Calls `$m!` with every event type of the contract, in a stable order: the one list that
/// [`schema::all`] and [`version_of`] are read from.
macro_rules! contract {
    ($m:ident) => {
        $m!(
            $crate::auth::UserRegistered,
            $crate::auth::PasswordResetRequested,
            $crate::auth::EmailVerificationRequested,
            $crate::auth::EmailVerified,
            $crate::catalog::ProductChanged,
            $crate::catalog::StockReserved,
            $crate::catalog::StockRejected,
            $crate::catalog::StockReleased,
            $crate::orders::OrderPlaced,
            $crate::orders::OrderPaid,
            $crate::orders::OrderCancelled,
            $crate::payments::PaymentSucceeded,
            $crate::payments::PaymentFailed,
            $crate::payments::PaymentRefunded,
            $crate::payments::CancellationSettled,
            $crate::permissions::RoleChanged,
            $crate::permissions::UserRolesChanged,
            $crate::reservations::ReservationRequested,
            $crate::reservations::ReservationConfirmed,
            $crate::reservations::ReservationCancelled,
            $crate::reservations::ReservationCheckedIn,
            $crate::reservations::ReservationReminderDue,
        )
    };
}

pub mod auth;
pub mod catalog;
mod money;
pub mod orders;
pub mod payments;
pub mod permissions;
pub mod reservations;
pub mod schema;
pub mod wire;

pub use money::Money;

/// A fact that happened in one service, published on the bus.
pub trait Event: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {
    /// `bazaar.<service>`: the EventBridge `source`.
    const SOURCE: &'static str;
    /// Past-tense name: the EventBridge `detail-type`.
    const DETAIL_TYPE: &'static str;
    /// Schema version of `data`; bumped on any breaking change.
    const VERSION: u32;
}

/// The version the contract gives the event `detail_type` of `source`; `None` when the
/// contract has no such event.
pub fn version_of(source: &str, detail_type: &str) -> Option<u32> {
    macro_rules! versions {
        ($($event:ty),+ $(,)?) => {
            [$((<$event as Event>::SOURCE, <$event as Event>::DETAIL_TYPE, <$event as Event>::VERSION)),+]
        };
    }
    contract!(versions).into_iter().find(|(s, d, _)| *s == source && *d == detail_type).map(|(_, _, version)| version)
}

/// Who, when and why: the part of every event that is not the business payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Metadata {
    /// Unique per event; consumers are idempotent on it.
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The id of the request that started the flow, carried through every hop.
    pub correlation_id: String,
    pub version: u32,
}

/// The EventBridge `detail` of every Bazaar event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(bound = "T: Serialize + DeserializeOwned")]
pub struct Envelope<T> {
    pub metadata: Metadata,
    pub data: T,
}

impl<T: Event> Envelope<T> {
    /// Wraps `data` with a fresh event id, the current time and the flow's correlation id.
    pub fn new(data: T, correlation_id: impl Into<String>) -> Self {
        Self::at(data, correlation_id, Utc::now())
    }

    /// As [`Envelope::new`], at a given time (tests, replays).
    pub fn at(data: T, correlation_id: impl Into<String>, occurred_at: DateTime<Utc>) -> Self {
        Envelope {
            metadata: Metadata {
                event_id: Uuid::new_v4(),
                occurred_at,
                correlation_id: correlation_id.into(),
                version: T::VERSION,
            },
            data,
        }
    }

    pub fn source(&self) -> &'static str {
        T::SOURCE
    }

    pub fn detail_type(&self) -> &'static str {
        T::DETAIL_TYPE
    }
}

/// An event ready for the bus, type erased: what the outbox stores and the publisher sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawEvent {
    pub event_id: Uuid,
    pub source: String,
    pub detail_type: String,
    /// The serialized [`Envelope`].
    pub detail: String,
}

impl<T: Event> TryFrom<&Envelope<T>> for RawEvent {
    type Error = serde_json::Error;

    fn try_from(envelope: &Envelope<T>) -> Result<Self, Self::Error> {
        Ok(RawEvent {
            event_id: envelope.metadata.event_id,
            source: T::SOURCE.to_owned(),
            detail_type: T::DETAIL_TYPE.to_owned(),
            detail: serde_json::to_string(envelope)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UserRegistered;

    #[test]
    fn envelope_serializes_metadata_and_data_as_the_contract_says() {
        let event = Envelope::new(
            UserRegistered {
                user_id: "u1".into(),
                email: "a@b.co".into(),
                roles: vec!["customer".into()],
                verification: None,
            },
            "corr-1",
        );
        let json = serde_json::to_value(&event).expect("serializes");
        assert_eq!(json["metadata"]["correlation_id"], "corr-1");
        assert_eq!(json["metadata"]["version"], 1);
        assert_eq!(json["data"]["email"], "a@b.co");
        let raw = RawEvent::try_from(&event).expect("raw");
        assert_eq!(raw.source, "bazaar.auth");
        assert_eq!(raw.detail_type, "UserRegistered");
        let back: Envelope<UserRegistered> = serde_json::from_str(&raw.detail).expect("parses");
        assert_eq!(back, event);
    }

    #[test]
    fn the_contract_names_each_event_with_its_version() {
        assert_eq!(version_of("bazaar.auth", "UserRegistered"), Some(1));
        assert_eq!(version_of("bazaar.payments", "PaymentSucceeded"), Some(2));
        assert_eq!(version_of("bazaar.orders", "UserRegistered"), None, "another service's name");
        assert_eq!(version_of("bazaar.orders", "OrderShipped"), None);
        for (file, _) in schema::all() {
            let [service, detail_type, version] = file.trim_end_matches(".json").split('.').collect::<Vec<_>>()[..]
            else {
                panic!("{file}")
            };
            let version = version.trim_start_matches('v').parse().ok();
            assert_eq!(version_of(&format!("bazaar.{service}"), detail_type), version, "{file}");
        }
    }
}

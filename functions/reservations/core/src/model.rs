//! What the reservations service stores about a reservation, how the API shows it, and how
//! its events describe it.

use bazaar_events::Money;
use bazaar_events::reservations::Booking;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationStatus {
    Pending,
    Confirmed,
    CheckedIn,
    Cancelled,
}

impl ReservationStatus {
    /// The stored (and wire) spelling, for condition expressions.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Pending => "PENDING",
            ReservationStatus::Confirmed => "CONFIRMED",
            ReservationStatus::CheckedIn => "CHECKED_IN",
            ReservationStatus::Cancelled => "CANCELLED",
        }
    }
}

/// A reservation as stored (`RESERVATION#<id>` / `RESERVATION`). What it says about its
/// resource (name, owner, zone, price) is a snapshot taken at booking: later edits of the
/// resource do not change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: String,
    pub status: ReservationStatus,
    pub resource_id: String,
    pub resource_name: String,
    pub owner_id: String,
    pub customer_id: String,
    pub customer_email: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub time_zone: String,
    /// `YYYY-MM-DD`, the day of `start` in `time_zone`.
    pub local_date: String,
    /// The slot lock keys (`SLOT#<resource_id>` / these) the reservation holds.
    pub slot_starts: Vec<String>,
    pub amount: Money,
    pub payment_id: String,
    /// No payment is accepted after this; unpaid, the reservation then expires. Stored as
    /// text on purpose: the table's TTL attribute (`expires_at`, a number) must never
    /// delete a reservation.
    pub hold_expires_at: DateTime<Utc>,
    pub created_at: String,
    pub updated_at: String,
    /// Grows with every change; every write is conditional on the version read.
    pub version: u64,
    /// The correlation id of the booking request (carried by the events the expiry and the
    /// reminder emit later).
    pub correlation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(default)]
    pub reminded: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_by: Option<String>,
}

impl Reservation {
    pub fn slots(&self) -> u32 {
        u32::try_from(self.slot_starts.len()).unwrap_or(u32::MAX)
    }

    /// What every event says about this reservation.
    pub fn booking(&self) -> Booking {
        // Times on the resource's clock (none if its zone were not a known one: zones are
        // checked when a resource is saved).
        let zone = crate::hours::parse_zone(&self.time_zone);
        let local = |t: DateTime<Utc>| zone.map(|tz| t.with_timezone(&tz).fixed_offset());
        Booking {
            reservation_id: self.id.clone(),
            resource_id: self.resource_id.clone(),
            resource_name: self.resource_name.clone(),
            owner_id: self.owner_id.clone(),
            customer_id: self.customer_id.clone(),
            customer_email: self.customer_email.clone(),
            start: self.start,
            end: self.end,
            time_zone: self.time_zone.clone(),
            local_date: self.local_date.clone(),
            local_start: local(self.start),
            local_end: local(self.end),
            slots: self.slots(),
            amount: self.amount.clone(),
        }
    }
}

/// The reservation as the API shows it (the email stays internal: it is for notifications).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(
    rename = "Reservation",
    description = "A reservation. What it says about its resource (name, owner, zone, price) was taken at booking."
)]
pub struct ReservationView {
    pub id: String,
    pub status: ReservationStatus,
    pub resource_id: String,
    pub resource_name: String,
    /// The resource's owner.
    pub owner_id: String,
    pub customer_id: String,
    /// The first slot's start.
    pub start: DateTime<Utc>,
    /// The last slot's end.
    pub end: DateTime<Utc>,
    /// The resource's IANA time zone.
    pub time_zone: String,
    /// `YYYY-MM-DD`, the day of `start` in `time_zone`.
    pub local_date: String,
    /// How many slots it holds.
    pub slots: u32,
    pub amount: Money,
    /// The payment that settles it.
    pub payment_id: String,
    /// No payment is accepted after this; unpaid, the reservation then expires.
    pub expires_at: DateTime<Utc>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<DateTime<Utc>>,
}

impl From<&Reservation> for ReservationView {
    fn from(r: &Reservation) -> ReservationView {
        ReservationView {
            id: r.id.clone(),
            status: r.status,
            resource_id: r.resource_id.clone(),
            resource_name: r.resource_name.clone(),
            owner_id: r.owner_id.clone(),
            customer_id: r.customer_id.clone(),
            start: r.start,
            end: r.end,
            time_zone: r.time_zone.clone(),
            local_date: r.local_date.clone(),
            slots: r.slots(),
            amount: r.amount.clone(),
            payment_id: r.payment_id.clone(),
            expires_at: r.hold_expires_at,
            created_at: r.created_at.clone(),
            updated_at: r.updated_at.clone(),
            status_reason: r.status_reason.clone(),
            checked_in_at: r.checked_in_at,
        }
    }
}

/// The stored answer to an `Idempotency-Key` (`IDEMPOTENCY#<sub>#<key>` / `IDEMPOTENCY`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// sha256 (hex) of the canonical request body.
    pub body_hash: String,
    pub reservation_id: String,
    /// Epoch seconds (the table's TTL).
    pub expires_at: i64,
}

/// A timestamp as stored: RFC 3339, UTC, fixed millisecond width (sorts like the time).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An instant as a key: RFC 3339, UTC, whole seconds (`2026-11-22T09:00:00Z`). Slot lock
/// keys and index sort keys use it, so that text order is time order.
pub fn key_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_times_sort_like_the_instants() {
        let a = DateTime::parse_from_rfc3339("2026-11-22T09:00:00+01:00").expect("a").with_timezone(&Utc);
        let b = a + chrono::Duration::minutes(30);
        assert_eq!(key_time(a), "2026-11-22T08:00:00Z");
        assert!(key_time(a) < key_time(b));
        assert_eq!(timestamp(a), "2026-11-22T08:00:00.000Z");
    }

    fn reservation(zone: &str, start: &str, end: &str) -> Reservation {
        let at = |t: &str| t.parse::<DateTime<Utc>>().expect("an instant");
        Reservation {
            id: "r1".into(),
            status: ReservationStatus::Confirmed,
            resource_id: "res".into(),
            resource_name: "Studio A".into(),
            owner_id: "own".into(),
            customer_id: "u3".into(),
            customer_email: "e@f.co".into(),
            start: at(start),
            end: at(end),
            time_zone: zone.into(),
            local_date: start[..10].into(),
            slot_starts: vec!["a".into()],
            amount: Money::new(5000, "EUR".to_string()),
            payment_id: "p".into(),
            hold_expires_at: at(start),
            created_at: start.into(),
            updated_at: start.into(),
            version: 1,
            correlation_id: "c".into(),
            status_reason: None,
            reminded: false,
            checked_in_at: None,
            checked_in_by: None,
        }
    }

    #[test]
    fn events_carry_the_local_times_with_the_offset_of_each_instant() {
        // The night Berlin leaves summer time: 00:30 UTC is 02:30 CEST, 01:30 UTC is 02:30 CET.
        let b = reservation("Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z").booking();
        let (start, end) = (b.local_start.expect("local start"), b.local_end.expect("local end"));
        assert_eq!(start.to_rfc3339(), "2026-10-25T02:30:00+02:00");
        assert_eq!(end.to_rfc3339(), "2026-10-25T02:30:00+01:00");
        assert_eq!((start.with_timezone(&Utc), end.with_timezone(&Utc)), (b.start, b.end));
        let wire = serde_json::to_value(&b).expect("serialises");
        assert_eq!(wire["local_start"], "2026-10-25T02:30:00+02:00");

        let utc = reservation("Etc/UTC", "2026-07-01T08:00:00Z", "2026-07-01T10:00:00Z").booking();
        assert_eq!(utc.local_end.expect("local end").to_rfc3339(), "2026-07-01T10:00:00+00:00");
        let unknown = reservation("Mars/Olympus", "2026-07-01T08:00:00Z", "2026-07-01T10:00:00Z").booking();
        assert_eq!((unknown.local_start, unknown.local_end), (None, None));
    }
}

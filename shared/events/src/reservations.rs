//! Events emitted by the reservations service (`source = bazaar.reservations`).

use chrono::{DateTime, FixedOffset, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Money;

events!("bazaar.reservations": ReservationRequested = 1, ReservationConfirmed = 1, ReservationCancelled = 1, ReservationCheckedIn = 1, ReservationReminderDue = 1);

/// What every reservation event says about the reservation: enough for payments,
/// notifications and reports to act without reading the reservations service's tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Booking {
    pub reservation_id: String,
    pub resource_id: String,
    pub resource_name: String,
    /// The user who owns the resource.
    pub owner_id: String,
    pub customer_id: String,
    /// Where notifications about this reservation go.
    pub customer_email: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The resource's IANA time zone: local times and "the day" are read in it.
    pub time_zone: String,
    /// The reservation's day in the resource's time zone (`YYYY-MM-DD`).
    pub local_date: String,
    /// `start` on the resource's clock, with the zone's UTC offset then (RFC 3339,
    /// `2026-07-01T10:00:00+02:00`): consumers show local times without a zone database.
    /// Absent from events published before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_start: Option<DateTime<FixedOffset>>,
    /// `end` on the resource's clock, with the zone's UTC offset then (the offset may differ
    /// from `local_start`'s across a daylight-saving change). Absent from events published
    /// before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_end: Option<DateTime<FixedOffset>>,
    /// Number of slots booked.
    pub slots: u32,
    /// Price of the whole reservation.
    pub amount: Money,
}

/// A customer booked slots: they are locked, and the reservation is `PENDING` until paid
/// (or it expires at `expires_at`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReservationRequested {
    pub reservation: Booking,
    /// No payment is accepted after this; the reservation then expires.
    pub expires_at: DateTime<Utc>,
}

/// The reservation was paid: it is `CONFIRMED`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReservationConfirmed {
    pub reservation: Booking,
    pub payment_id: String,
}

/// Why a reservation ended without taking place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationCancelReason {
    /// The customer cancelled before the start.
    CustomerRequest,
    /// The resource's owner (or an admin) cancelled it.
    OwnerRequest,
    /// The payment failed.
    PaymentFailed,
    /// It was never paid and its hold ran out.
    Expired,
}

/// The reservation is `CANCELLED` and its slots are free again (released exactly once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReservationCancelled {
    pub reservation: Booking,
    pub reason: ReservationCancelReason,
    /// It had been `CONFIRMED` (paid) before.
    pub was_confirmed: bool,
    /// The payment must be refunded (a paid reservation cancelled by its owner, or by
    /// the customer early enough). A pending payment is cancelled regardless.
    pub refund: bool,
}

/// The front desk checked the customer in: `CHECKED_IN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReservationCheckedIn {
    pub reservation: Booking,
    pub checked_in_at: DateTime<Utc>,
    /// Who checked the customer in.
    pub checked_in_by: String,
}

/// A confirmed reservation takes place tomorrow (in the resource's time zone): remind the
/// customer. Emitted once per reservation by the scheduled reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReservationReminderDue {
    pub reservation: Booking,
}

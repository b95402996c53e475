//! The events the reports read, decoded and checked once: currencies are ISO 4217 codes
//! and a booking's local date is a real day, so [`crate::apply`] cannot fail.

use bazaar_aws::consumer::Delivered;
use bazaar_events::orders::OrderPaid;
use bazaar_events::payments::{PaymentRefunded, PaymentSucceeded};
use bazaar_events::reservations::{Booking, ReservationCancelled, ReservationCheckedIn, ReservationConfirmed};
use bazaar_events::{Envelope, Event, Money};
use chrono::{DateTime, Utc};

use crate::Day;

/// One event the reports count.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportEvent {
    pub event_id: String,
    pub detail_type: &'static str,
    pub occurred_at: DateTime<Utc>,
    /// The UTC date of `occurred_at`: the day its sales and revenue count for, and the day
    /// its inbox markers are filed under (so a rebuild finds the events of a period).
    pub day: Day,
    pub fact: Fact,
}

/// The business payload of a [`ReportEvent`].
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    OrderPaid(OrderPaid),
    PaymentSucceeded(PaymentSucceeded),
    PaymentRefunded(PaymentRefunded),
    /// `booking_day` is the reservation's local date, the day bookings count for.
    ReservationConfirmed {
        booking_day: Day,
        event: ReservationConfirmed,
    },
    ReservationCancelled {
        booking_day: Day,
        event: ReservationCancelled,
    },
    ReservationCheckedIn {
        booking_day: Day,
        event: ReservationCheckedIn,
    },
}

/// An event no retry can make countable (it ends in the DLQ).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEvent {
    #[error("currency {0:?} is not an ISO 4217 code")]
    Currency(String),
    #[error("local_date {0:?} is not a YYYY-MM-DD date")]
    LocalDate(String),
}

/// An event type the reports read.
pub trait Reported: Event {
    fn into_fact(self) -> Result<Fact, InvalidEvent>;
}

fn money(m: &Money) -> Result<(), InvalidEvent> {
    let ok = bazaar_events::wire::is_currency_code(&m.currency);
    if ok { Ok(()) } else { Err(InvalidEvent::Currency(m.currency.clone())) }
}

fn booking_day(b: &Booking) -> Result<Day, InvalidEvent> {
    money(&b.amount)?;
    Day::parse(&b.local_date).map_err(|_| InvalidEvent::LocalDate(b.local_date.clone()))
}

impl Reported for OrderPaid {
    fn into_fact(self) -> Result<Fact, InvalidEvent> {
        self.lines.iter().try_for_each(|l| money(&l.line_total))?;
        Ok(Fact::OrderPaid(self))
    }
}

impl Reported for PaymentSucceeded {
    fn into_fact(self) -> Result<Fact, InvalidEvent> {
        money(&self.amount)?;
        Ok(Fact::PaymentSucceeded(self))
    }
}

impl Reported for PaymentRefunded {
    fn into_fact(self) -> Result<Fact, InvalidEvent> {
        money(&self.amount)?;
        Ok(Fact::PaymentRefunded(self))
    }
}

impl Reported for ReservationConfirmed {
    fn into_fact(self) -> Result<Fact, InvalidEvent> {
        Ok(Fact::ReservationConfirmed { booking_day: booking_day(&self.reservation)?, event: self })
    }
}

impl Reported for ReservationCancelled {
    fn into_fact(self) -> Result<Fact, InvalidEvent> {
        Ok(Fact::ReservationCancelled { booking_day: booking_day(&self.reservation)?, event: self })
    }
}

impl Reported for ReservationCheckedIn {
    fn into_fact(self) -> Result<Fact, InvalidEvent> {
        Ok(Fact::ReservationCheckedIn { booking_day: booking_day(&self.reservation)?, event: self })
    }
}

impl ReportEvent {
    pub fn from_envelope<T: Reported>(envelope: Envelope<T>) -> Result<ReportEvent, InvalidEvent> {
        let occurred_at = envelope.metadata.occurred_at;
        Ok(ReportEvent {
            event_id: envelope.metadata.event_id.to_string(),
            detail_type: T::DETAIL_TYPE,
            occurred_at,
            day: Day::of(occurred_at),
            fact: envelope.data.into_fact()?,
        })
    }

    /// The event an EventBridge rule delivered; `Ok(None)` for a type the reports do not
    /// read (acknowledged and ignored); an error for a body that is not a valid event of a
    /// type they read (poison).
    pub fn decode(delivered: Delivered) -> anyhow::Result<Option<ReportEvent>> {
        fn typed<T: Reported>(d: Delivered) -> anyhow::Result<Option<ReportEvent>> {
            Ok(Some(ReportEvent::from_envelope(d.decode::<T>()?)?))
        }
        if delivered.is::<OrderPaid>() {
            typed::<OrderPaid>(delivered)
        } else if delivered.is::<PaymentSucceeded>() {
            typed::<PaymentSucceeded>(delivered)
        } else if delivered.is::<PaymentRefunded>() {
            typed::<PaymentRefunded>(delivered)
        } else if delivered.is::<ReservationConfirmed>() {
            typed::<ReservationConfirmed>(delivered)
        } else if delivered.is::<ReservationCancelled>() {
            typed::<ReservationCancelled>(delivered)
        } else if delivered.is::<ReservationCheckedIn>() {
            typed::<ReservationCheckedIn>(delivered)
        } else {
            Ok(None)
        }
    }
}

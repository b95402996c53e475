//! A realistic month of raw events: orders of several owners' products in two currencies
//! over several days (one paid across midnight), their payments, reservations of three
//! owners' resources confirmed, cancelled with and without refund, expired unpaid and
//! checked in, the refunds, and an event the reports do not read.

use bazaar_events::orders::{OrderLine, OrderPaid, OrderPlaced};
use bazaar_events::payments::{PaymentRefunded, PaymentSucceeded, Subject};
use bazaar_events::reservations::{
    Booking, ReservationCancelReason, ReservationCancelled, ReservationCheckedIn, ReservationConfirmed,
};
use bazaar_events::{Envelope, Event, Money};
use chrono::{DateTime, Duration, Utc};

pub const OWNERS: [&str; 3] = ["owner-1", "owner-2", "owner-3"];
/// The days orders and reservations happen on.
pub const DAYS: [&str; 4] = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"];
/// The days reservations are for.
pub const BOOKED: [&str; 3] = ["2026-03-10", "2026-03-11", "2026-03-12"];

/// One event as its producer emitted it.
#[derive(Debug, Clone)]
pub enum Raw {
    OrderPaid(Envelope<OrderPaid>),
    PaymentSucceeded(Envelope<PaymentSucceeded>),
    PaymentRefunded(Envelope<PaymentRefunded>),
    Confirmed(Envelope<ReservationConfirmed>),
    Cancelled(Envelope<ReservationCancelled>),
    CheckedIn(Envelope<ReservationCheckedIn>),
    /// An event the reports do not read.
    OrderPlaced(Envelope<OrderPlaced>),
}

macro_rules! each {
    ($self:ident, $e:ident => $body:expr) => {
        match $self {
            Raw::OrderPaid($e) => $body,
            Raw::PaymentSucceeded($e) => $body,
            Raw::PaymentRefunded($e) => $body,
            Raw::Confirmed($e) => $body,
            Raw::Cancelled($e) => $body,
            Raw::CheckedIn($e) => $body,
            Raw::OrderPlaced($e) => $body,
        }
    };
}

fn meta<T: Event>(_: &Envelope<T>) -> (&'static str, &'static str) {
    (T::SOURCE, T::DETAIL_TYPE)
}

impl Raw {
    /// The body an EventBridge rule delivers to the reports queue.
    pub fn body(&self) -> String {
        each!(self, e => bazaar_testkit::events::delivered(e))
    }

    /// The `detail` the publisher puts on the bus.
    pub fn detail(&self) -> String {
        each!(self, e => serde_json::to_string(e).expect("detail"))
    }

    pub fn source(&self) -> &'static str {
        each!(self, e => meta(e).0)
    }

    pub fn detail_type(&self) -> &'static str {
        each!(self, e => meta(e).1)
    }

    pub fn occurred_at(&self) -> DateTime<Utc> {
        each!(self, e => e.metadata.occurred_at)
    }

    pub fn event_id(&self) -> String {
        each!(self, e => e.metadata.event_id.to_string())
    }

    /// The UTC day it occurred on.
    pub fn day(&self) -> String {
        self.occurred_at().format("%Y-%m-%d").to_string()
    }
}

pub fn at(day: &str, time: &str) -> DateTime<Utc> {
    format!("{day}T{time}Z").parse().expect("time")
}

struct Product {
    id: &'static str,
    owner: usize,
    name: &'static str,
    price: i64,
}

const EUR: [Product; 4] = [
    Product { id: "p-lamp", owner: 0, name: "Lamp", price: 2500 },
    Product { id: "p-rug", owner: 0, name: "Rug", price: 9900 },
    Product { id: "p-vase", owner: 1, name: "Vase", price: 1500 },
    Product { id: "p-chair", owner: 2, name: "Chair", price: 4200 },
];
const USD: [Product; 2] = [
    Product { id: "p-mug", owner: 1, name: "Mug", price: 800 },
    Product { id: "p-poster", owner: 2, name: "Poster", price: 1200 },
];

fn line(p: &Product, quantity: u32, currency: &str) -> OrderLine {
    OrderLine {
        product_id: p.id.into(),
        owner_id: OWNERS[p.owner].into(),
        name: p.name.into(),
        quantity,
        unit_price: Money::new(p.price, currency),
        line_total: Money::new(p.price * i64::from(quantity), currency),
    }
}

fn orders(events: &mut Vec<Raw>) {
    for i in 0..14usize {
        let order_id = format!("order-{i}");
        let (currency, mut lines) = if i % 3 == 2 {
            let mut lines = vec![line(&USD[0], u32::try_from(i % 2).expect("small") + 1, "USD")];
            if i % 4 == 2 {
                lines.push(line(&USD[1], 1, "USD"));
            }
            ("USD", lines)
        } else {
            let q = u32::try_from(i % 3).expect("small") + 1;
            ("EUR", vec![line(&EUR[i % 4], q, "EUR"), line(&EUR[(i + 1) % 4], 1, "EUR")])
        };
        if i == 4 {
            lines.push(line(&EUR[i % 4], 2, "EUR"));
        }
        let total = Money::new(lines.iter().map(|l| l.line_total.amount_minor).sum(), currency);
        let paid_at = match i {
            3 => at(DAYS[3], "23:59:59.500"),
            7 => at(DAYS[3], "00:00:00"),
            _ => at(DAYS[i % 4], &format!("{:02}:{:02}:00", 8 + i, (i * 7) % 60)),
        };
        let customer_id = format!("customer-{}", i % 5);
        let payment = Subject::order(&order_id);
        events.push(Raw::PaymentSucceeded(Envelope::at(
            PaymentSucceeded {
                payment_id: payment.payment_id(),
                subject: payment.clone(),
                customer_id: customer_id.clone(),
                amount: total.clone(),
                provider_ref: format!("sim-{i}"),
            },
            format!("corr-order-{i}"),
            paid_at,
        )));
        events.push(Raw::OrderPaid(Envelope::at(
            OrderPaid {
                order_id,
                customer_id,
                customer_email: format!("customer-{}@example.com", i % 5),
                payment_id: payment.payment_id(),
                lines,
                total,
            },
            format!("corr-order-{i}"),
            paid_at + Duration::seconds(1),
        )));
    }
}

struct Resource {
    id: &'static str,
    name: &'static str,
    owner: usize,
    price_per_slot: i64,
    currency: &'static str,
}

const RESOURCES: [Resource; 3] = [
    Resource { id: "r-court", name: "Court", owner: 0, price_per_slot: 2000, currency: "EUR" },
    Resource { id: "r-room", name: "Meeting room", owner: 1, price_per_slot: 3500, currency: "EUR" },
    Resource { id: "r-studio", name: "Studio", owner: 2, price_per_slot: 5000, currency: "USD" },
];

fn booking(j: usize) -> Booking {
    let r = &RESOURCES[j % 3];
    let slots = u32::try_from(j % 3).expect("small") + 1;
    let local_date = BOOKED[j % 3];
    Booking {
        reservation_id: format!("reservation-{j}"),
        resource_id: r.id.into(),
        resource_name: r.name.into(),
        owner_id: OWNERS[r.owner].into(),
        customer_id: format!("customer-{}", j % 5),
        customer_email: format!("customer-{}@example.com", j % 5),
        start: at(local_date, "09:00:00"),
        end: at(local_date, "09:00:00") + Duration::hours(i64::from(slots)),
        time_zone: "Europe/Madrid".into(),
        local_date: local_date.into(),
        local_start: None,
        local_end: None,
        slots,
        amount: Money::new(r.price_per_slot * i64::from(slots), r.currency),
    }
}

fn reservations(events: &mut Vec<Raw>) {
    for j in 0..8usize {
        let b = booking(j);
        let confirmed_at = at(DAYS[j % 4], &format!("12:{:02}:00", j * 3));
        let payment = Subject::reservation(&b.reservation_id);
        let corr = format!("corr-reservation-{j}");
        events.push(Raw::PaymentSucceeded(Envelope::at(
            PaymentSucceeded {
                payment_id: payment.payment_id(),
                subject: payment.clone(),
                customer_id: b.customer_id.clone(),
                amount: b.amount.clone(),
                provider_ref: format!("sim-r{j}"),
            },
            corr.clone(),
            confirmed_at - Duration::seconds(2),
        )));
        events.push(Raw::Confirmed(Envelope::at(
            ReservationConfirmed { reservation: b.clone(), payment_id: payment.payment_id() },
            corr.clone(),
            confirmed_at,
        )));
        let later = at(DAYS[(j + 1) % 4], "18:30:00");
        match j % 4 {
            0 => events.push(Raw::CheckedIn(Envelope::at(
                ReservationCheckedIn {
                    reservation: b.clone(),
                    checked_in_at: at(&b.local_date, "08:55:00"),
                    checked_in_by: "desk-1".into(),
                },
                corr,
                at(&b.local_date, "08:55:00"),
            ))),
            1 => {
                events.push(Raw::Cancelled(Envelope::at(
                    ReservationCancelled {
                        reservation: b.clone(),
                        reason: ReservationCancelReason::OwnerRequest,
                        was_confirmed: true,
                        refund: true,
                    },
                    corr.clone(),
                    later,
                )));
                events.push(Raw::PaymentRefunded(Envelope::at(
                    PaymentRefunded {
                        payment_id: payment.payment_id(),
                        subject: payment,
                        customer_id: b.customer_id.clone(),
                        amount: b.amount.clone(),
                        provider_ref: format!("refund-r{j}"),
                    },
                    corr,
                    later + Duration::seconds(3),
                )));
            }
            2 => events.push(Raw::Cancelled(Envelope::at(
                ReservationCancelled {
                    reservation: b.clone(),
                    reason: ReservationCancelReason::CustomerRequest,
                    was_confirmed: true,
                    refund: false,
                },
                corr,
                later,
            ))),
            _ => {}
        }
    }
    // Two reservations that were never paid and expired.
    for j in 8..10usize {
        events.push(Raw::Cancelled(Envelope::at(
            ReservationCancelled {
                reservation: booking(j),
                reason: ReservationCancelReason::Expired,
                was_confirmed: false,
                refund: false,
            },
            format!("corr-reservation-{j}"),
            at(DAYS[j % 4], "21:15:00"),
        )));
    }
}

/// Every event of the month, in the order they happened.
pub fn month() -> Vec<Raw> {
    let mut events = Vec::new();
    orders(&mut events);
    reservations(&mut events);
    events.push(Raw::OrderPlaced(Envelope::at(
        OrderPlaced {
            order_id: "order-unread".into(),
            customer_id: "customer-1".into(),
            customer_email: "customer-1@example.com".into(),
            lines: vec![line(&EUR[0], 1, "EUR")],
            total: Money::new(2500, "EUR"),
            placed_at: at(DAYS[0], "07:00:00"),
        },
        "corr-unread",
        at(DAYS[0], "07:00:00"),
    )));
    events.sort_by_key(Raw::occurred_at);
    events
}

/// `events` in an order unrelated to time (by event id, which is random).
pub fn shuffled(events: &[Raw]) -> Vec<Raw> {
    let mut out = events.to_vec();
    out.sort_by_key(Raw::event_id);
    out
}

//! What one event adds to which report item: [`apply`] is pure, so the consumer writes
//! exactly its deltas (and records them in the event's inbox marker), and a rebuild can
//! subtract exactly what an event added.
//!
//! Items live in scope partitions, `ALL` and `OWNER#<owner_id>`, with sort keys that make
//! every report one Query:
//!
//! | sort key                                   | counters                                   |
//! |--------------------------------------------|--------------------------------------------|
//! | `SALES#<day>#PRODUCT#<product_id>`         | orders, units, revenue_<CUR>               |
//! | `SALES#<day>#REVENUE`                      | revenue_<CUR>                              |
//! | `BOOKINGS#D#<day>#<resource_id>`           | confirmed, slots, revenue_<CUR>, cancelled, checked_in, refunds |
//! | `BOOKINGS#R#<resource_id>#<day>`           | the same counters (a copy for `?resource=`) |
//!
//! Sales days are the UTC date of the event; booking days are the reservation's local date.
//!
//! Revenue differs by scope, on purpose: `ALL` counts real money movement (every
//! `PaymentSucceeded` minus every `PaymentRefunded`, orders and reservations alike, on the
//! day the payment event happened), while an owner's revenue is what their own things
//! earned (paid order lines of their products, confirmed reservations of their resources,
//! minus cancelled reservations that were refunded), since payments do not say whose
//! goods they paid for.

use std::collections::BTreeMap;

use bazaar_events::Money;
use bazaar_events::reservations::Booking;
use serde::{Deserialize, Serialize};

use crate::Day;
use crate::event::{Fact, ReportEvent};

/// Attribute names of the stored items.
pub mod attr {
    pub const KIND: &str = "kind";
    pub const DATE: &str = "date";
    pub const PRODUCT_ID: &str = "product_id";
    pub const NAME: &str = "name";
    pub const RESOURCE_ID: &str = "resource_id";
    pub const RESOURCE_NAME: &str = "resource_name";

    pub const ORDERS: &str = "orders";
    pub const UNITS: &str = "units";
    pub const CONFIRMED: &str = "confirmed";
    pub const SLOTS: &str = "slots";
    pub const CANCELLED: &str = "cancelled";
    pub const CHECKED_IN: &str = "checked_in";
    pub const REFUNDS: &str = "refunds";
    /// How many event deltas an item holds: 0 means nothing counts any more (a rebuild
    /// deletes it).
    pub const EVENTS: &str = "events";
    /// `revenue_EUR`, `revenue_USD`, …: minor units per currency.
    pub const REVENUE_PREFIX: &str = "revenue_";

    pub fn revenue(currency: &str) -> String {
        format!("{REVENUE_PREFIX}{currency}")
    }
}

/// Whose numbers an item holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Everything (holders of `reports:read_all`).
    All,
    /// One owner's own products and resources.
    Owner(String),
}

impl Scope {
    /// The partition key of the scope.
    pub fn pk(&self) -> String {
        match self {
            Scope::All => "ALL".to_owned(),
            Scope::Owner(id) => format!("OWNER#{id}"),
        }
    }

    /// `all` or `owner`, as reports name it.
    pub fn name(&self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Owner(_) => "owner",
        }
    }
}

/// Which item of a scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entry {
    Product { day: Day, product_id: String },
    Revenue { day: Day },
    BookingsByDay { day: Day, resource_id: String },
    BookingsByResource { resource_id: String, day: Day },
}

pub const SALES_PREFIX: &str = "SALES#";
pub const BOOKINGS_BY_DAY_PREFIX: &str = "BOOKINGS#D#";
pub const BOOKINGS_BY_RESOURCE_PREFIX: &str = "BOOKINGS#R#";

impl Entry {
    pub fn sk(&self) -> String {
        match self {
            Entry::Product { day, product_id } => format!("{SALES_PREFIX}{day}#PRODUCT#{product_id}"),
            Entry::Revenue { day } => format!("{SALES_PREFIX}{day}#REVENUE"),
            Entry::BookingsByDay { day, resource_id } => format!("{BOOKINGS_BY_DAY_PREFIX}{day}#{resource_id}"),
            Entry::BookingsByResource { resource_id, day } => {
                format!("{BOOKINGS_BY_RESOURCE_PREFIX}{resource_id}#{day}")
            }
        }
    }

    /// The stored `kind` attribute.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Product { .. } => "product",
            Entry::Revenue { .. } => "revenue",
            Entry::BookingsByDay { .. } | Entry::BookingsByResource { .. } => "bookings",
        }
    }

    fn day(&self) -> Day {
        match self {
            Entry::Product { day, .. }
            | Entry::Revenue { day }
            | Entry::BookingsByDay { day, .. }
            | Entry::BookingsByResource { day, .. } => *day,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub scope: Scope,
    pub entry: Entry,
}

impl Key {
    pub fn pk(&self) -> String {
        self.scope.pk()
    }

    pub fn sk(&self) -> String {
        self.entry.sk()
    }
}

/// What an event adds to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub key: Key,
    /// Descriptive attributes written with every delta (a renamed product shows its
    /// latest name).
    pub labels: BTreeMap<&'static str, String>,
    /// Counter attribute → increment (negative for refunds).
    pub add: BTreeMap<String, i64>,
}

/// A delta as its inbox marker records it: enough to subtract it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDelta {
    pub pk: String,
    pub sk: String,
    pub add: BTreeMap<String, i64>,
}

impl Delta {
    fn new(key: Key) -> Delta {
        let labels =
            BTreeMap::from([(attr::KIND, key.entry.kind().to_owned()), (attr::DATE, key.entry.day().to_string())]);
        Delta { key, labels, add: BTreeMap::new() }
    }

    fn label(&mut self, name: &'static str, value: &str) -> &mut Delta {
        self.labels.insert(name, value.to_owned());
        self
    }

    fn add(&mut self, counter: &str, n: i64) -> &mut Delta {
        *self.add.entry(counter.to_owned()).or_default() += n;
        self
    }

    /// Sets `counter` to `n` once, however many lines touch the item (orders per product).
    fn once(&mut self, counter: &str, n: i64) -> &mut Delta {
        self.add.entry(counter.to_owned()).or_insert(n);
        self
    }

    fn revenue(&mut self, amount: &Money, sign: i64) -> &mut Delta {
        self.add(&attr::revenue(&amount.currency), sign * amount.amount_minor)
    }

    pub fn stored(&self) -> StoredDelta {
        StoredDelta { pk: self.key.pk(), sk: self.key.sk(), add: self.add.clone() }
    }
}

/// The deltas of one event, merged per item.
#[derive(Default)]
struct Deltas(BTreeMap<Key, Delta>);

impl Deltas {
    fn at(&mut self, scope: Scope, entry: Entry) -> &mut Delta {
        let key = Key { scope, entry };
        self.0.entry(key.clone()).or_insert_with(|| Delta::new(key))
    }

    /// Applies `f` to the four bookings items of `b` on `day`: by day and by resource, in
    /// the `ALL` scope and in its owner's.
    fn bookings(&mut self, b: &Booking, day: Day, f: impl Fn(&mut Delta)) {
        for scope in [Scope::All, Scope::Owner(b.owner_id.clone())] {
            let by_day = Entry::BookingsByDay { day, resource_id: b.resource_id.clone() };
            let by_resource = Entry::BookingsByResource { resource_id: b.resource_id.clone(), day };
            for entry in [by_day, by_resource] {
                let delta = self.at(scope.clone(), entry);
                delta.label(attr::RESOURCE_ID, &b.resource_id).label(attr::RESOURCE_NAME, &b.resource_name);
                f(delta);
            }
        }
    }
}

/// The deltas `event` adds to the read models, one per item, in key order (so chunks of
/// them are the same on every delivery).
pub fn apply(event: &ReportEvent) -> Vec<Delta> {
    let mut d = Deltas::default();
    let day = event.day;
    match &event.fact {
        Fact::OrderPaid(paid) => {
            for line in &paid.lines {
                let owner = Scope::Owner(line.owner_id.clone());
                for scope in [Scope::All, owner.clone()] {
                    d.at(scope, Entry::Product { day, product_id: line.product_id.clone() })
                        .label(attr::PRODUCT_ID, &line.product_id)
                        .label(attr::NAME, &line.name)
                        .once(attr::ORDERS, 1)
                        .add(attr::UNITS, i64::from(line.quantity))
                        .revenue(&line.line_total, 1);
                }
                d.at(owner, Entry::Revenue { day }).revenue(&line.line_total, 1);
            }
        }
        Fact::PaymentSucceeded(p) => {
            d.at(Scope::All, Entry::Revenue { day }).revenue(&p.amount, 1);
        }
        Fact::PaymentRefunded(p) => {
            d.at(Scope::All, Entry::Revenue { day }).revenue(&p.amount, -1);
        }
        Fact::ReservationConfirmed { booking_day, event } => {
            let b = &event.reservation;
            d.bookings(b, *booking_day, |delta| {
                delta.add(attr::CONFIRMED, 1).add(attr::SLOTS, i64::from(b.slots)).revenue(&b.amount, 1);
            });
            d.at(Scope::Owner(b.owner_id.clone()), Entry::Revenue { day }).revenue(&b.amount, 1);
        }
        Fact::ReservationCancelled { booking_day, event } => {
            let b = &event.reservation;
            d.bookings(b, *booking_day, |delta| {
                delta.add(attr::CANCELLED, 1).add(attr::REFUNDS, i64::from(event.refund));
            });
            if event.refund {
                d.at(Scope::Owner(b.owner_id.clone()), Entry::Revenue { day }).revenue(&b.amount, -1);
            }
        }
        Fact::ReservationCheckedIn { booking_day, event } => {
            d.bookings(&event.reservation, *booking_day, |delta| {
                delta.add(attr::CHECKED_IN, 1);
            });
        }
    }
    d.0.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_events::Envelope;
    use bazaar_events::orders::{OrderLine, OrderPaid};
    use bazaar_events::payments::{PaymentRefunded, PaymentSucceeded, Subject};
    use bazaar_events::reservations::{
        ReservationCancelReason, ReservationCancelled, ReservationCheckedIn, ReservationConfirmed,
    };
    use chrono::{DateTime, Utc};

    fn at() -> DateTime<Utc> {
        "2026-11-03T23:30:00Z".parse().expect("time")
    }

    fn event<T: crate::event::Reported>(data: T) -> ReportEvent {
        ReportEvent::from_envelope(Envelope::at(data, "c", at())).expect("valid")
    }

    fn line(product: &str, owner: &str, quantity: u32, total: i64) -> OrderLine {
        OrderLine {
            product_id: product.into(),
            owner_id: owner.into(),
            name: format!("Name of {product}"),
            quantity,
            unit_price: Money::new(total / i64::from(quantity), "EUR"),
            line_total: Money::new(total, "EUR"),
        }
    }

    fn booking() -> Booking {
        Booking {
            reservation_id: "r-1".into(),
            resource_id: "court-1".into(),
            resource_name: "Court 1".into(),
            owner_id: "o-2".into(),
            customer_id: "c".into(),
            customer_email: "c@example.com".into(),
            start: "2026-12-24T09:00:00Z".parse().expect("start"),
            end: "2026-12-24T11:00:00Z".parse().expect("end"),
            time_zone: "Europe/Madrid".into(),
            local_date: "2026-12-24".into(),
            local_start: None,
            local_end: None,
            slots: 2,
            amount: Money::new(3000, "EUR"),
        }
    }

    fn find<'a>(deltas: &'a [Delta], pk: &str, sk: &str) -> &'a BTreeMap<String, i64> {
        &deltas.iter().find(|d| d.key.pk() == pk && d.key.sk() == sk).unwrap_or_else(|| panic!("{pk} {sk}")).add
    }

    fn counters(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn an_order_paid_counts_each_product_once_per_order_in_both_scopes_and_owner_revenue() {
        let paid = OrderPaid {
            order_id: "o".into(),
            customer_id: "c".into(),
            customer_email: "c@example.com".into(),
            payment_id: "p".into(),
            lines: vec![line("lamp", "o-1", 2, 2000), line("rug", "o-2", 1, 5000), line("lamp", "o-1", 1, 1000)],
            total: Money::new(8000, "EUR"),
        };
        let deltas = apply(&event(paid));
        let lamp = counters(&[("orders", 1), ("units", 3), ("revenue_EUR", 3000)]);
        assert_eq!(find(&deltas, "ALL", "SALES#2026-11-03#PRODUCT#lamp"), &lamp);
        assert_eq!(find(&deltas, "OWNER#o-1", "SALES#2026-11-03#PRODUCT#lamp"), &lamp);
        assert_eq!(find(&deltas, "OWNER#o-2", "SALES#2026-11-03#PRODUCT#rug")["units"], 1);
        assert_eq!(find(&deltas, "OWNER#o-1", "SALES#2026-11-03#REVENUE"), &counters(&[("revenue_EUR", 3000)]));
        assert_eq!(find(&deltas, "OWNER#o-2", "SALES#2026-11-03#REVENUE"), &counters(&[("revenue_EUR", 5000)]));
        assert!(deltas.iter().all(|d| d.key.sk() != "SALES#2026-11-03#REVENUE" || d.key.pk() != "ALL"));
        assert_eq!(deltas.len(), 6, "2 products × 2 scopes + 2 owner revenues");
        let lamp_delta = deltas.iter().find(|d| d.key.sk().ends_with("lamp")).expect("lamp");
        assert_eq!(lamp_delta.labels["name"], "Name of lamp");
        assert_eq!(lamp_delta.labels["date"], "2026-11-03");
    }

    #[test]
    fn payments_move_all_scope_revenue_up_and_refunds_down() {
        let succeeded = PaymentSucceeded {
            payment_id: "p".into(),
            subject: Subject::reservation("r"),
            customer_id: "c".into(),
            amount: Money::new(1234, "USD"),
            provider_ref: "x".into(),
        };
        let deltas = apply(&event(succeeded));
        assert_eq!(deltas.len(), 1);
        assert_eq!(find(&deltas, "ALL", "SALES#2026-11-03#REVENUE"), &counters(&[("revenue_USD", 1234)]));
        let refunded = PaymentRefunded {
            payment_id: "p".into(),
            subject: Subject::order("o"),
            customer_id: "c".into(),
            amount: Money::new(1234, "USD"),
            provider_ref: "x".into(),
        };
        assert_eq!(find(&apply(&event(refunded)), "ALL", "SALES#2026-11-03#REVENUE")["revenue_USD"], -1234);
    }

    #[test]
    fn reservations_count_on_their_local_date_in_four_items_and_owner_revenue_on_the_event_day() {
        let confirmed = apply(&event(ReservationConfirmed { reservation: booking(), payment_id: "p".into() }));
        let expected = counters(&[("confirmed", 1), ("slots", 2), ("revenue_EUR", 3000)]);
        for pk in ["ALL", "OWNER#o-2"] {
            assert_eq!(find(&confirmed, pk, "BOOKINGS#D#2026-12-24#court-1"), &expected);
            assert_eq!(find(&confirmed, pk, "BOOKINGS#R#court-1#2026-12-24"), &expected);
        }
        assert_eq!(find(&confirmed, "OWNER#o-2", "SALES#2026-11-03#REVENUE")["revenue_EUR"], 3000);
        assert_eq!(confirmed.len(), 5);

        let cancel = |refund| ReservationCancelled {
            reservation: booking(),
            reason: ReservationCancelReason::OwnerRequest,
            was_confirmed: true,
            refund,
        };
        let refunded = apply(&event(cancel(true)));
        assert_eq!(
            find(&refunded, "ALL", "BOOKINGS#D#2026-12-24#court-1"),
            &counters(&[("cancelled", 1), ("refunds", 1)])
        );
        assert_eq!(find(&refunded, "OWNER#o-2", "SALES#2026-11-03#REVENUE")["revenue_EUR"], -3000);
        let kept = apply(&event(cancel(false)));
        assert_eq!(
            find(&kept, "OWNER#o-2", "BOOKINGS#R#court-1#2026-12-24"),
            &counters(&[("cancelled", 1), ("refunds", 0)])
        );
        assert_eq!(kept.len(), 4, "no revenue change without a refund");

        let checked_in =
            ReservationCheckedIn { reservation: booking(), checked_in_at: at(), checked_in_by: "desk".into() };
        let deltas = apply(&event(checked_in));
        assert_eq!(deltas.len(), 4);
        assert!(deltas.iter().all(|d| d.add == counters(&[("checked_in", 1)])));
        assert!(deltas.iter().all(|d| d.labels["resource_name"] == "Court 1"));
    }

    #[test]
    fn invalid_currencies_and_local_dates_are_refused() {
        let mut b = booking();
        b.local_date = "24/12/2026".into();
        let bad_date = Envelope::at(ReservationConfirmed { reservation: b, payment_id: "p".into() }, "c", at());
        assert!(matches!(ReportEvent::from_envelope(bad_date), Err(crate::event::InvalidEvent::LocalDate(_))));
        let mut b = booking();
        b.amount.currency = "eur".into();
        let bad_currency = Envelope::at(ReservationConfirmed { reservation: b, payment_id: "p".into() }, "c", at());
        assert!(matches!(ReportEvent::from_envelope(bad_currency), Err(crate::event::InvalidEvent::Currency(_))));
    }

    #[test]
    fn deltas_come_in_key_order_so_chunks_are_stable() {
        let paid = OrderPaid {
            order_id: "o".into(),
            customer_id: "c".into(),
            customer_email: "c@example.com".into(),
            payment_id: "p".into(),
            lines: (0..30).rev().map(|i| line(&format!("p{i:02}"), &format!("o{}", i % 4), 1, 100)).collect(),
            total: Money::new(3000, "EUR"),
        };
        let e = event(paid);
        let first = apply(&e);
        assert_eq!(first, apply(&e));
        assert!(first.windows(2).all(|w| w[0].key < w[1].key));
        assert_eq!(first.len(), 30 * 2 + 4);
    }
}

//! Booking, the pure part: the `Idempotency-Key`, the request body (whose canonical hash is
//! [`bazaar_aws::idempotency::body_hash`]), and the plan of a booking (which slots of
//! which local day, at what price) checked against the resource's opening hours in its own
//! time zone.

use bazaar_events::Money;
use bazaar_runtime::problem::FieldError;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::hours::{Slot, local_date, slots_of_day};
use crate::{ReservationsError, Resource};

pub use bazaar_aws::idempotency::{KEY_RETENTION_SECONDS, MAX_KEY_CHARS};
/// `MAX_SLOTS_PER_RESERVATION` when unset, and the most it may be set to.
pub const DEFAULT_MAX_SLOTS: u32 = 8;
pub const MAX_SLOTS_CAP: u32 = 24;
/// `RESERVATION_HOLD_SECONDS` when unset: how long an unpaid reservation holds its slots.
pub const DEFAULT_HOLD_SECONDS: i64 = 900;
/// The longest resource id a booking may name, in characters (trimmed).
pub const MAX_RESOURCE_ID_CHARS: usize = 100;

/// `POST /reservations` body. Times are RFC 3339 with an offset; they are read by hand so
/// that a malformed time is a 422 naming its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    rename = "NewReservation",
    description = "Consecutive slots of one opening interval of one local day of a resource."
)]
pub struct ReserveRequest {
    /// A resource's id (trimmed); one that does not exist is a 422.
    #[schemars(length(min = 1, max = MAX_RESOURCE_ID_CHARS), pattern(bazaar_runtime::text::not_blank_pattern()))]
    pub resource_id: String,
    /// The first slot's start: RFC 3339 with an offset, e.g. `2026-11-22T09:00:00+01:00`.
    #[schemars(extend("format" = "date-time"))]
    pub start: String,
    /// The last slot's end: RFC 3339 with an offset, e.g. `2026-11-22T10:00:00+01:00`.
    #[schemars(extend("format" = "date-time"))]
    pub end: String,
}

/// The `Idempotency-Key` header: required, 1..=100 printable characters, else 400.
pub fn idempotency_key(header: Option<&str>) -> Result<String, ReservationsError> {
    bazaar_aws::idempotency::parse(header).map_err(ReservationsError::BadRequest)
}

/// The request's times as instants (422 naming each malformed one).
pub fn times(req: &ReserveRequest) -> Result<(DateTime<Utc>, DateTime<Utc>), ReservationsError> {
    let parse = |text: &str| DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.with_timezone(&Utc));
    let mut errors = Vec::new();
    let resource_id = req.resource_id.trim();
    if resource_id.is_empty() || resource_id.chars().count() > MAX_RESOURCE_ID_CHARS {
        errors.push(field("resource_id", "a resource id is required"));
    }
    let start = parse(&req.start);
    let end = parse(&req.end);
    if start.is_none() {
        errors.push(field("start", "an RFC 3339 time with an offset, e.g. 2026-11-22T09:00:00+01:00"));
    }
    if end.is_none() {
        errors.push(field("end", "an RFC 3339 time with an offset, e.g. 2026-11-22T10:00:00+01:00"));
    }
    match (start, end) {
        (Some(start), Some(end)) if errors.is_empty() => Ok((start, end)),
        _ => Err(ReservationsError::Invalid(errors)),
    }
}

fn field(name: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: name.to_owned(), message: message.into() }
}

/// What a booking takes: consecutive slots of one opening interval of one local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub slots: Vec<Slot>,
    pub local_date: NaiveDate,
    pub amount: Money,
}

/// Checks `[start, end)` against `resource` at `now`: active, in the future, starting and
/// ending on slot boundaries of one opening interval of the local day of `start`, without
/// crossing a daylight-saving gap, at most `max_slots` long. Problems are 422s.
pub fn plan(
    resource: &Resource,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    max_slots: u32,
) -> Result<Plan, ReservationsError> {
    if !resource.active {
        return Err(ReservationsError::invalid("resource_id", "this resource cannot be booked at the moment"));
    }
    let mut errors = Vec::new();
    if end <= start {
        errors.push(field("end", "must be after start"));
    }
    if start <= now {
        errors.push(field("start", "must be in the future"));
    }
    if !errors.is_empty() {
        return Err(ReservationsError::Invalid(errors));
    }
    let tz = resource.tz()?;
    let week = resource.week()?;
    let date = local_date(tz, start);
    let slots = slots_of_day(&week, tz, date, resource.slot_minutes);
    let Some(first) = slots.iter().position(|s| s.start == start) else {
        let local = start.with_timezone(&tz);
        let minute = local.hour() * 60 + local.minute();
        let open = week.day(chrono::Datelike::weekday(&date)).iter().any(|i| i.open <= minute && minute < i.close);
        let why = if open { "is not on a slot boundary" } else { "is outside the opening hours" };
        return Err(ReservationsError::invalid("start", why));
    };
    let mut last = first;
    loop {
        let slot = &slots[last];
        if last - first + 1 > max_slots as usize {
            return Err(ReservationsError::invalid("end", format!("a reservation is at most {max_slots} slots")));
        }
        if slot.end == end {
            break;
        }
        if slot.end > end {
            return Err(ReservationsError::invalid("end", "is not on a slot boundary"));
        }
        match slots.get(last + 1) {
            Some(next) if next.interval == slot.interval && next.start == slot.end => last += 1,
            Some(next) if next.interval == slot.interval => {
                return Err(ReservationsError::invalid(
                    "end",
                    "the range crosses a daylight-saving change; book each side separately",
                ));
            }
            _ => return Err(ReservationsError::invalid("end", "is outside the opening interval of start")),
        }
    }
    let taken: Vec<Slot> = slots[first..=last].to_vec();
    let count = i64::try_from(taken.len()).map_err(anyhow::Error::from)?;
    let amount = resource
        .price_per_slot
        .amount_minor
        .checked_mul(count)
        .ok_or_else(|| ReservationsError::invalid("end", "the price of this range is too large"))?;
    Ok(Plan { slots: taken, local_date: date, amount: Money::new(amount, resource.price_per_slot.currency.clone()) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::{IntervalText, OpeningHours};
    use bazaar_aws::idempotency::body_hash;
    use bazaar_runtime::testing::invalid_fields as field_of;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("rfc3339").with_timezone(&Utc)
    }

    fn resource(hours: OpeningHours, slot_minutes: u32) -> Resource {
        Resource {
            id: "r".into(),
            owner_id: "o".into(),
            name: "Room".into(),
            kind: "room".into(),
            description: None,
            time_zone: "Europe/Berlin".into(),
            opening_hours: hours,
            slot_minutes,
            price_per_slot: Money::new(2500, "EUR"),
            capacity: 1,
            active: true,
            version: 1,
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    fn split_day() -> Resource {
        let day = vec![IntervalText::new("09:00", "12:00"), IntervalText::new("13:00", "17:00")];
        resource(OpeningHours::every_day(&day), 60)
    }

    const NOW: &str = "2026-01-01T00:00:00Z";

    fn try_plan(r: &Resource, start: &str, end: &str, max: u32) -> Result<Plan, ReservationsError> {
        plan(r, utc(start), utc(end), utc(NOW), max)
    }

    #[test]
    fn a_range_of_whole_slots_is_planned_in_utc_and_priced() {
        let p = try_plan(&split_day(), "2026-01-15T10:00:00+01:00", "2026-01-15T12:00:00+01:00", 8).expect("plan");
        assert_eq!(p.slots.len(), 2);
        assert_eq!(p.slots[0].start, utc("2026-01-15T09:00:00Z"));
        assert_eq!(p.local_date.to_string(), "2026-01-15");
        assert_eq!(p.amount, Money::new(5000, "EUR"));
    }

    #[test]
    fn off_boundary_outside_hours_and_across_intervals_are_refused() {
        let r = split_day();
        let cases = [
            ("2026-01-15T10:30:00+01:00", "2026-01-15T11:00:00+01:00", "start"),
            ("2026-01-15T07:00:00+01:00", "2026-01-15T08:00:00+01:00", "start"),
            ("2026-01-15T10:00:00+01:00", "2026-01-15T10:30:00+01:00", "end"),
            ("2026-01-15T11:00:00+01:00", "2026-01-15T14:00:00+01:00", "end"),
            ("2026-01-15T16:00:00+01:00", "2026-01-15T18:00:00+01:00", "end"),
            ("2026-01-15T11:00:00+01:00", "2026-01-15T10:00:00+01:00", "end"),
        ];
        for (start, end, field) in cases {
            let e = try_plan(&r, start, end, 8).expect_err(start);
            assert_eq!(field_of(e), vec![field], "{start}..{end}");
        }
    }

    #[test]
    fn the_past_and_too_many_slots_are_refused() {
        let r = split_day();
        let past = plan(&r, utc("2026-01-15T09:00:00Z"), utc("2026-01-15T10:00:00Z"), utc("2026-01-15T09:00:00Z"), 8);
        assert_eq!(field_of(past.expect_err("past")), vec!["start"]);
        let long = try_plan(&r, "2026-01-15T13:00:00+01:00", "2026-01-15T17:00:00+01:00", 3);
        assert_eq!(field_of(long.expect_err("4 slots, max 3")), vec!["end"]);
        assert!(try_plan(&r, "2026-01-15T13:00:00+01:00", "2026-01-15T16:00:00+01:00", 3).is_ok());
    }

    #[test]
    fn an_inactive_resource_cannot_be_booked() {
        let r = Resource { active: false, ..split_day() };
        let e = try_plan(&r, "2026-01-15T10:00:00+01:00", "2026-01-15T11:00:00+01:00", 8).expect_err("inactive");
        assert_eq!(field_of(e), vec!["resource_id"]);
    }

    #[test]
    fn a_range_across_the_repeated_autumn_hour_is_refused_but_each_side_is_fine() {
        let r = resource(OpeningHours::every_day(&[IntervalText::new("00:00", "06:00")]), 60);
        // 2026-10-25, Berlin: 02:00 CEST (00:00Z) + 1 h = 01:00Z, but 03:00 CET is 02:00Z.
        let across = try_plan(&r, "2026-10-25T02:00:00+02:00", "2026-10-25T04:00:00+01:00", 8);
        assert_eq!(field_of(across.expect_err("gap")), vec!["end"]);
        assert!(try_plan(&r, "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", 8).is_ok());
        let spring = try_plan(&r, "2026-03-29T01:00:00+01:00", "2026-03-29T04:00:00+02:00", 8).expect("spring");
        assert_eq!(spring.slots.len(), 2, "01:00 and 03:00: the skipped hour is not a slot");
    }

    #[test]
    fn times_need_an_offset_and_the_body_hash_ignores_formatting() {
        let req = |start: &str| ReserveRequest { resource_id: "r".into(), start: start.into(), end: "x".into() };
        assert_eq!(field_of(times(&req("2026-01-15T10:00:00")).expect_err("no offset")), vec!["start", "end"]);
        let a: ReserveRequest = serde_json::from_str(r#"{"resource_id":"r","start":"s","end":"e"}"#).expect("a");
        let b: ReserveRequest = serde_json::from_str(r#"{ "end": "e", "start": "s", "resource_id": "r" }"#).expect("b");
        assert_eq!(body_hash(&a), body_hash(&b));
        assert_ne!(body_hash(&a), body_hash(&ReserveRequest { end: "f".into(), ..a.clone() }));
        assert!(serde_json::from_str::<ReserveRequest>(r#"{"resource_id":"r","start":"s","end":"e","x":1}"#).is_err());
    }

    #[test]
    fn the_documented_request_is_the_validated_one() {
        let schema = schemars::schema_for!(ReserveRequest);
        let id = &schema.as_value()["properties"]["resource_id"];
        let longest = "é".repeat(id["maxLength"].as_u64().expect("maxLength") as usize);
        assert_eq!(id["pattern"], bazaar_runtime::text::not_blank_pattern());
        let req =
            |id: &str, start: &str| ReserveRequest { resource_id: id.into(), start: start.into(), end: start.into() };
        let t = "2026-01-15T10:00:00Z";
        assert!(times(&req(&longest, t)).is_ok(), "an id at the documented limit");
        assert_eq!(field_of(times(&req(&format!("{longest}x"), t)).expect_err("too long")), vec!["resource_id"]);
        assert_eq!(field_of(times(&req(" \u{3000}", t)).expect_err("blank")), vec!["resource_id"]);
        for field in ["start", "end"] {
            assert_eq!(schema.as_value()["properties"][field]["format"], "date-time", "{field}");
        }
        // JSON Schema's date-time is RFC 3339's, which the times are parsed as.
        for time in
            ["2026-01-15T10:00:00+01:00", "2026-01-15T09:00:00.5Z", "2026-01-15t09:00:00z", "9999-12-31T23:59:59-23:59"]
        {
            assert!(times(&req("r", time)).is_ok(), "{time}");
        }
    }

    #[test]
    fn the_idempotency_key_is_required_and_bounded() {
        assert!(matches!(idempotency_key(None), Err(ReservationsError::BadRequest(_))));
        assert!(matches!(idempotency_key(Some(" ")), Err(ReservationsError::BadRequest(_))));
        assert!(matches!(idempotency_key(Some(&"k".repeat(101))), Err(ReservationsError::BadRequest(_))));
        assert_eq!(idempotency_key(Some("k-1")).expect("key"), "k-1");
    }
}

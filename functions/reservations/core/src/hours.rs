//! Opening hours and the slots of a local day. Opening hours are local wall-clock times in
//! the resource's IANA time zone; a slot is turned into UTC with chrono-tz. A local time
//! that does not exist (the hour skipped when clocks go forward) has no slot; a local time
//! that exists twice (the hour repeated when clocks go back) takes the earlier instant.

use bazaar_runtime::problem::FieldError;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub const MINUTES_PER_DAY: u32 = 24 * 60;

/// An opening time as [`parse_time`] takes it: `00:00` to `23:59`.
pub const OPEN_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// A closing time as [`parse_time`] takes it and [`Week::parse`] can accept it (after an
/// opening time): `00:01` to `23:59`, or `24:00`.
pub const CLOSE_PATTERN: &str = "^(00:(0[1-9]|[1-5][0-9])|(0[1-9]|1[0-9]|2[0-3]):[0-5][0-9]|24:00)$";

/// One opening interval as the API spells it: `"09:00"` to `"17:00"` (`"24:00"` closes at
/// midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "OpeningInterval")]
pub struct IntervalText {
    /// `HH:MM`, local time, from `00:00` to `23:59`.
    #[schemars(pattern(OPEN_PATTERN))]
    pub open: String,
    /// `HH:MM`, local time, after `open`, up to `24:00` (midnight).
    #[schemars(pattern(CLOSE_PATTERN))]
    pub close: String,
}

impl IntervalText {
    pub fn new(open: &str, close: &str) -> IntervalText {
        IntervalText { open: open.to_owned(), close: close.to_owned() }
    }
}

/// [`OpeningHours`], a list of intervals per weekday named `$day` (Monday first), and
/// [`DAYS`], those names.
macro_rules! opening_hours {
    ($($day:ident),+) => {
        /// Opening hours per weekday; a missing day is closed.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
        #[schemars(
            description = "Opening hours per weekday (`mon` … `sun`), local times in the resource's zone; a missing \
                           day is closed. Each interval opens before it closes and lasts a whole number of slots \
                           (`slot_minutes`); the intervals of a day are sorted and do not overlap."
        )]
        #[serde(deny_unknown_fields)]
        pub struct OpeningHours {
            $(
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub $day: Vec<IntervalText>,
            )+
        }

        /// The keys of [`OpeningHours`], Monday first.
        pub const DAYS: [&str; 7] = [$(stringify!($day)),+];

        impl OpeningHours {
            /// The same intervals every day of the week.
            pub fn every_day(intervals: &[IntervalText]) -> OpeningHours {
                OpeningHours { $($day: intervals.to_vec()),+ }
            }

            fn days(&self) -> [&[IntervalText]; 7] {
                [$(&self.$day),+]
            }
        }
    };
}

opening_hours!(mon, tue, wed, thu, fri, sat, sun);

/// An opening interval in minutes after local midnight: `[open, close)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub open: u32,
    pub close: u32,
}

/// Validated opening hours, Monday first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    days: [Vec<Interval>; 7],
}

impl Week {
    /// Checks every interval: `HH:MM` times, open before close, sorted and not overlapping
    /// within a day, and (when the slot length is known to be valid) a whole number of
    /// slots long. Every problem is reported, each naming its interval.
    pub fn parse(hours: &OpeningHours, slot_minutes: Option<u32>) -> Result<Week, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut days: [Vec<Interval>; 7] = Default::default();
        for (d, intervals) in hours.days().into_iter().enumerate() {
            let mut previous_close = None;
            for (i, text) in intervals.iter().enumerate() {
                let field = |part: &str| format!("opening_hours.{}[{i}]{part}", DAYS[d]);
                let open = parse_time(&text.open, false);
                let close = parse_time(&text.close, true);
                if open.is_none() {
                    errors.push(error(field(".open"), "a time HH:MM from 00:00 to 23:59"));
                }
                if close.is_none() {
                    errors.push(error(field(".close"), "a time HH:MM from 00:01 to 24:00"));
                }
                let (Some(open), Some(close)) = (open, close) else { continue };
                if open >= close {
                    errors.push(error(field(".close"), "must be after open"));
                    continue;
                }
                if previous_close.is_some_and(|p| open < p) {
                    errors.push(error(field(""), "intervals of a day must be sorted and must not overlap"));
                }
                if let Some(slot) = slot_minutes.filter(|s| *s > 0)
                    && (close - open) % slot != 0
                {
                    errors.push(error(field(""), format!("must last a whole number of {slot}-minute slots")));
                }
                previous_close = Some(close);
                days[d].push(Interval { open, close });
            }
        }
        if errors.is_empty() { Ok(Week { days }) } else { Err(errors) }
    }

    pub fn day(&self, weekday: Weekday) -> &[Interval] {
        &self.days[weekday.num_days_from_monday() as usize]
    }
}

fn error(field: String, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// Minutes after midnight of `HH:MM` (exactly two digits each); `24:00` only when
/// `allow_midnight_end`.
pub fn parse_time(text: &str, allow_midnight_end: bool) -> Option<u32> {
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' || !text.chars().enumerate().all(|(i, c)| i == 2 || c.is_ascii_digit()) {
        return None;
    }
    let h: u32 = text[..2].parse().ok()?;
    let m: u32 = text[3..].parse().ok()?;
    match (h, m) {
        (24, 0) if allow_midnight_end => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// `HH:MM` of minutes after midnight.
pub fn format_time(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// An IANA zone name (`Europe/Berlin`), or `None`.
pub fn parse_zone(text: &str) -> Option<Tz> {
    text.parse::<Tz>().ok()
}

/// One bookable slot of a local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Local wall-clock start, `HH:MM`.
    pub local_start: String,
    /// Which opening interval of the day it belongs to.
    pub interval: usize,
}

/// The instant of a local time: `None` in a gap, the earlier one when it is ambiguous.
pub fn resolve(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.with_timezone(&Utc).min(b.with_timezone(&Utc))),
        LocalResult::None => None,
    }
}

/// The local date of instant `t` in `tz`.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The first instant of local day `date` (midnight, or the first minute after it that
/// exists where a zone skips midnight).
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=24 * 60)
        .find_map(|m| resolve(tz, midnight + Duration::minutes(m)))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// `[start, end)` of local day `date` in UTC (23 or 25 hours long on DST days).
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(date);
    (start_of_day(tz, date), start_of_day(tz, next))
}

/// Every slot of local day `date`, in order: each opening interval cut into
/// `slot_minutes` pieces; a slot whose local start does not exist is left out.
pub fn slots_of_day(week: &Week, tz: Tz, date: NaiveDate, slot_minutes: u32) -> Vec<Slot> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let step = slot_minutes.max(1);
    let mut slots = Vec::new();
    for (i, interval) in week.day(date.weekday()).iter().enumerate() {
        let mut m = interval.open;
        while m + step <= interval.close {
            if let Some(start) = resolve(tz, midnight + Duration::minutes(i64::from(m))) {
                slots.push(Slot {
                    start,
                    end: start + Duration::minutes(i64::from(step)),
                    local_start: format_time(m),
                    interval: i,
                });
            }
            m += step;
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Tz {
        parse_zone("Europe/Berlin").expect("zone")
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("rfc3339").with_timezone(&Utc)
    }

    fn week(open: &str, close: &str, slot: u32) -> Week {
        Week::parse(&OpeningHours::every_day(&[IntervalText::new(open, close)]), Some(slot)).expect("valid")
    }

    fn fields(r: Result<Week, Vec<FieldError>>) -> Vec<String> {
        r.expect_err("invalid").into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn times_are_strict_hh_mm() {
        assert_eq!(parse_time("09:30", false), Some(570));
        assert_eq!(parse_time("00:00", false), Some(0));
        assert_eq!(parse_time("24:00", true), Some(1440));
        for bad in ["24:00", "9:30", "09:60", "25:00", "0930", "09:3a", "+9:30", "", "09:300"] {
            assert_eq!(parse_time(bad, false), None, "{bad}");
        }
        assert_eq!(parse_time("24:01", true), None);
        assert_eq!(format_time(570), "09:30");
    }

    /// The patterns' meaning is checked against `parse_time` for every `HH:MM` by
    /// shared/openapi's patterns test; here, that the document states them.
    #[test]
    fn the_documented_time_patterns_are_the_parsed_ones() {
        let schema = schemars::schema_for!(IntervalText);
        assert_eq!(schema.as_value()["properties"]["open"]["pattern"], OPEN_PATTERN);
        assert_eq!(schema.as_value()["properties"]["close"]["pattern"], CLOSE_PATTERN);
    }

    #[test]
    fn invalid_intervals_are_named_each() {
        let hours = OpeningHours {
            mon: vec![IntervalText::new("9:00", "17:00")],
            tue: vec![IntervalText::new("12:00", "10:00")],
            wed: vec![IntervalText::new("09:00", "12:00"), IntervalText::new("11:00", "13:00")],
            thu: vec![IntervalText::new("13:00", "14:00"), IntervalText::new("09:00", "10:00")],
            fri: vec![IntervalText::new("09:00", "10:30")],
            sat: vec![IntervalText::new("09:00", "24:00")],
            ..Default::default()
        };
        assert_eq!(
            fields(Week::parse(&hours, Some(60))),
            vec![
                "opening_hours.mon[0].open",
                "opening_hours.tue[0].close",
                "opening_hours.wed[1]",
                "opening_hours.thu[1]",
                "opening_hours.fri[0]",
            ]
        );
        assert!(Week::parse(&hours.clone(), None).is_err());
        let touching = OpeningHours {
            mon: vec![IntervalText::new("09:00", "12:00"), IntervalText::new("12:00", "13:00")],
            ..Default::default()
        };
        assert!(Week::parse(&touching, Some(30)).is_ok(), "back-to-back intervals are fine");
    }

    #[test]
    fn a_winter_day_in_berlin_is_one_hour_ahead_of_utc() {
        let slots = slots_of_day(&week("09:00", "12:00", 60), berlin(), date("2026-01-15"), 60);
        let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![utc("2026-01-15T08:00:00Z"), utc("2026-01-15T09:00:00Z"), utc("2026-01-15T10:00:00Z")]);
        assert_eq!(slots[2].end, utc("2026-01-15T11:00:00Z"));
        assert_eq!(slots[1].local_start, "10:00");
    }

    #[test]
    fn a_closed_day_has_no_slots_and_a_split_day_numbers_its_intervals() {
        let hours = OpeningHours {
            mon: vec![IntervalText::new("09:00", "10:00"), IntervalText::new("14:00", "15:00")],
            ..Default::default()
        };
        let week = Week::parse(&hours, Some(30)).expect("valid");
        assert!(slots_of_day(&week, berlin(), date("2026-01-13"), 30).is_empty(), "a Tuesday");
        let monday = slots_of_day(&week, berlin(), date("2026-01-12"), 30);
        assert_eq!(monday.iter().map(|s| s.interval).collect::<Vec<_>>(), vec![0, 0, 1, 1]);
        assert_eq!(monday[2].local_start, "14:00");
    }

    #[test]
    fn the_skipped_hour_of_spring_has_no_slot() {
        // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST.
        let slots = slots_of_day(&week("00:00", "05:00", 60), berlin(), date("2026-03-29"), 60);
        let local: Vec<_> = slots.iter().map(|s| s.local_start.as_str()).collect();
        assert_eq!(local, vec!["00:00", "01:00", "03:00", "04:00"]);
        assert_eq!(slots[1].start, utc("2026-03-29T00:00:00Z"));
        assert_eq!(slots[1].end, slots[2].start, "01:00 CET + 1 h is 03:00 CEST");
        let (start, end) = day_bounds(berlin(), date("2026-03-29"));
        assert_eq!(end - start, Duration::hours(23));
    }

    #[test]
    fn the_repeated_hour_of_autumn_takes_the_earlier_instant() {
        // 2026-10-25 in Berlin: 03:00 CEST goes back to 02:00 CET.
        let slots = slots_of_day(&week("01:00", "04:00", 60), berlin(), date("2026-10-25"), 60);
        let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
        assert_eq!(
            starts,
            vec![utc("2026-10-24T23:00:00Z"), utc("2026-10-25T00:00:00Z"), utc("2026-10-25T02:00:00Z")],
            "02:00 is the CEST one; 03:00 CET follows two hours later"
        );
        assert_ne!(slots[1].end, slots[2].start, "the repeated hour is a gap between the slots");
        let (start, end) = day_bounds(berlin(), date("2026-10-25"));
        assert_eq!((start, end - start), (utc("2026-10-24T22:00:00Z"), Duration::hours(25)));
    }

    #[test]
    fn an_interval_may_close_at_midnight() {
        let slots = slots_of_day(&week("22:00", "24:00", 60), berlin(), date("2026-07-01"), 60);
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[1].end, utc("2026-07-01T22:00:00Z"), "24:00 CEST");
        assert_eq!(local_date(berlin(), slots[1].start), date("2026-07-01"));
    }

    #[test]
    fn zones_are_iana_names() {
        assert!(parse_zone("Europe/Berlin").is_some());
        assert!(parse_zone("UTC").is_some());
        assert!(parse_zone("Mars/Olympus").is_none());
        assert!(parse_zone("").is_none());
    }
}

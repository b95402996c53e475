//! Days (`YYYY-MM-DD`, no time zone) and inclusive periods of them, parsed strictly.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};

/// The longest period a report or a rebuild covers, in days (both ends included).
pub const MAX_DAYS: i64 = 366;

/// A calendar day. Which calendar depends on the report: sales and revenue use the UTC
/// date of the event, bookings the reservation's local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(NaiveDate);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("must be a date written YYYY-MM-DD")]
    Malformed,
}

impl Day {
    /// Only the canonical spelling (`2026-11-01`, not `2026-11-1` or `2026-11-01T00:00`).
    pub fn parse(text: &str) -> Result<Day, DayError> {
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| DayError::Malformed)?;
        let day = Day(date);
        if day.to_string() == text { Ok(day) } else { Err(DayError::Malformed) }
    }

    /// The UTC date of `at`.
    pub fn of(at: DateTime<Utc>) -> Day {
        Day(at.date_naive())
    }

    pub fn next(self) -> Option<Day> {
        self.0.succ_opt().map(Day)
    }

    /// Midnight UTC at the start of this day.
    pub fn start(self) -> DateTime<Utc> {
        self.0.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// On the wire a day is its text, `YYYY-MM-DD`.
impl schemars::JsonSchema for Day {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Day".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date" })
    }
}

/// `from..=to`, at most [`MAX_DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Day,
    pub to: Day,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("to must not be before from")]
    Reversed,
    #[error("a period covers at most {MAX_DAYS} days")]
    TooLong,
}

impl Period {
    pub fn new(from: Day, to: Day) -> Result<Period, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed);
        }
        if (to.0 - from.0).num_days() + 1 > MAX_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Period { from, to })
    }

    /// Every day of the period, in order.
    pub fn days(self) -> impl Iterator<Item = Day> {
        self.from.0.iter_days().take_while(move |d| *d <= self.to.0).map(Day)
    }

    pub fn contains(self, day: Day) -> bool {
        self.from <= day && day <= self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).expect("a day")
    }

    #[test]
    fn only_canonical_dates_parse() {
        assert_eq!(day("2026-02-28").to_string(), "2026-02-28");
        for bad in ["2026-2-28", "2026-02-30", "26-02-01", "2026-02-01T00:00:00Z", "", " 2026-02-01", "tomorrow"] {
            assert_eq!(Day::parse(bad), Err(DayError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn the_utc_date_of_an_instant_is_its_day() {
        let late: DateTime<Utc> = "2026-11-01T23:59:59.999Z".parse().expect("time");
        assert_eq!(Day::of(late), day("2026-11-01"));
        assert_eq!(Day::of(late + chrono::Duration::milliseconds(1)), day("2026-11-02"));
        assert_eq!(day("2026-11-02").start(), late + chrono::Duration::milliseconds(1));
    }

    #[test]
    fn periods_are_inclusive_ordered_and_at_most_366_days() {
        let p = Period::new(day("2026-12-30"), day("2027-01-02")).expect("period");
        let days: Vec<String> = p.days().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"]);
        assert!(p.contains(day("2027-01-01")) && !p.contains(day("2027-01-03")));
        assert_eq!(Period::new(day("2026-01-02"), day("2026-01-01")), Err(PeriodError::Reversed));
        assert!(Period::new(day("2028-01-01"), day("2028-12-31")).is_ok(), "a leap year is 366 days");
        assert_eq!(Period::new(day("2026-01-01"), day("2027-01-02")), Err(PeriodError::TooLong));
        assert_eq!(Period::new(day("2026-01-01"), day("2026-01-01")).expect("one day").days().count(), 1);
    }
}

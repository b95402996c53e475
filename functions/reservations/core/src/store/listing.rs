//! The keys of the reservations table and the listings (one Query each) read from it.

use bazaar_aws::dynamo::Item;
use chrono::{DateTime, Utc};

use crate::model::key_time;

/// gsi1 partition of the active resources.
pub const ACTIVE_RESOURCES: &str = "RESOURCES";

pub fn resource_pk(id: &str) -> String {
    format!("RESOURCE#{id}")
}

pub fn reservation_pk(id: &str) -> String {
    format!("RESERVATION#{id}")
}

pub fn slot_pk(resource_id: &str) -> String {
    format!("SLOT#{resource_id}")
}

pub fn owner_pk(owner: &str) -> String {
    format!("OWNER#{owner}")
}

pub fn customer_pk(sub: &str) -> String {
    format!("CUSTOMER#{sub}")
}

pub fn day_pk(date: &str) -> String {
    format!("DAY#{date}")
}

/// Which resources a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceListing {
    /// Every active resource (gsi1).
    Active,
    /// One owner's resources, inactive ones included (gsi2).
    Owner(String),
}

impl ResourceListing {
    pub fn index(&self) -> &'static str {
        match self {
            ResourceListing::Active => "gsi1",
            ResourceListing::Owner(_) => "gsi2",
        }
    }

    pub fn partition(&self) -> (&'static str, String) {
        match self {
            ResourceListing::Active => ("gsi1pk", ACTIVE_RESOURCES.to_owned()),
            ResourceListing::Owner(owner) => ("gsi2pk", owner_pk(owner)),
        }
    }
}

/// Which reservations a listing reads: one Query each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// One customer's reservations, latest start first (gsi2).
    Customer(String),
    /// The reservations of one owner's resources, by resource then start (gsi1); narrowed
    /// to one resource, and to `[from, to)` starts of it.
    Owner { owner: String, resource: Option<String>, range: Option<(DateTime<Utc>, DateTime<Utc>)> },
    /// Every reservation of one local date, by start (gsi3).
    Day(String),
}

impl Listing {
    pub fn index(&self) -> &'static str {
        match self {
            Listing::Owner { .. } => "gsi1",
            Listing::Customer(_) => "gsi2",
            Listing::Day(_) => "gsi3",
        }
    }

    pub fn partition(&self) -> (&'static str, String) {
        match self {
            Listing::Owner { owner, .. } => ("gsi1pk", owner_pk(owner)),
            Listing::Customer(sub) => ("gsi2pk", customer_pk(sub)),
            Listing::Day(date) => ("gsi3pk", day_pk(date)),
        }
    }

    /// The sort key attribute and the inclusive bounds a listing is narrowed to.
    pub fn sort_bounds(&self) -> Option<(&'static str, String, String)> {
        match self {
            Listing::Owner { resource: Some(resource), range: Some((from, to)), .. } => {
                Some(("gsi1sk", format!("{resource}#{}", key_time(*from)), format!("{resource}#{}", key_time(*to))))
            }
            // '~' sorts after every character of a key time.
            Listing::Owner { resource: Some(resource), range: None, .. } => {
                Some(("gsi1sk", format!("{resource}#"), format!("{resource}#~")))
            }
            _ => None,
        }
    }

    pub fn newest_first(&self) -> bool {
        matches!(self, Listing::Customer(_))
    }

    /// Whether a (client-supplied) start key lies within this listing.
    pub fn contains(&self, key: &Item) -> bool {
        let text = |attr: &str| key.get(attr).and_then(|v| v.as_s().ok()).cloned();
        let (attr, value) = self.partition();
        let in_partition = text(attr).is_some_and(|v| v == value);
        let is_reservation = text("pk").is_some_and(|pk| pk.starts_with("RESERVATION#"));
        let in_bounds = match self.sort_bounds() {
            None => true,
            Some((attr, lo, hi)) => text(attr).is_some_and(|v| lo <= v && v <= hi),
        };
        in_partition && is_reservation && in_bounds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_aws::dynamo::s;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("t").with_timezone(&Utc)
    }

    #[test]
    fn a_cursor_key_must_lie_within_its_listing() {
        let key = |gsi1pk: &str, gsi1sk: &str| {
            Item::from([
                ("pk".to_owned(), s("RESERVATION#x")),
                ("gsi1pk".to_owned(), s(gsi1pk)),
                ("gsi1sk".to_owned(), s(gsi1sk)),
            ])
        };
        let day = Some((utc("2026-01-15T00:00:00+01:00"), utc("2026-01-16T00:00:00+01:00")));
        let listing = Listing::Owner { owner: "o".into(), resource: Some("r".into()), range: day };
        assert!(listing.contains(&key("OWNER#o", "r#2026-01-15T09:00:00Z#x")));
        assert!(!listing.contains(&key("OWNER#o", "r#2026-01-16T09:00:00Z#x")), "another day");
        assert!(!listing.contains(&key("OWNER#o", "q#2026-01-15T09:00:00Z#x")), "another resource");
        assert!(!listing.contains(&key("OWNER#p", "r#2026-01-15T09:00:00Z#x")), "another owner");
        let all_of_owner = Listing::Owner { owner: "o".into(), resource: None, range: None };
        assert!(all_of_owner.contains(&key("OWNER#o", "q#2026-01-15T09:00:00Z#x")));
        assert!(!Listing::Day("2026-01-15".into()).contains(&key("OWNER#o", "r#x")));
    }
}

//! The reservations use cases, one function each, over the store. Handlers parse the
//! request or the message, call one of these with the time from their clock, and render
//! the result.

pub mod lifecycle;
pub mod reservations;
pub mod resources;

use bazaar_aws::cursor::CursorKey;
use bazaar_aws::dynamo::Item;
use serde::Serialize;

use crate::ReservationsError;

/// Who may read every reservation (front desk, admin).
pub const READ_ALL: &str = "reservations:read_all";
/// Who may check customers in.
pub const CHECK_IN: &str = "reservations:check_in";
pub use crate::resource::{MANAGE, MANAGE_ALL, MANAGE_RESOURCE};

/// How often a conditional write is retried when a concurrent change got there first.
pub(crate) const ATTEMPTS: usize = 8;

/// A page of a listing.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page", description = "One page of a listing; `next_cursor` is null on the last page.")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The start key `cursor` stands for, only if `cursors` sealed it and `belongs` accepts it
/// (a cursor of another listing is a 400, as is a forged one).
pub(crate) fn open_cursor(
    cursors: &CursorKey,
    cursor: Option<&str>,
    belongs: impl Fn(&Item) -> bool,
) -> Result<Option<Item>, ReservationsError> {
    cursors.open_scoped(cursor, belongs).map_err(|e| ReservationsError::BadRequest(e.to_string()))
}

/// `?date=YYYY-MM-DD` (400 otherwise).
pub fn parse_date(text: &str) -> Result<chrono::NaiveDate, ReservationsError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| ReservationsError::BadRequest("date must be a date YYYY-MM-DD".into()))
}

/// A short random pause before retrying a transaction that collided with another
/// (jittered so that colliding callers spread out).
pub(crate) async fn backoff(attempt: usize) {
    let jitter = (uuid::Uuid::new_v4().as_u128() % 20) as u64;
    let ms = (10u64 << attempt.min(5)) + jitter;
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

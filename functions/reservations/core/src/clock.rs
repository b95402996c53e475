//! "Now", injectable: every flow takes the time from its caller, and each function reads it
//! from its `Deps::clock`, so tests can stand on the day of a reservation (or past a hold's
//! expiry) without sleeping.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock (every deployed function).
    #[default]
    System,
    /// A fixed instant (tests).
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }
}

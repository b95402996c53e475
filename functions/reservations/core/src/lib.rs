//! The reservations service's domain and its DynamoDB store: bookable resources with
//! opening hours in their own time zone, the slots of a local day (DST-aware), slot locks
//! that make double booking impossible, idempotent booking, the reservation state machine
//! (PENDING → CONFIRMED → CHECKED_IN, or CANCELLED) and the refund rule. Function crates
//! stay thin and call into this.

pub mod booking;
pub mod clock;
pub mod error;
pub mod flows;
pub mod hours;
pub mod machine;
pub mod model;
pub mod resource;
pub mod store;

pub use clock::Clock;
pub use error::ReservationsError;
pub use machine::{Trigger, next_status};
pub use model::{Reservation, ReservationStatus, ReservationView};
pub use resource::Resource;
pub use store::{ReservationsStore, SweepDeps, TableDeps};

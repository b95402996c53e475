//! The reports service: read models built only from events (sales per day and product,
//! revenue per day and currency, bookings per resource and day), in two scopes (`ALL` and
//! each owner's `OWNER#<id>`). [`delta::apply`] says what an event adds, purely; the
//! [`store`] applies it exactly once, answers each report with one Query, and reverses a
//! period of events for a rebuild.

pub mod day;
pub mod delta;
pub mod error;
pub mod event;
pub mod query;
pub mod report;
mod rows;
pub mod store;

pub use day::{Day, Period};
pub use delta::{Delta, Key, Scope, apply};
pub use error::ReportsError;
pub use event::ReportEvent;
pub use store::{ReportsStore, TableDeps};

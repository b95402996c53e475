//! The whole Bazaar system in one process, against moto through the real AWS SDK: every
//! function's handler behind the devstack's gateway and event-source pollers. Used by the
//! saga tests and by `make bench` (the AWS requests each step of the saga makes).

pub mod api;
pub mod chaos;
pub mod counting;
pub mod openapi;
pub mod quiet;
pub mod registry;
pub mod runtime_api;
pub mod scheduler;
pub mod system;

pub use api::{Api, Reply};
pub use system::{System, SystemOptions, eventually};

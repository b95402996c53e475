//! The payments service's domain and its DynamoDB store: one transaction per order or
//! reservation (`PAYMENT#<Subject::payment_id>`), the simulated provider, the payment window,
//! cancellations of orders and reservations (failed, refunded or tombstoned, and always one
//! `CancellationSettled`), and the HMAC-signed provider webhook. Function crates
//! stay thin and call into this.

pub mod cancellation;
pub mod error;
pub mod flows;
pub mod model;
pub mod order;
pub mod reservation;
pub mod secret;
pub mod settings;
pub mod signature;
pub mod simulate;
pub mod store;

pub use error::PaymentError;
pub use model::{Payment, PaymentStatus, PaymentView};
pub use store::{PaymentsStore, ProviderDeps, TableDeps};

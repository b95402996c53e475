//! The payments service's domain and its DynamoDB store: one transaction per order
//! (`PAYMENT#<payment_id_for_order>`), the simulated provider, the payment window, and the
//! HMAC-signed provider webhook. Function crates stay thin and call into this.

pub mod error;
pub mod flows;
pub mod model;
pub mod secret;
pub mod settings;
pub mod signature;
pub mod simulate;
pub mod store;

pub use error::PaymentError;
pub use model::{Payment, PaymentStatus, PaymentView};
pub use store::{PaymentsStore, TableDeps};

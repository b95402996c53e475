//! The orders service's domain and its DynamoDB store: the product price projection,
//! idempotent order placement, the order state machine of the saga (stock → payment), and
//! listing. Function crates stay thin and call into this.

pub mod consumer;
pub mod error;
pub mod flows;
pub mod machine;
pub mod model;
pub mod place;
pub mod store;

pub use error::OrdersError;
pub use machine::{Trigger, next_status};
pub use model::{Order, OrderStatus, OrderView, Product};
pub use store::{OrdersStore, TableDeps};

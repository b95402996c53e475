//! The catalog service's domain and its DynamoDB store: products (with optimistic
//! versions and `ProductChanged` events), stock, and stock holds that reserve units for an
//! order until it is paid, cancelled or the hold expires. Function crates stay thin.

pub mod error;
pub mod flows;
pub mod holds;
pub mod model;
pub mod store;

pub use bazaar_aws::cursor::CursorKey;
pub use error::CatalogError;
pub use model::Product;
pub use store::{CatalogStore, TableDeps};

/// The inbox name of the order consumer (`PROCESSED#catalog-on-order#<event id>`).
pub const CONSUMER: &str = "catalog-on-order";

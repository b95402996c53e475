//! The auth service's domain and its DynamoDB store: accounts with argon2id passwords,
//! RS256 access tokens, rotating refresh tokens with reuse detection, password resets,
//! email verification and throttling counters. Function crates stay thin and call into this.

pub mod bootstrap;
pub mod error;
pub mod flows;
pub mod jwt_crypto;
pub mod keys;
pub mod model;
pub mod password;
pub mod roles;
pub mod settings;
pub mod store;
pub mod tokens;
pub mod verification;

pub use error::AuthError;
pub use model::{Email, User};
pub use store::AuthStore;

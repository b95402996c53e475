//! The permissions service's domain and its DynamoDB store: roles (the built-in ones and
//! those admins create) with the permissions they grant, and which roles each user holds.
//! Function crates stay thin and call into [`flows`] and [`consumer`].

pub mod consumer;
pub mod error;
pub mod flows;
pub mod model;
pub mod store;

pub use error::PermissionsError;
pub use model::{Role, RoleList, RoleView, UserRoles, UserRolesView};
pub use store::{PermissionsStore, TableDeps};

//! Permissions functions against moto through the real SDK: one test binary, grouped by topic.

mod access;
mod beyond;
mod hostile;
mod on_user;
mod roles;
mod samples;
mod support;
mod users;

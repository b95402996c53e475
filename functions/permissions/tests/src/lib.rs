//! Integration tests of the permissions functions live in `tests/`; this crate has no code of its own.

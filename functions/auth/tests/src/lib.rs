//! Integration tests of the auth functions live in `tests/`; this crate has no code of its own.

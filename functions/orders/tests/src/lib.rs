//! Integration tests of the orders functions live in `tests/`; this crate has no code of its own.

//! Integration tests of the payments functions live in `tests/`; this crate has no code of its own.

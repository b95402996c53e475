//! Integration tests of the notifications functions live in `tests/`; this crate has no code of its own.

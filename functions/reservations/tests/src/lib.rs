//! Integration tests of the reservations functions live in `tests/`; this crate has no code of its own.

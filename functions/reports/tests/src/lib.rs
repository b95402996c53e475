//! Integration tests of the reports functions live in `tests/`; this crate has no code of its own.

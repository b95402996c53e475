//! Integration tests of the catalog functions live in `tests/catalog`.

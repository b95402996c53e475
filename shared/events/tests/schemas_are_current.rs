//! The committed JSON Schemas must equal the ones generated from the Rust types.
//! Regenerate with `make schemas` (which sets UPDATE_SCHEMAS=1 for this test).

use std::path::PathBuf;

#[test]
fn committed_schemas_match_the_rust_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in bazaar_events::schema::all() {
        let path = dir.join(&name);
        let wanted = bazaar_events::schema::render(&schema);
        if update {
            std::fs::write(&path, &wanted).expect("write schema");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(wanted.as_str()) {
            stale.push(name);
        }
    }
    assert!(stale.is_empty(), "stale or missing schemas (run `make schemas`): {stale:?}");
    let committed = std::fs::read_dir(&dir).expect("schemas dir").count();
    assert_eq!(committed, bazaar_events::schema::all().len(), "a schema file has no event type");
}

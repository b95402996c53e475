//! JSON Schemas of every event's envelope, generated from the Rust types. The committed
//! copies in `shared/events/schemas/` are what other teams and tools read.

use schemars::{JsonSchema, Schema, schema_for};

use crate::{Envelope, Event};

/// File name of an event's schema: `<service>.<DetailType>.v<version>.json`.
pub fn file_name<T: Event>() -> String {
    let service = T::SOURCE.trim_start_matches("bazaar.");
    format!("{service}.{}.v{}.json", T::DETAIL_TYPE, T::VERSION)
}

fn entry<T: Event + JsonSchema>() -> (String, Schema) {
    let mut schema = schema_for!(Envelope<T>);
    schema.insert("title".into(), format!("{} ({})", T::DETAIL_TYPE, T::SOURCE).into());
    (file_name::<T>(), schema)
}

/// Every event of the contract with its schema, in a stable order.
pub fn all() -> Vec<(String, Schema)> {
    macro_rules! entries {
        ($($event:ty),+ $(,)?) => {
            vec![$(entry::<$event>()),+]
        };
    }
    contract!(entries)
}

/// The text committed for a schema (pretty JSON with a trailing newline).
pub fn render(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

//! SAM `Globals`: merged into every resource of the section's type the way SAM does it —
//! maps merge key-wise with the resource winning, lists concatenate, scalars are replaced.

use serde_json::{Map, Value as Json};

use super::yaml::is_intrinsic_key;

/// Merges `Globals.Function` and `Globals.HttpApi` into the resources' properties.
pub(crate) fn apply(globals: Option<&Json>, resources: &mut Map<String, Json>) {
    let Some(globals) = globals else { return };
    for (section, kind) in [("Function", "AWS::Serverless::Function"), ("HttpApi", "AWS::Serverless::HttpApi")] {
        let Some(global) = globals.get(section) else { continue };
        for resource in resources.values_mut() {
            if resource.get("Type").and_then(Json::as_str) != Some(kind) {
                continue;
            }
            let Some(object) = resource.as_object_mut() else { continue };
            let local = object.remove("Properties").unwrap_or_else(|| Json::Object(Map::new()));
            object.insert("Properties".to_string(), merge(global, local));
        }
    }
}

/// An intrinsic is a value, not a map to merge into.
fn is_plain_map(map: &Map<String, Json>) -> bool {
    !(map.len() == 1 && map.keys().all(|k| is_intrinsic_key(k)))
}

pub(crate) fn merge(global: &Json, local: Json) -> Json {
    match (global, local) {
        (Json::Object(g), Json::Object(mut l)) if is_plain_map(g) && is_plain_map(&l) => {
            for (key, g_value) in g {
                let merged = match l.remove(key) {
                    Some(l_value) => merge(g_value, l_value),
                    None => g_value.clone(),
                };
                l.insert(key.clone(), merged);
            }
            Json::Object(l)
        }
        (Json::Array(g), Json::Array(l)) => Json::Array(g.iter().cloned().chain(l).collect()),
        (_, local) => local,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn function_wins_key_wise() {
        let global = json!({"Timeout": 10, "Environment": {"Variables": {"A": "g", "B": "g"}}, "Layers": ["x"]});
        let local = json!({"Timeout": 3, "Environment": {"Variables": {"B": "l"}}, "Layers": ["y"]});
        let merged = merge(&global, local);
        assert_eq!(
            merged,
            json!({"Timeout": 3, "Environment": {"Variables": {"A": "g", "B": "l"}}, "Layers": ["x", "y"]})
        );
    }

    #[test]
    fn intrinsics_are_replaced_not_merged() {
        let merged = merge(&json!({"X": {"Ref": "A"}}), json!({"X": {"Fn::Sub": "b"}}));
        assert_eq!(merged, json!({"X": {"Fn::Sub": "b"}}));
    }
}

//! Template parameters: defaults, overrides (as `sam deploy --parameter-overrides`) and
//! the constraints CloudFormation checks (AllowedValues, AllowedPattern, Min/Max…).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::PlanError;
use super::intrinsics::scalar_string;

/// Resolved parameters: raw strings (for `Stack::parameters`) and values for `Ref`
/// (a list for list types).
pub(crate) struct Params {
    pub raw: BTreeMap<String, String>,
    pub values: BTreeMap<String, Json>,
}

fn bad(name: &str, message: impl Into<String>) -> PlanError {
    PlanError::Parameter { name: name.to_string(), message: message.into() }
}

pub(crate) fn resolve(
    declared: Option<&Map<String, Json>>,
    overrides: &BTreeMap<String, String>,
) -> Result<Params, PlanError> {
    let empty = Map::new();
    let declared = declared.unwrap_or(&empty);
    if let Some(unknown) = overrides.keys().find(|k| !declared.contains_key(*k)) {
        return Err(bad(unknown, "overridden but not declared in the template"));
    }
    let mut params = Params { raw: BTreeMap::new(), values: BTreeMap::new() };
    for (name, spec) in declared {
        let value = match overrides.get(name) {
            Some(v) => v.clone(),
            None => spec
                .get("Default")
                .and_then(scalar_string)
                .ok_or_else(|| bad(name, "has no Default and no override"))?,
        };
        check(name, spec, &value)?;
        let kind = spec.get("Type").and_then(Json::as_str).unwrap_or("String");
        let typed = if kind == "CommaDelimitedList" || kind.starts_with("List<") {
            Json::Array(value.split(',').map(|s| Json::String(s.trim().to_string())).collect())
        } else {
            Json::String(value.clone())
        };
        params.values.insert(name.clone(), typed);
        params.raw.insert(name.clone(), value);
    }
    Ok(params)
}

/// Checks a value against the parameter's declared constraints.
fn check(name: &str, spec: &Json, value: &str) -> Result<(), PlanError> {
    if let Some(allowed) = spec.get("AllowedValues").and_then(Json::as_array)
        && !allowed.iter().filter_map(scalar_string).any(|a| a == value)
    {
        return Err(bad(name, format!("{value:?} is not one of the AllowedValues")));
    }
    if let Some(pattern) = spec.get("AllowedPattern").and_then(Json::as_str) {
        // CloudFormation matches the whole value.
        let re = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| bad(name, format!("AllowedPattern is not a valid regex: {e}")))?;
        if !re.is_match(value) {
            return Err(bad(name, format!("{value:?} does not match AllowedPattern {pattern}")));
        }
    }
    if spec.get("Type").and_then(Json::as_str) == Some("Number") {
        let n: f64 = value.trim().parse().map_err(|_| bad(name, format!("{value:?} is not a number")))?;
        let bound = |key: &str| spec.get(key).and_then(scalar_string).and_then(|s| s.parse::<f64>().ok());
        if bound("MinValue").is_some_and(|min| n < min) || bound("MaxValue").is_some_and(|max| n > max) {
            return Err(bad(name, format!("{value} is outside MinValue/MaxValue")));
        }
    }
    let len = value.chars().count() as u64;
    let limit = |key: &str| spec.get(key).and_then(Json::as_u64);
    if limit("MinLength").is_some_and(|min| len < min) || limit("MaxLength").is_some_and(|max| len > max) {
        return Err(bad(name, "length is outside MinLength/MaxLength"));
    }
    Ok(())
}

//! Typed reads of resolved properties. Values may arrive as strings (a `Ref` to a
//! `Number` parameter is a string in CloudFormation), so numbers and booleans parse both.

use serde_json::Value as Json;

use super::PlanError;
use super::intrinsics::scalar_string;

type Result<T> = std::result::Result<T, PlanError>;

fn expected(key: &str, what: &str, got: &Json) -> PlanError {
    PlanError::invalid(key, format!("expected {what}, got {got}"))
}

/// A scalar value as a string.
pub(crate) fn as_string(v: &Json, at: &str) -> Result<String> {
    scalar_string(v).ok_or_else(|| expected(at, "a string", v))
}

pub(crate) fn string(v: &Json, key: &str) -> Result<Option<String>> {
    v.get(key).map(|x| scalar_string(x).ok_or_else(|| expected(key, "a string", x))).transpose()
}

pub(crate) fn required_string(v: &Json, key: &str) -> Result<String> {
    string(v, key)?.ok_or_else(|| PlanError::invalid(key, "is required"))
}

fn parsed<T: std::str::FromStr>(v: &Json, key: &str, what: &str) -> Result<Option<T>> {
    match v.get(key) {
        None => Ok(None),
        Some(x) => scalar_string(x).and_then(|s| s.trim().parse().ok()).map(Some).ok_or_else(|| expected(key, what, x)),
    }
}

pub(crate) fn u32_or(v: &Json, key: &str, default: u32) -> Result<u32> {
    Ok(parsed(v, key, "a non-negative integer")?.unwrap_or(default))
}

pub(crate) fn opt_u32(v: &Json, key: &str) -> Result<Option<u32>> {
    parsed(v, key, "a non-negative integer")
}

pub(crate) fn opt_i32(v: &Json, key: &str) -> Result<Option<i32>> {
    parsed(v, key, "an integer")
}

pub(crate) fn opt_i64(v: &Json, key: &str) -> Result<Option<i64>> {
    parsed(v, key, "an integer")
}

pub(crate) fn opt_f64(v: &Json, key: &str) -> Result<Option<f64>> {
    parsed(v, key, "a number")
}

pub(crate) fn bool_or(v: &Json, key: &str, default: bool) -> Result<bool> {
    Ok(parsed(v, key, "a boolean")?.unwrap_or(default))
}

/// A list of strings; a single string counts as a one-element list.
pub(crate) fn strings(v: &Json, key: &str) -> Result<Vec<String>> {
    match v.get(key) {
        None => Ok(Vec::new()),
        Some(Json::Array(items)) => {
            items.iter().map(|x| scalar_string(x).ok_or_else(|| expected(key, "a list of strings", x))).collect()
        }
        Some(x) => scalar_string(x).map(|s| vec![s]).ok_or_else(|| expected(key, "a list of strings", x)),
    }
}

/// `FunctionResponseTypes` contains `ReportBatchItemFailures`.
pub(crate) fn reports_item_failures(v: &Json) -> Result<bool> {
    Ok(strings(v, "FunctionResponseTypes")?.iter().any(|t| t == "ReportBatchItemFailures"))
}

/// `FilterCriteria.Filters[].Pattern`, each a JSON document in a string.
pub(crate) fn filters(v: &Json) -> Result<Vec<Json>> {
    let Some(filters) = v.pointer("/FilterCriteria/Filters").and_then(Json::as_array) else {
        return Ok(Vec::new());
    };
    filters
        .iter()
        .map(|f| match f.get("Pattern") {
            Some(Json::String(s)) => serde_json::from_str(s)
                .map_err(|e| PlanError::invalid("FilterCriteria", format!("Pattern is not JSON: {e}"))),
            // A pattern written as a YAML map is already structured.
            Some(p @ Json::Object(_)) => Ok(p.clone()),
            _ => Err(PlanError::invalid("FilterCriteria", "each filter needs a Pattern")),
        })
        .collect()
}

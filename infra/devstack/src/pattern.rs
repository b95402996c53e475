//! EventBridge / Lambda event-filter pattern matching, used to decide which records an
//! event source mapping hands to a function (moto does not filter for us).
//!
//! Supported: nested objects, arrays of allowed values (numbers compare numerically),
//! `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (value, list, `prefix`,
//! `suffix`, `equals-ignore-case`), `numeric`, `exists`, `wildcard` and `$or`. An array in
//! the event matches when any of its elements does.

use serde_json::{Map, Value};

/// Whether `event` matches `pattern` (an EventBridge-style pattern object).
pub fn matches(pattern: &Value, event: &Value) -> bool {
    pattern.as_object().is_some_and(|p| match_object(p, Some(event)))
}

/// Whether `event` passes a source's filters: no filters pass everything, otherwise any
/// one filter must match (Lambda ORs the filters of an event source mapping).
pub fn matches_any(filters: &[Value], event: &Value) -> bool {
    filters.is_empty() || filters.iter().any(|f| matches(f, event))
}

/// Parses `FilterCriteria` (`{"Filters": [{"Pattern": "<json>"}]}`) into patterns.
pub fn parse_filters(criteria: &Value) -> Result<Vec<Value>, serde_json::Error> {
    let filters = criteria.get("Filters").and_then(Value::as_array).into_iter().flatten();
    filters
        .filter_map(|f| f.get("Pattern"))
        .map(|p| match p {
            Value::String(s) => serde_json::from_str(s),
            other => Ok(other.clone()),
        })
        .collect()
}

fn match_object(pattern: &Map<String, Value>, event: Option<&Value>) -> bool {
    pattern.iter().all(|(key, rule)| {
        if key == "$or" {
            let alternatives = rule.as_array().into_iter().flatten();
            return alternatives.filter_map(Value::as_object).any(|alt| match_object(alt, event));
        }
        let field = event.and_then(|e| e.get(key));
        match rule {
            Value::Array(matchers) => match_field(matchers, field),
            Value::Object(nested) => match field {
                Some(Value::Array(items)) => items.iter().any(|item| match_object(nested, Some(item))),
                other => match_object(nested, other),
            },
            // Leaves must be arrays; anything else never matches (EventBridge rejects it).
            _ => false,
        }
    })
}

/// A field against its list of allowed matchers (any may match).
fn match_field(matchers: &[Value], field: Option<&Value>) -> bool {
    matchers.iter().any(|m| {
        // `exists` is about the field, not each element of an array value.
        if let Some(exists) = m.get("exists").and_then(Value::as_bool) {
            return field.is_some() == exists;
        }
        match field {
            None => false,
            Some(Value::Array(items)) => items.iter().any(|v| leaf(m, v)),
            Some(v) => leaf(m, v),
        }
    })
}

fn leaf(matcher: &Value, value: &Value) -> bool {
    let Value::Object(op) = matcher else { return equal(matcher, value) };
    let Some((name, arg)) = op.iter().next() else { return false };
    let text = value.as_str();
    match name.as_str() {
        "prefix" => text.is_some_and(|s| affix(arg, s, |s, p| s.starts_with(p))),
        "suffix" => text.is_some_and(|s| affix(arg, s, |s, p| s.ends_with(p))),
        "equals-ignore-case" => text.zip(arg.as_str()).is_some_and(|(s, a)| s.to_lowercase() == a.to_lowercase()),
        "anything-but" => anything_but(arg, value),
        "numeric" => value.as_f64().is_some_and(|n| numeric(arg, n)),
        "wildcard" => text.zip(arg.as_str()).is_some_and(|(s, p)| wildcard(p, s)),
        _ => false,
    }
}

/// Scalars are equal; numbers compare by value (`5` equals `5.0`).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// `prefix`/`suffix` with a plain string or `{"equals-ignore-case": …}`.
fn affix(arg: &Value, s: &str, test: fn(&str, &str) -> bool) -> bool {
    match arg {
        Value::String(p) => test(s, p),
        Value::Object(o) => o
            .get("equals-ignore-case")
            .and_then(Value::as_str)
            .is_some_and(|p| test(&s.to_lowercase(), &p.to_lowercase())),
        _ => false,
    }
}

fn anything_but(arg: &Value, value: &Value) -> bool {
    match arg {
        Value::Array(excluded) => !excluded.iter().any(|x| equal(x, value)),
        Value::Object(op) => {
            let Some(s) = value.as_str() else { return false };
            let lower = s.to_lowercase();
            let any_ci = |v: &Value| match v {
                Value::Array(items) => items.iter().filter_map(Value::as_str).any(|x| x.to_lowercase() == lower),
                other => other.as_str().is_some_and(|x| x.to_lowercase() == lower),
            };
            match op.iter().next() {
                Some((k, p)) if k == "prefix" => !affix(p, s, |s, p| s.starts_with(p)),
                Some((k, p)) if k == "suffix" => !affix(p, s, |s, p| s.ends_with(p)),
                Some((k, p)) if k == "equals-ignore-case" => !any_ci(p),
                _ => false,
            }
        }
        scalar => !equal(scalar, value),
    }
}

/// `[">", 0, "<=", 5]`: every (operator, bound) pair holds.
fn numeric(arg: &Value, n: f64) -> bool {
    let Some(terms) = arg.as_array() else { return false };
    if terms.is_empty() || terms.len() % 2 != 0 {
        return false;
    }
    terms.chunks(2).all(|pair| {
        let (Some(op), Some(bound)) = (pair[0].as_str(), pair[1].as_f64()) else { return false };
        match op {
            "=" => n == bound,
            "<" => n < bound,
            "<=" => n <= bound,
            ">" => n > bound,
            ">=" => n >= bound,
            _ => false,
        }
    })
}

/// `*` matches any run of characters.
fn wildcard(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return s == pattern;
    }
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(pattern: Value, event: Value) -> bool {
        matches(&pattern, &event)
    }

    #[test]
    fn exact_values_and_nesting() {
        let p = json!({"source": ["bazaar.auth"], "detail": {"kind": ["a", "b"]}});
        assert!(m(p.clone(), json!({"source": "bazaar.auth", "detail": {"kind": "b", "x": 1}})));
        assert!(!m(p.clone(), json!({"source": "bazaar.auth", "detail": {"kind": "c"}})));
        assert!(!m(p, json!({"source": "bazaar.auth"})));
    }

    #[test]
    fn numbers_booleans_and_null() {
        assert!(m(json!({"n": [5]}), json!({"n": 5.0})));
        assert!(!m(json!({"n": ["5"]}), json!({"n": 5})));
        assert!(m(json!({"b": [true]}), json!({"b": true})));
        assert!(m(json!({"z": [null]}), json!({"z": null})));
        assert!(!m(json!({"z": [null]}), json!({})));
    }

    #[test]
    fn prefix_and_suffix() {
        assert!(m(json!({"pk": [{"prefix": "OUTBOX#"}]}), json!({"pk": "OUTBOX#1"})));
        assert!(!m(json!({"pk": [{"prefix": "OUTBOX#"}]}), json!({"pk": "USER#1"})));
        assert!(m(json!({"f": [{"suffix": ".png"}]}), json!({"f": "a.png"})));
        assert!(m(json!({"f": [{"prefix": {"equals-ignore-case": "ab"}}]}), json!({"f": "ABc"})));
        assert!(!m(json!({"f": [{"suffix": ".png"}]}), json!({"f": 3})));
    }

    #[test]
    fn anything_but_forms() {
        assert!(m(json!({"s": [{"anything-but": "x"}]}), json!({"s": "y"})));
        assert!(!m(json!({"s": [{"anything-but": ["x", "y"]}]}), json!({"s": "y"})));
        assert!(!m(json!({"n": [{"anything-but": [1, 2]}]}), json!({"n": 2.0})));
        assert!(m(json!({"s": [{"anything-but": {"prefix": "a"}}]}), json!({"s": "ba"})));
        assert!(!m(json!({"s": [{"anything-but": {"prefix": "a"}}]}), json!({"s": "ab"})));
        assert!(!m(json!({"s": [{"anything-but": {"equals-ignore-case": ["X"]}}]}), json!({"s": "x"})));
        assert!(!m(json!({"s": [{"anything-but": "x"}]}), json!({})));
    }

    #[test]
    fn numeric_ranges() {
        let p = json!({"n": [{"numeric": [">", 0, "<=", 5]}]});
        assert!(m(p.clone(), json!({"n": 5})));
        assert!(m(p.clone(), json!({"n": 0.5})));
        assert!(!m(p.clone(), json!({"n": 0})));
        assert!(!m(p.clone(), json!({"n": "3"})));
        assert!(m(json!({"n": [{"numeric": ["=", 3]}]}), json!({"n": 3})));
    }

    #[test]
    fn exists() {
        assert!(m(json!({"a": [{"exists": true}]}), json!({"a": 1})));
        assert!(!m(json!({"a": [{"exists": true}]}), json!({})));
        assert!(m(json!({"a": [{"exists": false}]}), json!({})));
        assert!(m(json!({"x": {"a": [{"exists": false}]}}), json!({})));
        assert!(!m(json!({"a": [{"exists": false}]}), json!({"a": [1]})));
    }

    #[test]
    fn equals_ignore_case_and_wildcard() {
        assert!(m(json!({"s": [{"equals-ignore-case": "HeLLo"}]}), json!({"s": "hello"})));
        assert!(m(json!({"s": [{"wildcard": "a*c*e"}]}), json!({"s": "abcde"})));
        assert!(!m(json!({"s": [{"wildcard": "a*c"}]}), json!({"s": "abd"})));
    }

    #[test]
    fn or_and_arrays_in_events() {
        let p = json!({"$or": [{"a": [1]}, {"b": [2]}]});
        assert!(m(p.clone(), json!({"b": 2})));
        assert!(!m(p, json!({"a": 2, "b": 1})));
        assert!(m(json!({"tags": ["x"]}), json!({"tags": ["w", "x"]})));
        assert!(m(json!({"items": {"k": ["v"]}}), json!({"items": [{"k": "u"}, {"k": "v"}]})));
    }

    #[test]
    fn dynamodb_outbox_filter() {
        let filters = parse_filters(&json!({"Filters": [{"Pattern":
            r#"{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}}"#}]}))
        .expect("valid filters");
        let record = |name: &str, pk: &str| json!({"eventName": name, "dynamodb": {"NewImage": {"pk": {"S": pk}}}});
        assert!(matches_any(&filters, &record("INSERT", "OUTBOX#1")));
        assert!(!matches_any(&filters, &record("MODIFY", "OUTBOX#1")));
        assert!(!matches_any(&filters, &record("INSERT", "USER#1")));
        assert!(matches_any(&[], &record("REMOVE", "x")));
    }
}

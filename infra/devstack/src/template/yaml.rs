//! YAML → JSON normalisation: CloudFormation's short tags (`!Ref x`, `!Sub …`) become the
//! long form (`{"Ref": x}`, `{"Fn::Sub": …}`), so the resolver only knows one syntax.

use serde_json::{Map, Value as Json};
use serde_norway::Value as Yaml;

use super::PlanError;

/// Intrinsic functions the resolver evaluates (long-form keys).
pub(crate) const SUPPORTED: &[&str] = &[
    "Ref",
    "Fn::Sub",
    "Fn::GetAtt",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    // Rule functions (only meaningful in `Rules`, which the devstack checks too).
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::If",
    "Fn::Equals",
    "Fn::Not",
    "Fn::And",
    "Fn::Or",
];

/// Parses a template and converts it to JSON in long form.
pub(crate) fn parse(text: &str) -> Result<Json, PlanError> {
    let yaml: Yaml = serde_norway::from_str(text)?;
    let json = to_json(yaml, "")?;
    check_intrinsics(&json, "")?;
    Ok(json)
}

fn to_json(value: Yaml, at: &str) -> Result<Json, PlanError> {
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(b),
        Yaml::Number(n) => number(&n),
        Yaml::String(s) => Json::String(s),
        Yaml::Sequence(items) => Json::Array(items.into_iter().map(|v| to_json(v, at)).collect::<Result<_, _>>()?),
        Yaml::Mapping(mapping) => {
            let mut out = Map::new();
            for (k, v) in mapping {
                let key = scalar_key(k, at)?;
                let child = to_json(v, &format!("{at}.{key}"))?;
                out.insert(key, child);
            }
            Json::Object(out)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let key = match name {
                "Ref" | "Condition" => name.to_string(),
                _ => format!("Fn::{name}"),
            };
            let mut out = Map::new();
            out.insert(key, to_json(tagged.value, at)?);
            Json::Object(out)
        }
    })
}

fn number(n: &serde_norway::Number) -> Json {
    if let Some(i) = n.as_i64() {
        Json::from(i)
    } else if let Some(u) = n.as_u64() {
        Json::from(u)
    } else {
        n.as_f64().and_then(serde_json::Number::from_f64).map_or(Json::Null, Json::Number)
    }
}

fn scalar_key(key: Yaml, at: &str) -> Result<String, PlanError> {
    match key {
        Yaml::String(s) => Ok(s),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        other => Err(PlanError::invalid(at, format!("unsupported mapping key {other:?}"))),
    }
}

/// Whether `key` names an intrinsic function (`Ref` or `Fn::…`).
pub(crate) fn is_intrinsic_key(key: &str) -> bool {
    key == "Ref" || key.starts_with("Fn::")
}

/// Rejects any intrinsic the resolver does not implement, wherever it appears, so that an
/// unsupported function is reported up front rather than silently left unresolved.
fn check_intrinsics(value: &Json, at: &str) -> Result<(), PlanError> {
    match value {
        Json::Object(map) => {
            if map.len() == 1
                && let Some((key, _)) = map.iter().next()
                && is_intrinsic_key(key)
                && !SUPPORTED.contains(&key.as_str())
            {
                return Err(PlanError::invalid(at, format!("intrinsic function {key} is not supported")));
            }
            map.iter().try_for_each(|(k, v)| check_intrinsics(v, &join_path(at, k)))
        }
        Json::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| check_intrinsics(v, &format!("{at}[{i}]")))
        }
        _ => Ok(()),
    }
}

fn join_path(at: &str, key: &str) -> String {
    if at.is_empty() { key.to_string() } else { format!("{at}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_long_form() {
        let json = parse("a: !Ref X\nb: !GetAtt T.Arn\nc: !Sub [x, {}]\nd: {Fn::Join: ['', [a]]}\n").expect("parses");
        assert_eq!(json["a"], serde_json::json!({"Ref": "X"}));
        assert_eq!(json["b"], serde_json::json!({"Fn::GetAtt": "T.Arn"}));
        assert_eq!(json["c"], serde_json::json!({"Fn::Sub": ["x", {}]}));
        assert_eq!(json["d"], serde_json::json!({"Fn::Join": ["", ["a"]]}));
    }

    #[test]
    fn unsupported_intrinsics_are_errors() {
        for text in ["x:\n  y: !ImportValue other-stack-output\n", "x: {Fn::FindInMap: [a, b, c]}\n"] {
            let err = parse(text).expect_err("unsupported");
            assert!(err.to_string().contains("is not supported"), "{err}");
            assert!(err.to_string().starts_with('x'), "{err}");
        }
    }
}

//! The OpenAPI document: current with the code, one operation per template route (same
//! method, path and authorizer), and internally sound. `make openapi` rewrites the committed
//! copy (UPDATE_OPENAPI=1 for the first test).

use std::collections::BTreeSet;

use bazaar_system::openapi;
use bazaar_testkit::{template_path, workspace_root};
use devstack::template::{PlanOptions, plan};
use serde_json::Value;

#[test]
fn openapi_document_is_current() {
    let path = workspace_root().join(openapi::COMMITTED);
    let wanted = bazaar_openapi::render(&openapi::document());
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &wanted).expect("writes the document");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == wanted, "{} is stale: run `make openapi`", openapi::COMMITTED);
}

#[test]
fn the_document_has_exactly_the_template_routes() {
    let stack = plan(&template_path(), &PlanOptions::default()).expect("template plans");
    let template: BTreeSet<(String, String, bool)> = stack
        .functions
        .iter()
        .flat_map(|f| f.http_routes.iter())
        .map(|r| (r.method.clone(), r.path.clone(), r.authorizer.is_none()))
        .collect();
    let documented: BTreeSet<(String, String, bool)> =
        openapi::operations().iter().map(|op| (op.method().to_owned(), op.path().to_owned(), op.is_public())).collect();
    let missing: Vec<_> = template.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&template).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "(method, path, public) in the template but not documented: {missing:?}; documented but not in the template: {extra:?}"
    );
    assert_eq!(documented.len(), openapi::operations().len(), "a route is documented twice");
    assert!(template.len() >= 51, "{} routes", template.len());
}

fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("$ref", Some(target)) => found.push(target),
                    _ => refs(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_error_is_a_problem() {
    let document = openapi::document();
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("{target} is not local"));
        assert!(document.pointer(pointer).is_some(), "{target} does not resolve");
    }
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path}: no success answer");
            for (status, answer) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &answer["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/Problem", "{method} {path} {status}");
                }
            }
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["in"] == "path" {
                    let name = param["name"].as_str().expect("name");
                    assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: {{{name}}}");
                    assert!(param["description"].is_string(), "{method} {path}: {{{name}}} is not described");
                }
            }
        }
    }
}

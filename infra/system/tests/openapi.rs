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

/// The schema at `pointer` (`/items/0/id`) inside `schema`, following `$ref`s, `items` and
/// `properties`; `None` when the schema does not say the value is there.
fn schema_at<'a>(document: &'a Value, schema: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut here = resolve(document, schema);
    for segment in pointer.split('/').skip(1) {
        here = if segment.parse::<usize>().is_ok() {
            resolve(document, here.get("items")?)
        } else {
            resolve(document, here.get("properties")?.get(segment)?)
        };
    }
    Some(here)
}

/// `schema` itself, or what its `$ref` (or, for an `Option`, the non-null branch of its
/// `anyOf`) names.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(target) = schema["$ref"].as_str() {
        return resolve(document, document.pointer(target.trim_start_matches('#')).unwrap_or(&Value::Null));
    }
    if schema.get("properties").is_some() {
        return schema;
    }
    match schema["anyOf"].as_array().and_then(|branches| branches.iter().find(|b| b["type"] != "null")) {
        Some(branch) => resolve(document, branch),
        None => schema,
    }
}

/// Where a runtime expression of a link from `source` (answering `status`) reads, and whether
/// the document says a value is there.
fn expression_resolves(document: &Value, source: &Value, status: &str, expression: &str) -> bool {
    if let Some(pointer) = expression.strip_prefix("$response.body#") {
        let schema = &source["responses"][status]["content"]["application/json"]["schema"];
        return schema_at(document, schema, pointer).is_some();
    }
    if let Some(pointer) = expression.strip_prefix("$request.body#") {
        let schema = &source["requestBody"]["content"]["application/json"]["schema"];
        return schema_at(document, schema, pointer).is_some();
    }
    if let Some(name) = expression.strip_prefix("$request.path.") {
        return source["parameters"].as_array().into_iter().flatten().any(|p| p["in"] == "path" && p["name"] == name);
    }
    false
}

/// Every expression (string starting with `$`) in a link's body, with the target body's
/// schema it fills.
fn body_expressions<'a>(body: &'a Value, at: String, found: &mut Vec<(String, &'a str)>) {
    match body {
        Value::String(text) if text.starts_with('$') => found.push((at, text)),
        Value::Object(map) => map.iter().for_each(|(k, v)| body_expressions(v, format!("{at}/{k}"), found)),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| body_expressions(v, format!("{at}/{i}"), found))
        }
        _ => {}
    }
}

/// Every link names an operation of the document, fills only parameters and body fields it
/// has, and reads only values the source's answer (or request) is documented to hold: a
/// link the fuzzer's stateful phase could not follow fails here, not silently there.
#[test]
fn every_link_leads_to_an_operation_with_values_the_answer_holds() {
    let document = openapi::document();
    let mut operations = std::collections::BTreeMap::new();
    for item in document["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            operations.insert(op["operationId"].as_str().expect("operationId").to_owned(), op);
        }
    }
    let mut links = 0;
    for (id, source) in &operations {
        for (status, answer) in source["responses"].as_object().expect("responses") {
            for (name, link) in answer["links"].as_object().into_iter().flatten() {
                links += 1;
                let at = format!("{id} {status} link {name}");
                let target_id = link["operationId"].as_str().expect("operationId");
                let target = operations.get(target_id).unwrap_or_else(|| panic!("{at}: no operation {target_id}"));
                let parameters = target["parameters"].as_array().cloned().unwrap_or_default();
                for (param, expression) in link["parameters"].as_object().into_iter().flatten() {
                    assert!(
                        parameters.iter().any(|p| p["name"] == *param),
                        "{at}: {target_id} has no parameter {param}"
                    );
                    if let Some(expression) = expression.as_str().filter(|e| e.starts_with('$')) {
                        assert!(expression_resolves(&document, source, status, expression), "{at}: {expression}");
                    }
                }
                let mut filled = Vec::new();
                body_expressions(&link["requestBody"], String::new(), &mut filled);
                let body_schema = &target["requestBody"]["content"]["application/json"]["schema"];
                for (field, expression) in filled {
                    assert!(
                        schema_at(&document, body_schema, &field).is_some(),
                        "{at}: {target_id}'s body has no {field}"
                    );
                    assert!(expression_resolves(&document, source, status, expression), "{at}: {expression}");
                }
                let path_params = parameters.iter().filter(|p| p["in"] == "path");
                for param in path_params {
                    assert!(
                        link["parameters"].get(param["name"].as_str().expect("name")).is_some(),
                        "{at}: {} is not given",
                        param["name"]
                    );
                }
            }
        }
    }
    assert!(links >= 40, "{links} links");
}

//! The function list, from template.yaml and the templates it nests. Generates, for the crates that run functions in
//! process (`devstack::registry`):
//! - `register_functions!(b, <service> | all)`: registers each function of a service (the
//!   first part of its binary name) or every function on the registry builder `b`, by kind:
//!   behind an HttpApi route, the HTTP API's Lambda authorizer, or fed by events;
//! - `http_functions!(m, args…)`: `m!(args…, crate, …)` with every HTTP function's crate.
//!
//! The crate names are the template's `BuildProperties.Binary` (`auth-login` → `auth_login`).
//! So adding a function is a template resource, its crate, and a dependency line in the
//! crates that run it (infra/system/tests/layout.rs checks those).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_norway::Value;

/// Every template of the tree rooted at `path`: itself, then each nested stack whose
/// `AWS::Serverless::Application` Location is a local template (relative to its parent).
fn templates(path: &Path, out: &mut Vec<(PathBuf, Value)>) {
    println!("cargo::rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let template: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let children: Vec<PathBuf> = template["Resources"]
        .as_mapping()
        .into_iter()
        .flat_map(|resources| resources.values())
        .filter(|r| r["Type"].as_str() == Some("AWS::Serverless::Application"))
        .filter_map(|r| r["Properties"]["Location"].as_str())
        .map(|location| path.parent().expect("a template has a folder").join(location))
        .collect();
    out.push((path.to_owned(), template));
    for child in children {
        templates(&child, out);
    }
}

/// The resource `text` names by `${Resource.Arn}` (in a `!Sub`) or `Resource.Arn` (a
/// `!GetAtt`'s argument).
fn arn_of(text: &str) -> Option<String> {
    let mut names = text.split("${").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name));
    let name = if text.contains("${") { names.find(|n| n.ends_with(".Arn"))? } else { text };
    name.strip_suffix(".Arn").map(str::to_owned)
}

/// The string inside a `!GetAtt` or `!Sub` tag.
fn tagged(value: &Value, tags: &[&str]) -> Option<String> {
    match value {
        Value::Tagged(t) if tags.contains(&t.tag.to_string().trim_start_matches('!')) => {
            t.value.as_str().map(str::to_owned)
        }
        _ => None,
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut tree = Vec::new();
    templates(&root.join("../../template.yaml"), &mut tree);
    let resources: Vec<(&Value, &Value)> = tree
        .iter()
        .flat_map(|(path, t)| {
            t["Resources"].as_mapping().unwrap_or_else(|| panic!("{} has no Resources", path.display())).iter()
        })
        .collect();
    let of_type = |kind: &'static str| resources.iter().filter(move |(_, r)| r["Type"].as_str() == Some(kind));

    // The function of every Lambda authorizer: SAM's (`FunctionArn: !GetAtt F.Arn`) or an
    // AWS::ApiGatewayV2::Authorizer's (`AuthorizerUri: !Sub …${F.Arn}/invocations`).
    let sam_authorizers = of_type("AWS::Serverless::HttpApi")
        .filter_map(|(_, api)| api["Properties"]["Auth"]["Authorizers"].as_mapping())
        .flat_map(|authorizers| authorizers.values())
        .filter_map(|a| tagged(&a["FunctionArn"], &["GetAtt"]));
    let v2_authorizers = of_type("AWS::ApiGatewayV2::Authorizer")
        .filter_map(|(_, a)| tagged(&a["Properties"]["AuthorizerUri"], &["Sub"]));
    let authorizers: Vec<String> = sam_authorizers.chain(v2_authorizers).filter_map(|t| arn_of(&t)).collect();
    // The function behind every AWS::ApiGatewayV2::Integration (`IntegrationUri: !GetAtt F.Arn`).
    let integrated: Vec<String> = of_type("AWS::ApiGatewayV2::Integration")
        .filter_map(|(_, i)| tagged(&i["Properties"]["IntegrationUri"], &["GetAtt", "Sub"]))
        .filter_map(|t| arn_of(&t))
        .collect();

    // (kind macro, crate) per service, in template order.
    let mut services: BTreeMap<String, Vec<(&str, String)>> = BTreeMap::new();
    let mut http = Vec::new();
    for (name, resource) in of_type("AWS::Serverless::Function") {
        let name = name.as_str().expect("resource names are strings");
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no Metadata.BuildProperties.Binary"));
        let (service, _) = binary.split_once('-').unwrap_or_else(|| panic!("{binary} is not <service>-<name>"));
        let krate = binary.replace('-', "_");
        let routed = integrated.iter().any(|f| f == name)
            || resource["Properties"]["Events"]
                .as_mapping()
                .is_some_and(|events| events.values().any(|e| e["Type"].as_str() == Some("HttpApi")));
        let kind = if routed {
            http.push(krate.clone());
            "http_fn"
        } else if authorizers.iter().any(|a| a == name) {
            "authorizer_fn"
        } else {
            "event_fn"
        };
        services.entry(service.to_owned()).or_default().push((kind, krate));
    }
    assert!(!http.is_empty() && services.len() > 1, "template.yaml and its nested stacks list no functions");

    let register = |functions: &mut dyn Iterator<Item = &(&str, String)>| -> String {
        functions.map(|(kind, krate)| format!(" $crate::{kind}!($b, {krate});")).collect()
    };
    let mut arms = format!("    ($b:ident, all) => {{{} }};\n", register(&mut services.values().flatten()));
    for (service, functions) in &services {
        arms.push_str(&format!("    ($b:ident, {service}) => {{{} }};\n", register(&mut functions.iter())));
    }
    let out = format!(
        "// Generated by infra/devstack/build.rs from template.yaml.\n\
         /// Registers every function of a service (or `all`) on a registry builder (`registry!`).\n\
         #[doc(hidden)]\n#[macro_export]\nmacro_rules! register_functions {{\n{arms}}}\n\
         /// Every function behind an HttpApi route, from template.yaml: `http_functions!(m, args…)` is\n\
         /// `m!(args…, crate, …)`.\n\
         #[macro_export]\nmacro_rules! http_functions {{\n    ($m:ident $(, $arg:tt)*) => {{ $m!($($arg,)* {}) }};\n}}\n",
        http.join(", ")
    );
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("functions.rs"), out).expect("OUT_DIR is writable");
}

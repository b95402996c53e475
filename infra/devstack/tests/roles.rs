//! The role the devstack creates in moto for each function (src/template/role.rs) is the one
//! SAM generates for it: samtranslator itself (`scripts/sam.py roles`) transforms template.yaml,
//! and for every function the AWS managed policies, the inline policies' names and each
//! statement's effect and actions must be the same.

use std::collections::BTreeMap;
use std::process::Command;

use bazaar_testkit::{template_path, venv_tool, workspace_root};
use serde_json::{Value, json};

/// A role's shape: managed policy names and, by inline policy name, (Effect, sorted Actions)
/// per statement.
fn shape(role: &devstack::model::Role) -> Value {
    let managed: Vec<String> = role
        .managed_policy_arns
        .iter()
        .map(|arn| arn.split_once(":policy/").map_or(arn.as_str(), |(_, name)| name).to_owned())
        .collect();
    let policies: BTreeMap<&str, Vec<Value>> = role
        .policies
        .iter()
        .map(|(name, document)| {
            let statements = match &document["Statement"] {
                Value::Array(list) => list.clone(),
                one => vec![one.clone()],
            };
            let shapes = statements
                .iter()
                .map(|s| {
                    let mut actions: Vec<String> = match &s["Action"] {
                        Value::Array(list) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                        Value::String(one) => vec![one.clone()],
                        _ => Vec::new(),
                    };
                    actions.sort();
                    json!([s["Effect"], actions])
                })
                .collect();
            (name.as_str(), shapes)
        })
        .collect();
    json!({ "managed": managed, "policies": policies })
}

#[test]
fn every_functions_role_is_the_one_sam_generates() {
    let script = workspace_root().join("infra/devstack/scripts/sam.py");
    let out = Command::new(venv_tool("python"))
        .arg(&script)
        .arg("roles")
        .arg(template_path())
        .output()
        .expect("run sam.py roles");
    assert!(out.status.success(), "sam.py roles: {}", String::from_utf8_lossy(&out.stderr));
    let sam: BTreeMap<String, Value> = serde_json::from_slice(&out.stdout).expect("sam.py prints JSON");

    let stack = devstack::up::plan_stack(&template_path(), "dev", "http://127.0.0.1:1").expect("the template plans");
    let ours: BTreeMap<String, Value> =
        stack.functions.iter().map(|f| (f.logical_id.clone(), shape(&f.role))).collect();
    assert_eq!(ours.len(), sam.len(), "functions: ours {:?}, SAM's {:?}", ours.keys(), sam.keys());
    for (id, role) in &sam {
        assert_eq!(ours.get(id), Some(role), "the role of {id}: ours (left) and SAM's (right)");
    }
}

#[test]
fn a_role_with_a_policy_template_the_devstack_does_not_know_is_refused() {
    let template = "Parameters:\n  Stage:\n    Type: String\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        Binary: auth-health\n    Properties:\n      Policies:\n        - DynamoDBCrudPolicy:\n            TableName: t\n";
    let path = std::env::temp_dir().join(format!("bazaar-roles-{}.yaml", std::process::id()));
    std::fs::write(&path, template).expect("write the template");
    let planned = devstack::up::plan_stack(&path, "dev", "http://127.0.0.1:1");
    let _ = std::fs::remove_file(&path);
    let err = planned.expect_err("refused");
    assert!(format!("{err:#}").contains("DynamoDBCrudPolicy"), "{err:#}");
}

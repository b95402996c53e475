//! Every stack fits in CloudFormation: its resources counted after SAM's own transform
//! (samtranslator, `scripts/sam.py resources`), as `sam deploy` would create them, nested
//! stacks included. CloudFormation refuses a stack of more than 500 resources, and the
//! limit cannot be raised; ours is 200, so that every service can double.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use bazaar_testkit::{template_path, venv_tool, workspace_root};
use serde_json::Value;

/// CloudFormation's resources per stack.
const CLOUDFORMATION_LIMIT: u64 = 500;
/// Ours: every stack can double and still deploy.
const HEADROOM_LIMIT: u64 = CLOUDFORMATION_LIMIT * 2 / 5;

/// Each stack of the tree rooted at `template`, counted: {path: {"total", "by_type"}}.
fn counted(template: &Path) -> BTreeMap<String, Value> {
    let script = workspace_root().join("infra/devstack/scripts/sam.py");
    let out = Command::new(venv_tool("python"))
        .arg(&script)
        .arg("resources")
        .arg(template)
        .output()
        .expect("run sam.py resources");
    assert!(out.status.success(), "sam.py resources: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("sam.py prints JSON")
}

#[test]
fn a_nested_stack_is_counted_as_a_stack_of_its_own() {
    let root = workspace_root().join("infra/devstack/tests/fixtures/nested/root.yaml");
    let stacks = counted(&root);
    let child = root.parent().expect("a folder").join("orders/template.yaml");
    assert_eq!(stacks.len(), 2, "{stacks:?}");
    assert_eq!(stacks[&root.display().to_string()]["by_type"]["AWS::CloudFormation::Stack"], 1);
    assert_eq!(stacks[&child.display().to_string()]["by_type"]["AWS::Lambda::Function"], 2);
}

#[test]
fn every_stack_can_double_and_still_fit_in_cloudformation() {
    let stacks = counted(&template_path());
    let root = stacks.get(&template_path().display().to_string()).expect("the root stack is counted");
    assert!(root["by_type"]["AWS::Lambda::Function"].as_u64() > Some(0), "the transform made no function: {root}");
    // The root and one stack per service folder.
    let services = std::fs::read_dir(workspace_root().join("functions"))
        .expect("functions/")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("template.yaml").exists())
        .count();
    assert!(services >= 8, "every service has its template: {services}");
    assert_eq!(stacks.len(), services + 1, "the root nests every service's template: {:?}", stacks.keys());
    for (stack, counted) in &stacks {
        let total = counted["total"].as_u64().expect("a count");
        assert!(
            total <= HEADROOM_LIMIT,
            "{stack} has {total} resources after the SAM transform, more than {HEADROOM_LIMIT} (so that it can \
             double within CloudFormation's {CLOUDFORMATION_LIMIT}): split it, or merge what buys nothing: {}",
            counted["by_type"]
        );
    }
}

//! Every stack fits in CloudFormation: its resources counted after SAM's own transform
//! (samtranslator, `scripts/sam.py resources`), as `sam deploy` would create them, nested
//! stacks included. CloudFormation refuses a stack of more than 500 resources, and the
//! limit cannot be raised.

use std::collections::BTreeMap;
use std::process::Command;

use bazaar_testkit::{template_path, venv_tool, workspace_root};
use serde_json::Value;

/// CloudFormation's resources per stack.
const CLOUDFORMATION_LIMIT: u64 = 500;

#[test]
fn every_stack_has_fewer_resources_than_cloudformation_allows() {
    let script = workspace_root().join("infra/devstack/scripts/sam.py");
    let out = Command::new(venv_tool("python"))
        .arg(&script)
        .arg("resources")
        .arg(template_path())
        .output()
        .expect("run sam.py resources");
    assert!(out.status.success(), "sam.py resources: {}", String::from_utf8_lossy(&out.stderr));
    let stacks: BTreeMap<String, Value> = serde_json::from_slice(&out.stdout).expect("sam.py prints JSON");
    let root = stacks.get(&template_path().display().to_string()).expect("the root stack is counted");
    assert!(root["by_type"]["AWS::Lambda::Function"].as_u64() > Some(0), "the transform made no function: {root}");
    for (stack, counted) in &stacks {
        let total = counted["total"].as_u64().expect("a count");
        assert!(
            total <= CLOUDFORMATION_LIMIT,
            "{stack} has {total} resources after the SAM transform; CloudFormation refuses more than \
             {CLOUDFORMATION_LIMIT}: {}",
            counted["by_type"]
        );
    }
}

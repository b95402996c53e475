//! `sam build` compiles nothing: every function's `BuildMethod: makefile` runs the Makefile's
//! `build-<LogicalId>`, which unpacks the zip `make build` made for that function. Driven with
//! the real SAM CLI (from .venv, offline) over zips made here, one per template function, so
//! the test needs no release build.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bazaar_testkit::{template_path, venv_tool, workspace_root};
use devstack::template::{PlanOptions, plan, read};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bazaar-sam-build-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A lambda dir as `make build ARCH=<arch>` leaves it: `<bin>/bootstrap.zip` for every
/// function, whose bootstrap prints the binary's name, and the `ARCH` marker. One Python
/// process writes every zip (a process per zip was a tenth of this test's time).
fn fake_lambda_dir(root: &Path, binaries: &[String], arch: &str) -> PathBuf {
    const ZIP_EACH: &str = r##"
import sys, zipfile
lambda_dir = sys.argv[1]
for name in sys.argv[2:]:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o100755 << 16
    with zipfile.ZipFile(f"{lambda_dir}/{name}/bootstrap.zip", "w") as zipped:
        zipped.writestr(info, f"#!/bin/sh\necho {name}\n")
"##;
    let lambda = root.join("lambda");
    for bin in binaries {
        std::fs::create_dir_all(lambda.join(bin)).expect("bin dir");
    }
    let zipped = Command::new(venv_tool("python3"))
        .args(["-c", ZIP_EACH])
        .arg(&lambda)
        .args(binaries)
        .status()
        .expect("python3 zipfile");
    assert!(zipped.success());
    std::fs::write(lambda.join("ARCH"), format!("{arch}\n")).expect("ARCH");
    lambda
}

fn sam_build(lambda: &Path, build_dir: &Path, arch: &str) -> Output {
    let venv_bin = workspace_root().join(".venv/bin");
    let path = format!("{}:{}", venv_bin.display(), std::env::var("PATH").unwrap_or_default());
    Command::new(venv_tool("sam"))
        .args(["build", "--config-file", "infra/samconfig.toml", "--build-dir"])
        .arg(build_dir)
        .current_dir(workspace_root())
        .env("PATH", path)
        .env("SAM_CLI_TELEMETRY", "0")
        .env("LAMBDA_DIR", lambda)
        .env("ARCH", arch)
        .output()
        .expect("run sam build")
}

/// Every template function: (logical id, binary).
fn functions() -> Vec<(String, String)> {
    let stack =
        plan(&template_path(), &PlanOptions { moto_endpoint: "http://127.0.0.1:4566".into(), ..Default::default() })
            .expect("template plans");
    stack.functions.iter().map(|f| (f.logical_id.clone(), f.binary.clone())).collect()
}

/// Each stack of the tree (`None` for the root, else its Application's logical id) and the
/// logical ids of its functions.
fn stacks() -> Vec<(Option<String>, Vec<String>)> {
    let functions_of = |template: &serde_json::Value| -> Vec<String> {
        let resources = template["Resources"].as_object().expect("Resources");
        let functions = resources.iter().filter(|(_, r)| r["Type"] == "AWS::Serverless::Function");
        functions.map(|(id, _)| id.clone()).collect()
    };
    let root = read(&template_path()).expect("the root template");
    let mut out = vec![(None, functions_of(&root))];
    for (app, resource) in root["Resources"].as_object().expect("Resources") {
        if resource["Type"] == "AWS::Serverless::Application" {
            let location = resource["Properties"]["Location"].as_str().expect("a local Location");
            let child = read(&workspace_root().join(location)).expect("the nested template");
            out.push((Some(app.clone()), functions_of(&child)));
        }
    }
    out
}

fn binaries() -> Vec<String> {
    functions().into_iter().map(|(_, b)| b).collect()
}

/// What sam build printed, both streams.
fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn sam_build_unpacks_the_zips_of_make_build_for_every_function() {
    let functions = functions();
    let binaries: Vec<String> = functions.iter().map(|(_, b)| b.clone()).collect();
    let root = scratch("ok");
    let lambda = fake_lambda_dir(&root, &binaries, "arm64");
    let build_dir = root.join("build");

    let out = sam_build(&lambda, &build_dir, "arm64");
    assert!(out.status.success(), "sam build failed:\n{}", said(&out));

    // The root's functions are built beside its template, a nested stack's in the folder of
    // its Application (with its built template), as `sam deploy` expects them.
    let mut built_functions = 0;
    for (folder, ids) in stacks() {
        let dir = folder.as_ref().map_or(build_dir.clone(), |app| build_dir.join(app));
        let built = std::fs::read_to_string(dir.join("template.yaml")).expect("built template");
        if let Some(app) = &folder {
            let root_template = std::fs::read_to_string(build_dir.join("template.yaml")).expect("built root");
            assert!(root_template.contains(&format!("Location: {app}/template.yaml")), "the root nests {app}'s build");
        }
        for logical_id in ids {
            let bin = &functions.iter().find(|(id, _)| *id == logical_id).expect("a planned function").1;
            let bootstrap = dir.join(&logical_id).join("bootstrap");
            let text = std::fs::read_to_string(&bootstrap).unwrap_or_else(|e| panic!("{}: {e}", bootstrap.display()));
            assert_eq!(text, format!("#!/bin/sh\necho {bin}\n"), "{logical_id} got another function's code");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&bootstrap).expect("metadata").permissions().mode();
                assert_eq!(mode & 0o111, 0o111, "{logical_id}'s bootstrap is not executable ({mode:o})");
            }
            assert!(
                built.contains(&format!("CodeUri: {logical_id}\n")),
                "the built template does not point {logical_id} at its artifact"
            );
            built_functions += 1;
        }
    }
    assert_eq!(built_functions, functions.len(), "every planned function is built in its stack");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn sam_build_refuses_zips_built_for_another_architecture() {
    let root = scratch("arch");
    let lambda = fake_lambda_dir(&root, &binaries(), "x86_64");

    let out = sam_build(&lambda, &root.join("build"), "arm64");
    assert!(!out.status.success(), "sam build accepted x86_64 zips for an arm64 stack");
    let said = said(&out);
    assert!(said.contains("was built for x86_64, not arm64: make build ARCH=arm64"), "unclear refusal:\n{said}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn sam_build_names_a_function_make_build_did_not_build() {
    let mut binaries = binaries();
    let missing = binaries.remove(binaries.iter().position(|b| b == "orders-place").expect("orders-place"));
    let root = scratch("missing");
    let lambda = fake_lambda_dir(&root, &binaries, "arm64");

    let out = sam_build(&lambda, &root.join("build"), "arm64");
    assert!(!out.status.success(), "sam build succeeded without {missing}'s zip");
    let said = said(&out);
    assert!(said.contains("orders-place:") && said.contains("run make build first"), "unclear failure:\n{said}");
    let _ = std::fs::remove_dir_all(&root);
}

//! Every function crate (a crate under functions/<service>/ with a `src/main.rs`) has
//! exactly one function resource in template.yaml, named after it, and every function
//! resource has its crate. Every function has sample events in events/.

use std::collections::BTreeMap;
use std::path::Path;

use bazaar_testkit::{template_path, workspace_root};
use devstack::template::{PlanOptions, plan};

/// `orders-place` → `OrdersPlaceFunction` (STYLE.md's naming rule).
fn resource_name(crate_name: &str) -> String {
    let mut name: String = crate_name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    name.push_str("Function");
    name
}

/// Function crates: (package name, folder), from the manifests on disk.
fn function_crates(root: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut crates = Vec::new();
    for service in std::fs::read_dir(root.join("functions")).expect("functions/").flatten() {
        for dir in std::fs::read_dir(service.path()).expect("service dir").flatten() {
            if !dir.path().join("src/main.rs").exists() {
                continue;
            }
            let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).expect("Cargo.toml");
            let name = manifest
                .lines()
                .find_map(|l| l.strip_prefix("name = ").map(|v| v.trim_matches('"').to_owned()))
                .expect("package name");
            crates.push((name, dir.path()));
        }
    }
    crates.sort();
    crates
}

#[test]
fn function_crates_and_template_functions_match_one_to_one() {
    let root = workspace_root();
    let stack =
        plan(&template_path(), &PlanOptions { moto_endpoint: "http://127.0.0.1:4566".into(), ..Default::default() })
            .expect("template plans");
    let mut by_binary: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &stack.functions {
        by_binary.entry(f.binary.as_str()).or_default().push(f.logical_id.as_str());
    }
    let crates = function_crates(&root);
    assert!(crates.len() >= 13, "found only {crates:?}");
    for (name, dir) in &crates {
        // The Makefile lists function packages from the folders: functions/<service>/<name>/
        // must be the package <service>-<name>.
        let folder = dir.strip_prefix(root.join("functions")).expect("under functions/");
        let expected: Vec<String> = folder.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        assert_eq!(name, &expected.join("-"), "the crate in {} must be named {}", dir.display(), expected.join("-"));
        let resources = by_binary.get(name.as_str()).cloned().unwrap_or_default();
        assert_eq!(
            resources,
            vec![resource_name(name).as_str()],
            "crate {name} needs exactly one resource {}",
            resource_name(name)
        );
    }
    for binary in by_binary.keys() {
        assert!(crates.iter().any(|(n, _)| n == binary), "template function {binary} has no crate");
    }
}

#[test]
fn every_function_has_sample_events() {
    let root = workspace_root();
    for (name, dir) in function_crates(&root) {
        let service = dir.parent().and_then(|p| p.file_name()).expect("service").to_string_lossy().into_owned();
        let function = dir.file_name().expect("dir").to_string_lossy().into_owned();
        let events = root.join("events").join(&service).join(&function);
        let count = std::fs::read_dir(&events)
            .map(|d| d.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "json")).count());
        assert!(count.unwrap_or(0) > 0, "{name}: no sample events in {}", events.display());
    }
}

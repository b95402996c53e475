//! Every function crate (a crate under functions/<service>/ with a `src/main.rs`) has
//! exactly one function resource in template.yaml, named after it, and every function
//! resource has its crate. Every function has sample events in events/. A service's
//! functions are in its own template, functions/<service>/template.yaml, which the root nests.

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

/// The functions the root template holds itself: the API's own (its documents and its
/// authorizer, which every service's routes name).
const ROOT_FUNCTIONS: &[&str] = &["api-openapi", "api-docs", "auth-authorizer"];

#[test]
fn each_services_functions_are_in_its_own_template() {
    let root = workspace_root();
    let files = devstack::template::files(&template_path()).expect("the tree of templates");
    let mut nested = Vec::new();
    for file in &files {
        let template = devstack::template::read(file).expect("a template");
        let binaries: Vec<String> = template["Resources"]
            .as_object()
            .expect("Resources")
            .values()
            .filter(|r| r["Type"] == "AWS::Serverless::Function")
            .map(|r| r["Metadata"]["BuildProperties"]["Binary"].as_str().expect("a binary").to_owned())
            .collect();
        if file == &template_path() {
            for binary in &binaries {
                assert!(ROOT_FUNCTIONS.contains(&binary.as_str()), "{binary} belongs in its service's template");
            }
            continue;
        }
        let relative = file.strip_prefix(&root).expect("in the workspace");
        let service = relative.iter().nth(1).expect("functions/<service>/template.yaml").to_string_lossy();
        assert_eq!(relative, Path::new("functions").join(service.as_ref()).join("template.yaml"));
        for binary in &binaries {
            assert!(binary.starts_with(&format!("{service}-")), "{binary} is in {}", relative.display());
        }
        nested.push(service.into_owned());
    }
    // Every service folder with a function of its own has its template, nested by the root.
    for (name, _) in function_crates(&root) {
        let service = name.split('-').next().expect("<service>-<name>");
        if !ROOT_FUNCTIONS.contains(&name.as_str()) {
            assert!(nested.iter().any(|s| s == service), "functions/{service}/template.yaml is not nested by the root");
        }
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

/// `cargo lambda watch` gives each function its own role's credentials only if the
/// function's Cargo.toml names its role file (what `devstack up` and `make env` write).
#[test]
fn every_function_crate_names_its_role_file_for_cargo_lambda_watch() {
    let root = workspace_root();
    for (name, dir) in function_crates(&root) {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
        let env_file = manifest
            .lines()
            .skip_while(|l| l.trim() != "[package.metadata.lambda.watch]")
            .skip(1)
            .take_while(|l| !l.starts_with('['))
            .find_map(|l| l.strip_prefix("env_file = "))
            .map(|v| v.trim().trim_matches('"'));
        let expected = devstack::env::role_file(Path::new(""), &name);
        assert_eq!(
            env_file.map(Path::new),
            Some(expected.as_path()),
            "{name}: [package.metadata.lambda.watch] env_file must be {}",
            expected.display()
        );
    }
}

/// The output of a cargo command run in the workspace root; it must succeed.
fn cargo(args: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new(env!("CARGO"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|e| panic!("cargo {args:?}: {e}"));
    assert!(output.status.success(), "cargo {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// The function list is template.yaml's: infra/system's build.rs derives the in-process
/// registry from it, and the crates that must name every function in their manifests
/// (cargo has no other way) are checked against the function crates here: bazaar-system
/// depends on every one, each `<service>-tests` (where a service has tests/) on every one of its service.
#[test]
fn the_system_and_each_services_tests_depend_on_exactly_their_function_crates() {
    let metadata: serde_json::Value =
        serde_json::from_slice(&cargo(&["metadata", "--no-deps", "--format-version", "1", "--offline"]))
            .expect("metadata JSON");
    let functions = function_crates(&workspace_root());
    let depends_on = |package: &str, kind: Option<&str>| -> Vec<String> {
        let package = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .find(|p| p["name"] == package)
            .unwrap_or_else(|| panic!("no package {package}"));
        let mut names: Vec<String> = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].as_str() == kind)
            .filter_map(|d| d["name"].as_str())
            .filter(|d| functions.iter().any(|(f, _)| f == d))
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    };
    let all: Vec<String> = functions.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(depends_on("bazaar-system", None), all, "infra/system/Cargo.toml must depend on every function crate");
    let mut services: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, dir) in &functions {
        let service = dir.parent().and_then(|p| p.file_name()).expect("service").to_string_lossy().into_owned();
        services.entry(service).or_default().push(name.clone());
    }
    let root = workspace_root();
    for (service, crates) in
        services.iter().filter(|(service, _)| root.join("functions").join(service).join("tests").exists())
    {
        let tests = format!("{service}-tests");
        assert_eq!(
            &depends_on(&tests, Some("dev")),
            crates,
            "functions/{service}/tests/Cargo.toml must list every function crate of {service} as a dev-dependency"
        );
    }
    assert!(services.len() >= 9, "found only {services:?}");
}

/// Whether any of these Rust sources holds a test.
/// Whether any of `files` holds a test function (a test attribute outside a `macro_rules!`
/// body: a macro that writes tests for its callers is not a test of its own crate).
fn holds_tests(files: &[std::path::PathBuf]) -> bool {
    files.iter().any(|f| {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let mut in_macro = false;
        text.lines().any(|line| {
            if line.contains("macro_rules!") {
                in_macro = true;
            } else if in_macro && line == "}" {
                in_macro = false;
            }
            !in_macro && (line.contains("#[test]") || line.contains("#[tokio::test"))
        })
    })
}

fn rust_files(dir: &Path, skip: &[std::path::PathBuf], out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if skip.contains(&path) {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, skip, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Domain code speaks in domain errors: in a service's core, `Problem` (problem+json, the
/// wire) appears only in `error.rs`, the one mapping of the service's errors to HTTP.
#[test]
fn cores_build_problems_only_in_their_error_mapping() {
    let root = workspace_root();
    let mut checked = 0;
    for service in std::fs::read_dir(root.join("functions")).expect("functions/").flatten() {
        let src = service.path().join("core/src");
        if !src.exists() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&src, &[src.join("error.rs")], &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source");
            let words = text.split(|c: char| !(c.is_alphanumeric() || c == '_'));
            assert!(
                !words.into_iter().any(|w| w == "Problem" || w == "ApiError"),
                "{}: return the service's error type; only error.rs maps it to a Problem",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "checked only {checked} files");
}

/// Every test harness is a binary linked with its crate's SDK clients: `make test` builds one
/// only for a library or binary whose sources hold tests (`test = false` on the others), and
/// none for doctests (the project has none; documentation examples are ```text).
#[test]
fn only_targets_with_tests_build_test_harnesses() {
    let metadata: serde_json::Value =
        serde_json::from_slice(&cargo(&["metadata", "--no-deps", "--format-version", "1", "--offline"]))
            .expect("metadata JSON");
    let mut checked = 0;
    for target in
        metadata["packages"].as_array().expect("packages").iter().flat_map(|p| p["targets"].as_array()).flatten()
    {
        let kind = target["kind"][0].as_str().unwrap_or_default();
        let src = std::path::PathBuf::from(target["src_path"].as_str().expect("src_path"));
        let name = target["name"].as_str().unwrap_or_default();
        let tests = match kind {
            "lib" => {
                let dir = src.parent().expect("src/");
                let mut files = Vec::new();
                rust_files(dir, &[dir.join("main.rs"), dir.join("bin")], &mut files);
                assert_eq!(target["doctest"], false, "{name}: set `doctest = false` under [lib]");
                holds_tests(&files)
            }
            "bin" => holds_tests(std::slice::from_ref(&src)),
            _ => continue,
        };
        assert_eq!(
            target["test"].as_bool(),
            Some(tests),
            "{name} ({kind}, {}): `test` must be {tests}: its sources {} tests",
            src.display(),
            if tests { "hold" } else { "hold no" }
        );
        checked += 1;
    }
    assert!(checked > 150, "checked only {checked} targets");
}

/// `package version features` for every dependency outside the workspace that the
/// workspace's build with these edge kinds resolves.
fn resolved_features(edges: &str) -> BTreeMap<String, String> {
    let root = workspace_root();
    let tree = cargo(&["tree", "--workspace", "--offline", "--prefix", "none", "-e", edges, "-f", "{p}|{f}"]);
    String::from_utf8_lossy(&tree)
        .lines()
        .filter(|l| !l.contains(&*root.to_string_lossy()))
        .filter_map(|l| l.trim_end_matches(" (*)").split_once('|'))
        .map(|(package, features)| (package.to_owned(), features.to_owned()))
        .collect()
}

/// A dependency the tests turn more features on in than the binaries is compiled twice by
/// `make test` (once for the binaries, once for the test harnesses), with everything that
/// depends on it: for uuid or sha2, the whole AWS SDK. So a dev-dependency may add packages
/// of its own but change no feature of one the binaries use.
#[test]
fn dev_dependencies_change_no_feature_of_the_binaries_dependencies() {
    let binaries = resolved_features("normal,build");
    let tests = resolved_features("normal,build,dev");
    assert!(binaries.keys().any(|p| p.starts_with("aws-sdk-dynamodb ")), "{binaries:?}");
    let changed: Vec<String> = binaries
        .iter()
        .filter_map(|(package, features)| {
            let with_tests = tests.get(package)?;
            (with_tests != features).then(|| format!("{package}: [{features}] in binaries, [{with_tests}] in tests"))
        })
        .collect();
    assert!(changed.is_empty(), "turn the same features on in a normal dependency:\n{}", changed.join("\n"));
}

//! Function environments: the template's resolved variables plus what points the AWS SDK
//! at moto. `cargo lambda watch --env-file` gives every function the same variables, so
//! the union across functions must be conflict-free.

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::{Function, REGION, Stack};

/// Two functions give one variable different values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} is {first_value:?} in {first} but {second_value:?} in {second}; one env file cannot serve both")]
pub struct EnvConflict {
    pub variable: String,
    pub first: String,
    pub first_value: String,
    pub second: String,
    pub second_value: String,
}

/// The variables that send every AWS SDK call to moto with moto's dummy credentials.
fn local_aws(moto_endpoint: &str) -> [(&'static str, String); 5] {
    [
        ("AWS_ENDPOINT_URL", moto_endpoint.to_string()),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_DEFAULT_REGION", REGION.to_string()),
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
    ]
}

/// One function's environment when run locally.
pub fn function_env(_stack: &Stack, f: &Function, moto_endpoint: &str) -> BTreeMap<String, String> {
    let mut env = f.environment.clone();
    env.extend(local_aws(moto_endpoint).map(|(k, v)| (k.to_string(), v)));
    env
}

/// The union of every function's environment, or the first conflict.
pub fn union_env(stack: &Stack, moto_endpoint: &str) -> Result<BTreeMap<String, String>, EnvConflict> {
    let mut union: BTreeMap<String, String> = BTreeMap::new();
    // Which function set each variable first, to name both sides of a conflict.
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for f in &stack.functions {
        for (key, value) in function_env(stack, f, moto_endpoint) {
            match union.get(&key) {
                Some(existing) if existing != &value => {
                    return Err(EnvConflict {
                        first: owner.get(&key).copied().unwrap_or_default().to_string(),
                        first_value: existing.clone(),
                        second: f.logical_id.clone(),
                        second_value: value,
                        variable: key,
                    });
                }
                Some(_) => {}
                None => {
                    owner.insert(key.clone(), &f.logical_id);
                    union.insert(key, value);
                }
            }
        }
    }
    Ok(union)
}

/// Writes `KEY=VALUE` lines (creating the parent directory), the format of
/// `cargo lambda watch --env-file`.
pub fn write_env_file(path: &Path, env: &BTreeMap<String, String>) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = String::new();
    for (key, value) in env {
        anyhow::ensure!(!value.contains('\n'), "{key} has a newline, which an env file cannot hold");
        text.push_str(&format!("{key}={value}\n"));
    }
    std::fs::write(path, text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(id: &str, vars: &[(&str, &str)]) -> Function {
        Function {
            logical_id: id.to_string(),
            binary: id.to_lowercase(),
            memory_mb: 128,
            timeout_seconds: 3,
            environment: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            http_routes: Vec::new(),
            sqs_sources: Vec::new(),
            stream_sources: Vec::new(),
            schedules: Vec::new(),
        }
    }

    #[test]
    fn conflicts_name_both_functions() {
        let stack =
            Stack { functions: vec![function("A", &[("X", "1")]), function("B", &[("X", "2")])], ..Stack::default() };
        let conflict = union_env(&stack, "http://m").expect_err("conflict");
        assert_eq!((conflict.variable.as_str(), conflict.first.as_str(), conflict.second.as_str()), ("X", "A", "B"));
    }

    #[test]
    fn union_adds_local_aws_settings() {
        let stack = Stack { functions: vec![function("A", &[("X", "1")])], ..Stack::default() };
        let env = union_env(&stack, "http://m").expect("no conflict");
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://m");
        assert_eq!(env["X"], "1");
    }
}

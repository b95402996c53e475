//! Function environments: the template's resolved variables plus what points the AWS SDK
//! at moto. `cargo lambda watch --env-file` gives every function the same variables, so
//! the union across functions must be conflict-free. Credentials are not among them: each
//! function's own role's are in its role file ([`write_role_files`]), which `cargo lambda
//! watch` adds for that function alone (`[package.metadata.lambda.watch] env_file` in the
//! function's Cargo.toml).

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

/// The variables that send every AWS SDK call to moto.
fn local_aws(moto_endpoint: &str) -> [(&'static str, String); 3] {
    [
        ("AWS_ENDPOINT_URL", moto_endpoint.to_string()),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_DEFAULT_REGION", REGION.to_string()),
    ]
}

/// Where function `binary`'s role file is, below the working directory of `cargo lambda
/// watch` (what each function crate's `[package.metadata.lambda.watch] env_file` names).
pub fn role_file(watch_dir: &Path, binary: &str) -> std::path::PathBuf {
    watch_dir.join(ROLES_DIR).join(format!("{binary}.env"))
}

/// The folder of the role files, relative to `cargo lambda watch`'s working directory.
pub const ROLES_DIR: &str = ".bazaar/roles";

/// Writes each function's role credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, as Lambda sets them) to its role file below `watch_dir`, readable
/// by this user alone; a role file left from another run is removed first, so no function
/// runs with credentials moto no longer knows.
pub fn write_role_files(watch_dir: &Path, roles: &crate::provision::iam::FunctionConfigs) -> anyhow::Result<()> {
    let dir = watch_dir.join(ROLES_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    for (binary, credentials) in roles.iter() {
        let mut env = BTreeMap::new();
        env.insert("AWS_ACCESS_KEY_ID".to_owned(), credentials.access_key_id().to_owned());
        env.insert("AWS_SECRET_ACCESS_KEY".to_owned(), credentials.secret_access_key().to_owned());
        if let Some(token) = credentials.session_token() {
            env.insert("AWS_SESSION_TOKEN".to_owned(), token.to_owned());
        }
        let path = role_file(watch_dir, binary);
        write_env_file(&path, &env)?;
        restrict(&path)?;
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    Ok(std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?)
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> anyhow::Result<()> {
    Ok(())
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
    std::fs::write(path, env_file_text(env)?)?;
    Ok(())
}

/// `KEY=VALUE` lines as cargo lambda's env-file reader parses them: a value with whitespace,
/// a quote, `#` or `=` (a session token's base64) is single-quoted.
fn env_file_text(env: &BTreeMap<String, String>) -> anyhow::Result<String> {
    let mut text = String::new();
    for (key, value) in env {
        anyhow::ensure!(!value.contains('\n'), "{key} has a newline, which an env file cannot hold");
        let plain = !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || "'`\"#=".contains(c));
        if plain {
            text.push_str(&format!("{key}={value}\n"));
        } else {
            anyhow::ensure!(!value.contains('\''), "{key} has both a character to quote and a quote");
            text.push_str(&format!("{key}='{value}'\n"));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(id: &str, vars: &[(&str, &str)]) -> Function {
        Function {
            environment: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Function::new(id, &id.to_lowercase())
        }
    }

    #[test]
    fn values_an_env_file_reader_would_split_are_quoted() {
        let env: BTreeMap<String, String> = [("A", "http://m:1/x"), ("B", "tok+en/=="), ("C", "two words")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        assert_eq!(env_file_text(&env).expect("text"), "A=http://m:1/x\nB='tok+en/=='\nC='two words'\n");
        let quote: BTreeMap<String, String> = [("D".to_owned(), "it's =".to_owned())].into();
        assert!(env_file_text(&quote).is_err());
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

//! `make fuzz` (and the bounded run in `make test`): schemathesis against a running API's
//! own `GET /openapi.json`, logged in as the seeded admin, with infra/schemathesis.toml's
//! checks: no 5xx, every answer as the document declares it.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::Context as _;

/// The environment variable infra/schemathesis.toml reads the access token from.
pub const TOKEN_VAR: &str = "BAZAAR_FUZZ_TOKEN";

#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// e.g. `http://127.0.0.1:3000`
    pub api: String,
    /// Test cases per operation and phase.
    pub max_examples: u32,
    /// schemathesis phases, comma-separated (`examples,coverage,fuzzing`).
    pub phases: String,
    /// Reproducible runs.
    pub seed: Option<u64>,
    /// Where schemathesis writes its JUnit report (relative to the repo root, or absolute).
    /// It is also schemathesis' working directory; keep it under `target/`, see [`command`].
    pub report_dir: PathBuf,
}

/// The schemathesis invocation for `options`, with `token` in its environment.
///
/// It runs in the report directory, not in the repo: schemathesis and Hypothesis write their
/// caches (`.schemathesis/`, `.hypothesis/`) into the working directory, and `cargo lambda
/// watch` restarts every running function on a change in the tree it watches (anything the
/// root .gitignore does not name), losing the invocations in flight: their requests then
/// never get an answer. `target/` is ignored.
pub fn command(root: &Path, schemathesis: &Path, token: &str, options: &FuzzOptions) -> Command {
    let api = options.api.trim_end_matches('/');
    let work_dir = root.join(&options.report_dir);
    let mut cmd = Command::new(schemathesis);
    cmd.current_dir(&work_dir)
        .arg("--no-color")
        .arg("--config-file")
        .arg(root.join("infra/schemathesis.toml"))
        .arg("run")
        .arg(format!("{api}/openapi.json"))
        .args(["--url", api])
        .args(["--max-examples", &options.max_examples.to_string()])
        .args(["--phases", &options.phases])
        .args(["--workers", "2"])
        // Locally, cargo lambda watch starts a function on its first request and argon2 runs in
        // a debug build: a slow answer is not a wrong one (schemathesis waits 10 s by default).
        .args(["--request-timeout", "60"])
        .args(["--report", "junit"])
        .arg("--report-dir")
        .arg(&work_dir)
        .env(TOKEN_VAR, token);
    if let Some(seed) = options.seed {
        cmd.args(["--seed", &seed.to_string()]);
    }
    cmd
}

/// Logs in as `email` and runs schemathesis to the end; its exit status says whether the API
/// held.
pub async fn run(
    root: &Path,
    schemathesis: &Path,
    email: &str,
    password: &str,
    options: &FuzzOptions,
) -> anyhow::Result<ExitStatus> {
    let http = reqwest::Client::new();
    let token = crate::seed::login(&http, options.api.trim_end_matches('/'), email, password).await?;
    let mut cmd = command(root, schemathesis, &token, options);
    if let Some(work_dir) = cmd.get_current_dir() {
        std::fs::create_dir_all(work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    }
    tokio::task::spawn_blocking(move || cmd.status())
        .await?
        .with_context(|| format!("running {} (make venv installs it)", schemathesis.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_travels_in_the_environment_not_the_arguments() {
        let options = FuzzOptions {
            api: "http://127.0.0.1:3000/".into(),
            max_examples: 3,
            phases: "examples,fuzzing".into(),
            seed: Some(7),
            report_dir: "target/fuzz".into(),
        };
        let cmd = command(Path::new("/repo"), Path::new("schemathesis"), "secret-token", &options);
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(args.iter().all(|a| !a.contains("secret-token")), "{args:?}");
        assert!(args.contains(&"http://127.0.0.1:3000/openapi.json".to_owned()), "{args:?}");
        assert!(args.windows(2).any(|w| w == ["--seed", "7"]), "{args:?}");
        assert_eq!(cmd.get_current_dir(), Some(Path::new("/repo/target/fuzz")), "outside the watched tree");
        assert!(args.windows(2).any(|w| w == ["--report-dir", "/repo/target/fuzz"]), "{args:?}");
        let env: Vec<_> = cmd.get_envs().collect();
        assert!(env.iter().any(|(k, v)| *k == TOKEN_VAR && v.is_some_and(|v| v == "secret-token")));
    }
}

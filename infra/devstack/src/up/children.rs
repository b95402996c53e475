//! Child processes that never outlive the devstack.
//!
//! Each child runs in its own process group behind a tiny `sh` guard. The guard starts the
//! command, then a watcher that blocks reading the guard's stdin, a pipe only the devstack
//! holds; when that pipe closes (orderly stop, or the devstack killed with SIGKILL) the
//! watcher sends SIGTERM to the whole group, so grandchildren (the functions cargo lambda
//! runs, rustc under cargo) go too. The guard exits with the command's status.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, ChildStdin, Command};

/// fd 3 keeps the guard's stdin for the watcher (asynchronous commands of a
/// non-interactive shell get /dev/null as stdin); the command itself does not inherit it.
const GUARD: &str = r#"exec 3<&0
"$@" 3<&- </dev/null &
pid=$!
(read _ <&3; kill -TERM 0) &
wait "$pid""#;

/// Where a child's output goes.
pub enum Output {
    /// The devstack's own stdout/stderr (streamed to the console).
    Inherit,
    /// Appended to a log file.
    File(std::fs::File),
}

/// What to run.
pub struct Spec<'a> {
    pub name: &'a str,
    pub program: &'a Path,
    pub args: Vec<String>,
    /// Added to (or replacing in) the inherited environment.
    pub env: Vec<(String, String)>,
    pub cwd: Option<&'a Path>,
    pub output: Output,
}

/// A running child process group.
pub struct Supervised {
    pub name: String,
    child: Child,
    /// Held open for the child's lifetime; dropping it stops the group.
    lifeline: Option<ChildStdin>,
    pgid: Pid,
}

impl Supervised {
    /// Starts the command in a new process group behind the guard, without the package
    /// variables cargo sets for a test it runs (see [`is_package_variable`]).
    pub fn spawn(spec: Spec<'_>) -> anyhow::Result<Supervised> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(GUARD)
            .arg("sh")
            .arg(spec.program)
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .process_group(0);
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(is_package_variable) {
                command.env_remove(&name);
            }
        }
        if let Some(dir) = spec.cwd {
            command.current_dir(dir);
        }
        match spec.output {
            Output::Inherit => command.stdout(Stdio::inherit()).stderr(Stdio::inherit()),
            Output::File(file) => {
                let copy = file.try_clone().context("duplicating the log file handle")?;
                command.stdout(file).stderr(copy)
            }
        };
        let (name, program) = (spec.name, spec.program);
        let mut child = command.spawn().with_context(|| format!("starting {name} ({})", program.display()))?;
        let id = child.id().context("the child exited at once")?;
        let pgid = Pid::from_raw(i32::try_from(id).context("pid out of range")?);
        let lifeline = child.stdin.take();
        Ok(Supervised { name: name.to_owned(), child, lifeline, pgid })
    }

    /// Waits for the command to finish (for run-to-completion commands like a build).
    pub async fn wait(&mut self) -> anyhow::Result<ExitStatus> {
        self.child.wait().await.with_context(|| format!("waiting for {}", self.name))
    }

    /// The command's exit status if it has ended (a service that died).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the whole group: SIGTERM, then SIGKILL for whatever is left after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        self.lifeline = None;
        // Signal directly too: the watcher may be slower than us to notice the closed pipe.
        let _ = killpg(self.pgid, Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        loop {
            let guard_done = self.child.try_wait().ok().flatten().is_some();
            // Signal 0 only checks whether any process of the group is left.
            let group_alive = killpg(self.pgid, None).is_ok();
            if guard_done && !group_alive {
                return;
            }
            if Instant::now() >= deadline {
                tracing::warn!("{} did not stop within {grace:?}; killing it", self.name);
                let _ = killpg(self.pgid, Signal::SIGKILL);
                let _ = self.child.wait().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Everything the devstack started, stopped in reverse order.
#[derive(Default)]
pub struct Children {
    running: Vec<Supervised>,
}

impl Children {
    pub fn push(&mut self, child: Supervised) {
        self.running.push(child);
    }

    /// The first child that has exited on its own, with its status.
    pub fn exited(&mut self) -> Option<(String, ExitStatus)> {
        self.running.iter_mut().find_map(|c| c.try_wait().map(|status| (c.name.clone(), status)))
    }

    pub async fn stop_all(&mut self) {
        while let Some(child) = self.running.pop() {
            let name = child.name.clone();
            child.stop(Duration::from_secs(10)).await;
            println!("stopped {name}");
        }
    }
}

/// A variable cargo sets for one package's test or build script (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_NAME`, …). A devstack started by a test inherits them, and a `cargo build` that
/// sees them finds ring's build script stale (it tracks `CARGO_MANIFEST_DIR`) and rebuilds
/// every function; no child needs them.
pub fn is_package_variable(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || [
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
        ]
        .contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_lose_cargos_package_variables_but_keep_its_settings() {
        for name in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "CARGO_PKG_VERSION", "CARGO_CRATE_NAME"] {
            assert!(is_package_variable(name), "{name}");
        }
        for name in ["CARGO_INCREMENTAL", "CARGO_HOME", "CARGO_TARGET_DIR", "CARGO", "RUSTC_WORKSPACE_WRAPPER", "PATH"]
        {
            assert!(!is_package_variable(name), "{name}");
        }
    }

    fn sleeper() -> Supervised {
        Supervised::spawn(Spec {
            name: "sleeper",
            program: Path::new("sleep"),
            args: vec!["30".into()],
            env: vec![],
            cwd: None,
            output: Output::Inherit,
        })
        .expect("spawn sleep")
    }

    async fn group_gone(pgid: Pid, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if killpg(pgid, None).is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    #[tokio::test]
    async fn stop_ends_the_whole_group() {
        let child = sleeper();
        let pgid = child.pgid;
        let started = Instant::now();
        child.stop(Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(4), "SIGTERM was enough");
        assert!(group_gone(pgid, Duration::from_secs(1)).await);
    }

    #[tokio::test]
    async fn dropping_the_lifeline_ends_the_group() {
        // What happens when the devstack dies: its end of the guard's stdin closes.
        let mut child = sleeper();
        let pgid = child.pgid;
        child.lifeline = None;
        let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
        assert!(status.is_ok(), "the guard exits once its stdin closes");
        assert!(group_gone(pgid, Duration::from_secs(5)).await, "no process of the group is left");
    }

    #[tokio::test]
    async fn wait_reports_the_command_status() {
        let mut child = Supervised::spawn(Spec {
            name: "false",
            program: Path::new("false"),
            args: vec![],
            env: vec![],
            cwd: None,
            output: Output::Inherit,
        })
        .expect("spawn false");
        assert!(!child.wait().await.expect("status").success());
    }
}

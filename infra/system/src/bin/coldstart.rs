//! `make bench-init`: how long each function's binary takes to start, as Lambda counts it.
//! Every binary is started with its template environment (dev stage) and a local Runtime API;
//! init ends when it first asks for an invocation (`GET …/runtime/invocation/next`), which is
//! where Lambda's Init Duration ends. Its resident memory is read at that moment, then it is
//! killed. Runs are interleaved across binaries, so a busy machine slows all of them alike.
//! The binaries must be built for this machine (`make build ARCH=x86_64` here).
//!
//! Usage: coldstart [--runs N] [--lambda-dir DIR] [--binary PATH]... [--also-with K=V] [FUNCTION...]
//!   --runs        starts per binary (default 20)
//!   --lambda-dir  where `make build` left `<bin>/bootstrap.zip` (default target/lambda)
//!   FUNCTION      the functions (binary names) whose zips to measure; default every one
//!   --binary      also measure this executable; its file name picks its environment
//!   --also-with   also start every binary with `K=V` added to its environment, interleaved
//!                 with the plain starts: a lever a variable switches, measured side by side

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bazaar_testkit::{template_path, workspace_root};
use devstack::template::{PlanOptions, plan};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;

struct Args {
    runs: usize,
    lambda_dir: PathBuf,
    functions: Vec<String>,
    binaries: Vec<PathBuf>,
    also_with: Option<(String, String)>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        runs: 20,
        lambda_dir: workspace_root().join("target/lambda"),
        functions: Vec::new(),
        binaries: Vec::new(),
        also_with: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => args.runs = it.next().context("--runs N")?.parse().context("--runs N")?,
            "--lambda-dir" => args.lambda_dir = PathBuf::from(it.next().context("--lambda-dir DIR")?),
            "--binary" => args.binaries.push(PathBuf::from(it.next().context("--binary PATH")?)),
            "--also-with" => {
                let pair = it.next().context("--also-with K=V")?;
                let (k, v) = pair.split_once('=').context("--also-with K=V")?;
                args.also_with = Some((k.to_owned(), v.to_owned()));
            }
            "-h" | "--help" => {
                println!(
                    "usage: coldstart [--runs N] [--lambda-dir DIR] [--binary PATH]... [--also-with K=V] [FUNCTION...]"
                );
                std::process::exit(0);
            }
            _ => args.functions.push(arg),
        }
    }
    anyhow::ensure!(args.runs > 0, "--runs must be at least 1");
    Ok(args)
}

/// One binary: its name (a template function's binary, and the `--also-with` variable when
/// started with it), where it is, size in bytes, the environment it starts with, and every start.
struct Measured {
    name: String,
    path: PathBuf,
    size: u64,
    env: BTreeMap<String, String>,
    starts: Vec<Start>,
}

/// One measured start.
struct Start {
    init: Duration,
    rss_kib: Option<u64>,
}

/// VmRSS of a live process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Starts `binary` with `env` against a one-shot Runtime API and times it to its first
/// `next` request.
async fn start_once(binary: &Path, env: &BTreeMap<String, String>) -> anyhow::Result<Start> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?;
    let begun = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(env)
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start {}", binary.display()))?;
    let pid = child.id().context("child pid")?;
    let first_next = async {
        loop {
            let (stream, _) = listener.accept().await?;
            let mut line = String::new();
            BufReader::new(stream).read_line(&mut line).await?;
            if line.starts_with("GET /2018-06-01/runtime/invocation/next") {
                return anyhow::Ok(begun.elapsed());
            }
        }
    };
    let outcome = tokio::select! {
        init = first_next => init.map(Some),
        status = child.wait() => {
            let mut said = String::new();
            if let Some(mut err) = child.stderr.take() {
                use tokio::io::AsyncReadExt as _;
                let _ = err.read_to_string(&mut said).await;
            }
            bail!("{} exited ({}) before asking for an invocation: {}", binary.display(), status?, said.trim())
        }
        _ = tokio::time::sleep(Duration::from_secs(10)) => Ok(None),
    };
    let init = outcome?.with_context(|| format!("{} did not ask for an invocation within 10 s", binary.display()))?;
    let rss = rss_kib(pid);
    child.kill().await.ok();
    Ok(Start { init, rss_kib: rss })
}

/// What Lambda sets for every function, with placeholders for what only AWS knows.
fn lambda_env(binary: &str, function_env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = function_env.clone();
    for (k, v) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_SESSION_TOKEN", "test"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ("_HANDLER", "bootstrap"),
        ("LAMBDA_TASK_ROOT", "/var/task"),
        ("TZ", ":UTC"),
    ] {
        env.insert(k.to_string(), v.to_string());
    }
    env.insert("AWS_LAMBDA_FUNCTION_NAME".to_string(), format!("bazaar-dev-{binary}"));
    env.insert("AWS_LAMBDA_LOG_GROUP_NAME".to_string(), format!("/aws/lambda/bazaar-dev-{binary}"));
    env
}

/// Unpacks `<dir>/<bin>/bootstrap.zip` for every binary into a scratch folder.
fn unpack(lambda_dir: &Path, binaries: &[String], into: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let python = workspace_root().join(".venv/bin/python3");
    let mut out = Vec::new();
    for bin in binaries {
        let zip = lambda_dir.join(bin).join("bootstrap.zip");
        anyhow::ensure!(zip.exists(), "{} is missing: make build ARCH=x86_64", zip.display());
        let dir = into.join(bin);
        let status = std::process::Command::new(&python)
            .args(["-m", "zipfile", "-e"])
            .arg(&zip)
            .arg(&dir)
            .status()
            .context("python3 -m zipfile (make venv)")?;
        anyhow::ensure!(status.success(), "could not unpack {}", zip.display());
        let exe = dir.join(bin);
        std::fs::rename(dir.join("bootstrap"), &exe)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755))?;
        }
        out.push(exe);
    }
    Ok(out)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let stack =
        plan(&template_path(), &PlanOptions { moto_endpoint: "http://127.0.0.1:4566".into(), ..Default::default() })
            .context("plan template.yaml")?;
    let env_of: BTreeMap<&str, &BTreeMap<String, String>> =
        stack.functions.iter().map(|f| (f.binary.as_str(), &f.environment)).collect();

    let scratch = std::env::temp_dir().join(format!("bazaar-coldstart-{}", std::process::id()));
    let names: Vec<String> = if !args.functions.is_empty() {
        for f in &args.functions {
            anyhow::ensure!(env_of.contains_key(f.as_str()), "{f} is not a function of template.yaml");
        }
        args.functions.clone()
    } else if args.binaries.is_empty() {
        env_of.keys().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    let mut binaries = unpack(&args.lambda_dir, &names, &scratch)?;
    binaries.extend(args.binaries.iter().cloned());

    let no_env = BTreeMap::new();
    let mut measured = Vec::new();
    for path in &binaries {
        let name = path.file_name().and_then(|n| n.to_str()).context("binary file name")?.to_string();
        let size = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?.len();
        let env = lambda_env(&name, env_of.get(name.as_str()).copied().unwrap_or(&no_env));
        if let Some((k, v)) = &args.also_with {
            let mut with = env.clone();
            with.insert(k.clone(), v.clone());
            let name = format!("{name} +{k}={v}");
            measured.push(Measured { name, path: path.clone(), size, env: with, starts: Vec::new() });
        }
        measured.push(Measured { name, path: path.clone(), size, env, starts: Vec::new() });
    }
    for _ in 0..args.runs {
        for m in measured.iter_mut() {
            m.starts.push(start_once(&m.path, &m.env).await?);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    println!("{:<34} {:>10} {:>10} {:>10} {:>10}", "function", "binary MB", "init p50", "init max", "RSS MiB");
    let mut inits = Vec::new();
    let mut rsses = Vec::new();
    for Measured { name, size, starts, .. } in &measured {
        let init_ms: Vec<f64> = starts.iter().map(|s| s.init.as_secs_f64() * 1e3).collect();
        let max = init_ms.iter().copied().fold(0.0, f64::max);
        let p50 = median(init_ms);
        let rss: Vec<f64> = starts.iter().filter_map(|s| s.rss_kib).map(|k| k as f64 / 1024.0).collect();
        let rss_p50 = if rss.is_empty() { f64::NAN } else { median(rss) };
        inits.push(p50);
        rsses.push(rss_p50);
        println!("{name:<34} {:>10.2} {:>8.2}ms {:>8.2}ms {:>10.1}", *size as f64 / 1e6, p50, max, rss_p50);
    }
    if measured.len() > 1 {
        println!(
            "{} functions, {} starts each: median of medians init {:.2} ms, RSS {:.1} MiB",
            measured.len(),
            args.runs,
            median(inits),
            median(rsses)
        );
    }
    Ok(())
}

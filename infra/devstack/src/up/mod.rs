//! `devstack up`: the whole local cloud in one command (what `make dev` runs). Starts
//! moto_server, provisions template.yaml into it, builds the functions, starts
//! `cargo lambda watch`, then serves the API and runs every event source, printing numbered
//! progress so a first run of several minutes never looks hung. Ctrl-C or SIGTERM stops
//! everything it started.

pub mod children;
pub mod preflight;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::gateway::{Gateway, GatewayOptions, OUTBOX_PATH};
use crate::invoke::{HttpInvoker, Invoker};
use crate::model::Stack;
use crate::provision::Provisioned;
use crate::template::{PlanOptions, plan};
use children::{Children, Output, Spec, Supervised};
use preflight::{PortUse, Tools};

/// `devstack up` settings (all have CLI flags).
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub api_port: u16,
    pub moto_port: u16,
    pub lambda_port: u16,
    pub stage: String,
    /// Where dev.env, the dev keys and moto.log go (relative to the workspace root).
    pub state_dir: PathBuf,
    pub template: PathBuf,
    /// Template parameter overrides (besides `Stage`).
    pub parameters: BTreeMap<String, String>,
    /// Whether cargo lambda watch rebuilds and restarts the functions when a file of the
    /// repo changes. A restart drops the invocations in flight (their callers never get an
    /// answer), so a test run, which changes no code, turns it off.
    pub reload: bool,
}

/// The exact prefix end-to-end tests wait for.
pub const READY_PREFIX: &str = "devstack ready: API ";

const STEPS: usize = 8;

fn step(n: usize, what: &str) {
    println!("[{n}/{STEPS}] {what}");
}

/// Runs until Ctrl-C/SIGTERM (Ok) or until something fails or a child dies (Err); either
/// way every child is stopped before returning.
pub async fn run(options: UpOptions) -> anyhow::Result<()> {
    let mut children = Children::default();
    let outcome = tokio::select! {
        result = start_and_serve(&options, &mut children) => result,
        signal = shutdown_signal() => {
            println!("\n{signal}: stopping the devstack");
            Ok(())
        }
    };
    // The caller reports an error after everything is stopped.
    children.stop_all().await;
    outcome
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, naming which.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        // Without a SIGTERM handler, Ctrl-C still works.
        let _ = tokio::signal::ctrl_c().await;
        return "interrupted";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = term.recv() => "terminated",
    }
}

/// Everything later steps need from the earlier ones.
struct Prepared {
    repo: PathBuf,
    state_dir: PathBuf,
    tools: Tools,
    moto_endpoint: String,
    config: aws_types::SdkConfig,
    stack: Stack,
    provisioned: Provisioned,
}

async fn start_and_serve(options: &UpOptions, children: &mut Children) -> anyhow::Result<()> {
    let prepared = prepare(options, children).await?;
    let Prepared { repo, state_dir, tools, moto_endpoint, config, stack, provisioned } = prepared;

    step(5, "building function binaries (cargo build --bins; minutes on a first run)");
    build_functions(&repo).await?;

    step(6, "starting cargo lambda watch, each function with its own role's credentials");
    let env_file = state_dir.join("dev.env");
    let watch_dir = if options.reload { &repo } else { &state_dir };
    crate::env::write_role_files(watch_dir, &provisioned.function_configs(&config))?;
    children.push(start_lambda_watch(&repo, &state_dir, &tools, options.lambda_port, &env_file, options.reload)?);
    preflight::wait_for_port(options.lambda_port, Duration::from_secs(120), "cargo lambda watch").await?;

    step(7, "starting the API gateway, event sources and schedules");
    let lambda_url = format!("http://127.0.0.1:{}", options.lambda_port);
    let invoker: Arc<dyn Invoker> = Arc::new(HttpInvoker::new(&lambda_url)?);
    let gateway_options = GatewayOptions { moto_endpoint: Some(moto_endpoint.clone()) };
    let gateway = Gateway::new(&stack, invoker.clone(), gateway_options)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.api_port))
        .await
        .with_context(|| format!("binding the API to port {} (--api-port)", options.api_port))?;
    let mut sources = crate::pollers::spawn_all(&stack, &provisioned, &config, invoker)?;
    let mut server = tokio::spawn(crate::gateway::serve(listener, gateway));
    let refusals = state_dir.join(REFUSALS_FILE);
    let _ = std::fs::write(&refusals, "");
    sources.spawn(show_refusals(refusals));

    step(8, "seeding dev data");
    let seeded = crate::seed::seed(&stack, &config, &state_dir).await?;
    println!("      admin: {} / password: {}", seeded.admin_email, seeded.admin_password);
    let api = format!("http://127.0.0.1:{}", options.api_port);
    match crate::seed::demo_catalog(&api, &seeded.admin_email, &seeded.admin_password).await {
        Ok(0) => println!("      demo catalog: already there"),
        Ok(n) => println!("      demo catalog: {n} products created"),
        Err(e) => bail!("seeding the demo catalog through the API failed: {e:#}"),
    }

    print_urls(options, &stack, &moto_endpoint, &lambda_url, &env_file);
    println!("{READY_PREFIX}http://127.0.0.1:{}", options.api_port);

    loop {
        tokio::select! {
            ended = &mut server => bail!("the API server stopped: {:?}", ended.map_err(|e| e.to_string())),
            Some(ended) = sources.join_next() => bail!("an event source stopped: {:?}", ended.map_err(|e| e.to_string())),
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                if let Some((name, status)) = children.exited() {
                    bail!("{name} exited on its own ({status})");
                }
            }
        }
    }
}

/// Steps 1–4: checks, moto, plan and env file, provisioning and dev keys.
async fn prepare(options: &UpOptions, children: &mut Children) -> anyhow::Result<Prepared> {
    step(1, "checking ports and tools");
    let repo = preflight::find_repo(&std::env::current_dir()?)?;
    preflight::check_ports(&[
        PortUse { port: options.api_port, flag: "--api-port", what: "the API" },
        PortUse { port: options.moto_port, flag: "--moto-port", what: "moto_server" },
        PortUse { port: options.lambda_port, flag: "--lambda-port", what: "cargo lambda watch" },
    ])?;
    let tools = preflight::find_tools(&repo)?;
    let state_dir = repo.join(&options.state_dir);
    std::fs::create_dir_all(&state_dir).with_context(|| format!("creating {}", state_dir.display()))?;

    step(2, "starting moto_server");
    let moto_endpoint = format!("http://127.0.0.1:{}", options.moto_port);
    children.push(start_moto(&tools, options.moto_port, &state_dir)?);
    preflight::wait_for_moto(&moto_endpoint, Duration::from_secs(60)).await?;

    step(3, "planning template.yaml and writing the functions' environment");
    let stack = plan_stack_with(&repo.join(&options.template), &options.stage, &moto_endpoint, &options.parameters)?;
    let mut env = crate::env::union_env(&stack, &moto_endpoint)?;
    // What the functions count goes here too (`make metrics`); a fresh moto, fresh counts.
    let metrics_file = state_dir.join(METRICS_FILE);
    std::fs::write(&metrics_file, "").with_context(|| format!("creating {}", metrics_file.display()))?;
    env.insert("BAZAAR_METRICS_FILE".to_owned(), metrics_file.display().to_string());
    crate::env::write_env_file(&state_dir.join("dev.env"), &env)?;

    step(4, "provisioning tables, queues, buses, topics and dev signing keys into moto");
    let config = preflight::moto_sdk_config(&moto_endpoint).await;
    let provisioned = crate::provision::provision(&stack, &config).await?;
    let keys = crate::keys::ensure_dev_keys(&state_dir.join("keys"))?;
    crate::keys::put_key_parameters(&config, &stack, &keys).await?;
    let webhook_secret = crate::keys::ensure_webhook_secret(&state_dir.join("keys"))?;
    crate::keys::put_webhook_secret(&config, &stack, &webhook_secret).await?;
    let cursor_secret = crate::keys::ensure_cursor_secret(&state_dir.join("keys"))?;
    crate::keys::put_cursor_secret(&config, &stack, &cursor_secret).await?;
    let link_key = crate::keys::ensure_link_key(&state_dir.join("keys"))?;
    crate::keys::put_link_key(&config, &stack, &link_key).await?;
    Ok(Prepared { repo, state_dir, tools, moto_endpoint, config, stack, provisioned })
}

/// The EMF lines the functions emit, under the state directory.
pub const METRICS_FILE: &str = "metrics.jsonl";

/// Plans the template for `stage` against moto at `moto_endpoint`.
pub fn plan_stack(template: &Path, stage: &str, moto_endpoint: &str) -> anyhow::Result<Stack> {
    plan_stack_with(template, stage, moto_endpoint, &BTreeMap::new())
}

/// As [`plan_stack`], with other parameters overridden too.
pub fn plan_stack_with(
    template: &Path,
    stage: &str,
    moto_endpoint: &str,
    parameters: &BTreeMap<String, String>,
) -> anyhow::Result<Stack> {
    let mut overrides = parameters.clone();
    overrides.insert("Stage".to_owned(), stage.to_owned());
    let options = PlanOptions { overrides, moto_endpoint: moto_endpoint.to_owned() };
    plan(template, &options).with_context(|| format!("planning {}", template.display()))
}

fn start_moto(tools: &Tools, port: u16, state_dir: &Path) -> anyhow::Result<Supervised> {
    // moto logs every request; keep that out of the console.
    let log_path = state_dir.join("moto.log");
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    Supervised::spawn(Spec {
        name: "moto_server",
        program: &tools.python,
        args: vec![
            tools.moto_server.display().to_string(),
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ],
        // Each request moto refuses under IAM, also in a file of its own: shown as it happens.
        env: vec![("BAZAAR_IAM_REFUSALS".into(), state_dir.join(REFUSALS_FILE).display().to_string())],
        cwd: None,
        output: Output::File(log),
    })
}

/// Where moto writes each request it refused under IAM (`IAM REFUSED <action> on <resource>
/// for <role>`), under the state directory.
pub const REFUSALS_FILE: &str = "iam-refusals.log";

/// Prints every line moto adds to the refusals file `path`, as it adds them: a function that
/// lacks a grant shows on the console with the action and the resource it needs.
async fn show_refusals(path: PathBuf) {
    let mut shown = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(text) = tokio::fs::read_to_string(&path).await else { continue };
        if text.len() < shown {
            shown = 0;
        }
        let new = &text[shown..];
        let Some(end) = new.rfind('\n') else { continue };
        for line in new[..=end].lines() {
            eprintln!("!! {line}  (add the grant to the function's Policies in template.yaml)");
        }
        shown += end + 1;
    }
}

async fn build_functions(repo: &Path) -> anyhow::Result<()> {
    let mut build = Supervised::spawn(Spec {
        name: "cargo build",
        program: Path::new("cargo"),
        args: vec!["build".into(), "--bins".into()],
        env: vec![],
        cwd: Some(repo),
        output: Output::Inherit,
    })?;
    let status = build.wait().await?;
    if !status.success() {
        bail!("`cargo build --bins` failed ({status}); fix the errors above and run again");
    }
    Ok(())
}

/// `cargo lambda watch`, from the repo when it reloads. Without reloading it runs from the
/// state folder on the repo's manifest: each function's watcher puts an inotify watch on
/// every folder below the watch's working directory, ignored ones included (the venv and
/// target/: some 10,000 folders, a minute of CPU over the template's functions).
fn start_lambda_watch(
    repo: &Path,
    state_dir: &Path,
    tools: &Tools,
    port: u16,
    env_file: &Path,
    reload: bool,
) -> anyhow::Result<Supervised> {
    // cargo finds the `lambda` subcommand on PATH: put the venv's bin first.
    let path = std::env::var("PATH").unwrap_or_default();
    let path = format!("{}:{path}", tools.bin_dir.display());
    let mut args: Vec<String> = ["lambda", "watch", "-A", "127.0.0.1", "-P", &port.to_string(), "--env-file"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([env_file.display().to_string()])
        .collect();
    let cwd = if reload {
        repo
    } else {
        args.extend([
            "--ignore-changes".into(),
            "--manifest-path".into(),
            repo.join("Cargo.toml").display().to_string(),
        ]);
        state_dir
    };
    Supervised::spawn(Spec {
        name: "cargo lambda watch",
        program: Path::new("cargo"),
        args,
        env: vec![("PATH".into(), path)],
        cwd: Some(cwd),
        output: Output::Inherit,
    })
}

fn print_urls(options: &UpOptions, stack: &Stack, moto: &str, lambda_url: &str, env_file: &Path) {
    let api = format!("http://127.0.0.1:{}", options.api_port);
    println!();
    println!("  API           {api}");
    let mut routes: Vec<_> = stack.functions.iter().flat_map(|f| &f.http_routes).collect();
    routes.sort_by_key(|r| (r.authorizer.is_some(), r.path.clone()));
    for route in routes.iter().take(4) {
        let auth = if route.authorizer.is_some() { "  (needs a bearer token)" } else { "" };
        println!("    {:<6} {api}{}{auth}", route.method, route.path);
    }
    println!("  Invoke API    {lambda_url}/2015-03-31/functions/<binary>/invocations");
    println!("  moto          {moto}   (state: {moto}/moto-api/)");
    println!("  outbox        {api}{OUTBOX_PATH}   (or `devstack outbox`)");
    println!("  env file      {}", env_file.display());
    println!();
}

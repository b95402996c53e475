//! The `devstack` command: `up` runs the whole local cloud (what `make dev` runs); `check`,
//! `env`, `outbox` and `provision` expose its parts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use devstack::model::Stack;
use devstack::template::PlanError;
use devstack::up::{self, UpOptions};

#[derive(Parser)]
#[command(
    name = "devstack",
    version,
    about = "Bazaar's local cloud: moto + cargo lambda + an API Gateway and event sources"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start moto, provision the template, build and serve every function, run event sources.
    Up(UpArgs),
    /// Plan the template, summarise what the devstack would run, and check the template's
    /// Rules for a stage as CloudFormation would before deploying it.
    Check(CheckArgs),
    /// Print (or write) the environment every function gets locally; with moto running, also
    /// create each function's role there and write its credentials to `.bazaar/roles/`.
    Env {
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 4566)]
        moto_port: u16,
        #[arg(long, default_value = "dev")]
        stage: String,
        #[command(flatten)]
        template: TemplateArg,
    },
    /// Add up the metrics the local functions emitted (EMF lines in the state directory).
    Metrics {
        /// Where `devstack up` keeps its state, relative to the workspace root.
        #[arg(long, default_value = ".bazaar")]
        state_dir: PathBuf,
    },
    /// Fuzz a running API with schemathesis, logged in as the seeded admin: every route of
    /// its `GET /openapi.json`, no 5xx, every answer as documented (infra/schemathesis.toml).
    Fuzz {
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        api: String,
        /// Test cases per operation and phase.
        #[arg(long, default_value_t = 20)]
        max_examples: u32,
        #[arg(long, default_value = "examples,coverage,fuzzing")]
        phases: String,
        #[arg(long)]
        seed: Option<u64>,
        /// Where `devstack up` keeps its state (the admin's password), relative to the workspace root.
        #[arg(long, default_value = ".bazaar")]
        state_dir: PathBuf,
    },
    /// Every grant of the functions' own policies that no test exercised, from what moto
    /// allowed their roles (`BAZAAR_IAM_LOG`; `make test` runs this after every test binary).
    /// Fails on one the template does not justify with an `unexercised:` comment.
    LeastPrivilege {
        /// The launcher's log of allowed requests (JSON lines).
        #[arg(long)]
        exercised: PathBuf,
        #[command(flatten)]
        template: TemplateArg,
    },
    /// Print the email and SMS moto recorded as sent.
    Outbox {
        #[arg(long, default_value_t = 4566)]
        moto_port: u16,
    },
    /// List the dead-letter queues with their depth, show one, or redrive one to its source.
    Dlq {
        #[command(subcommand)]
        action: Option<DlqAction>,
        #[arg(long, default_value_t = 4566, global = true)]
        moto_port: u16,
        #[arg(long, default_value = "dev", global = true)]
        stage: String,
    },
    /// Create every SSM secret a deployed stage needs that does not exist yet (never changes
    /// one that does): the JWT signing key and JWKS, the webhook and cursor secrets and the
    /// link key. Uses the AWS credentials of the environment (`AWS_ENDPOINT_URL` points it at
    /// moto).
    Secrets {
        #[arg(long)]
        stage: String,
    },
    /// Rotate a stage's JWT signing key: publish a new public key beside the current ones,
    /// then sign with it. `--retire`, once the old key's last access token has expired,
    /// drops every public key but the signing key's.
    RotateJwt {
        #[arg(long)]
        stage: String,
        #[arg(long)]
        retire: bool,
    },
    /// Provision the template into a running moto (or any endpoint).
    Provision {
        /// e.g. http://127.0.0.1:4566
        #[arg(long)]
        endpoint: String,
        #[arg(long, default_value = "dev")]
        stage: String,
        #[command(flatten)]
        template: TemplateArg,
    },
}

#[derive(Subcommand)]
enum DlqAction {
    /// Every DLQ, what feeds it and how many messages are in it, waiting or in flight (the default).
    List,
    /// Print up to 10 messages of a DLQ (they stay in it).
    Show { queue: String },
    /// Move every message of a consumer DLQ back to its source queue.
    Redrive { queue: String },
}

#[derive(Args)]
struct UpArgs {
    #[arg(long, default_value_t = 3000)]
    api_port: u16,
    #[arg(long, default_value_t = 4566)]
    moto_port: u16,
    #[arg(long, default_value_t = 9000)]
    lambda_port: u16,
    #[arg(long, default_value = "dev")]
    stage: String,
    /// Where dev.env, dev keys and logs go, relative to the workspace root.
    #[arg(long, default_value = ".bazaar")]
    state_dir: PathBuf,
    /// Override a template parameter, e.g. `--parameter PaymentSuccessRate=1.0` (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_parameter)]
    parameters: Vec<(String, String)>,
    /// Run the functions as built, without rebuilding and restarting them when a file
    /// changes (`cargo lambda watch --ignore-changes`, run from the state folder, so the
    /// functions start faster); the end-to-end test uses it.
    #[arg(long)]
    no_reload: bool,
    #[command(flatten)]
    template: TemplateArg,
}

#[derive(Args)]
struct CheckArgs {
    #[arg(long, default_value = "dev")]
    stage: String,
    /// A template parameter as it would be deployed (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_parameter)]
    parameters: Vec<(String, String)>,
    #[command(flatten)]
    template: TemplateArg,
}

#[derive(Args)]
struct TemplateArg {
    /// The SAM template, relative to the workspace root.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
}

impl TemplateArg {
    /// The template path: as given if it exists, otherwise under the workspace root.
    fn resolve(&self) -> PathBuf {
        if self.template.exists() {
            return self.template.clone();
        }
        std::env::current_dir()
            .ok()
            .and_then(|dir| up::preflight::find_repo(&dir).ok())
            .map(|repo| repo.join(&self.template))
            .unwrap_or_else(|| self.template.clone())
    }
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() && key != "Stage" => Ok((key.to_owned(), value.to_owned())),
        Some(("Stage", _)) => Err("set the stage with --stage".to_owned()),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("devstack: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("devstack: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    // The SDKs are chatty at info; keep the console to the devstack's own lines.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,aws_sdk=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).init();
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Up(args) => {
            let options = UpOptions {
                api_port: args.api_port,
                moto_port: args.moto_port,
                lambda_port: args.lambda_port,
                stage: args.stage,
                state_dir: args.state_dir,
                template: args.template.template,
                parameters: args.parameters.into_iter().collect(),
                reload: !args.no_reload,
            };
            up::run(options).await?;
        }
        Command::Check(args) => return Ok(check(&args)),
        Command::Env { out, moto_port, stage, template } => {
            let endpoint = format!("http://127.0.0.1:{moto_port}");
            let stack = up::plan_stack(&template.resolve(), &stage, &endpoint)?;
            let env = devstack::env::union_env(&stack, &endpoint)?;
            match out {
                Some(path) => devstack::env::write_env_file(&path, &env)?,
                None => env.iter().for_each(|(k, v)| println!("{k}={v}")),
            }
            // Each function's own credentials: its role, created in the running moto and
            // assumed, written where `cargo lambda watch` run from here reads them.
            let config = up::preflight::moto_sdk_config(&endpoint).await;
            match devstack::provision::iam::ensure_roles(&stack.functions, &stage, &config).await {
                Ok(credentials) => {
                    let roles = devstack::provision::iam::FunctionConfigs::new(config, credentials);
                    devstack::env::write_role_files(&std::env::current_dir()?, &roles)?;
                    eprintln!("wrote each function's role credentials to {}/", devstack::env::ROLES_DIR);
                }
                Err(e) => eprintln!(
                    "no role credentials written ({e:#}): start moto first (`make dev` does), or every \
                     function's AWS calls will be refused"
                ),
            }
        }
        Command::LeastPrivilege { exercised, template } => {
            let path = template.resolve();
            let stack = up::plan_stack(&path, "dev", "http://127.0.0.1:4566")?;
            let log =
                std::fs::read_to_string(&exercised).with_context(|| format!("reading {}", exercised.display()))?;
            let log = devstack::least::parse_log(&log)?;
            // Justifications are comments in the function's resource, in whichever template holds it.
            let mut text = String::new();
            for file in devstack::template::files(&path)? {
                text.push_str(&std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?);
            }
            let unused = devstack::least::unused(&stack, "dev", &log, &text);
            let unjustified = unused.iter().filter(|u| u.justified.is_none()).count();
            for u in &unused {
                match &u.justified {
                    Some(why) => println!("  justified  {} {} on {}: {why}", u.function, u.action, u.resource),
                    None => println!("  UNUSED     {} {} on {}", u.function, u.action, u.resource),
                }
            }
            println!(
                "least privilege: {} allowed requests logged; {} grants never exercised, {unjustified} of them unjustified",
                log.len(),
                unused.len()
            );
            if unjustified > 0 {
                println!(
                    "remove each UNUSED grant, or justify it: `# unexercised: <action> …` in the function's resource"
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Metrics { state_dir } => {
            let repo = up::preflight::find_repo(&std::env::current_dir()?)?;
            let path = repo.join(state_dir).join(up::METRICS_FILE);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {} (is `make dev` running?)", path.display()))?;
            print!("{}", devstack::metrics::render(&devstack::metrics::summarize(&text)));
        }
        Command::Fuzz { api, max_examples, phases, seed, state_dir } => {
            let repo = up::preflight::find_repo(&std::env::current_dir()?)?;
            let password = devstack::seed::saved_admin_password(&repo.join(&state_dir))
                .context("no seeded admin password: start `make dev` first")?;
            let options =
                devstack::fuzz::FuzzOptions { api, max_examples, phases, seed, report_dir: repo.join("target/fuzz") };
            let schemathesis = repo.join(".venv/bin/schemathesis");
            let status =
                devstack::fuzz::run(&repo, &schemathesis, devstack::seed::ADMIN_EMAIL, &password, &options).await?;
            if !status.success() {
                eprintln!("devstack: schemathesis found answers the document does not allow (report in target/fuzz)");
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Outbox { moto_port } => {
            let endpoint = format!("http://127.0.0.1:{moto_port}");
            let outbox = devstack::outbox::fetch(&reqwest::Client::new(), &endpoint).await?;
            println!("{}", serde_json::to_string_pretty(&outbox)?);
        }
        Command::Dlq { action, moto_port, stage } => {
            let endpoint = format!("http://127.0.0.1:{moto_port}");
            let template = TemplateArg { template: PathBuf::from("template.yaml") }.resolve();
            let stack = up::plan_stack(&template, &stage, &endpoint)?;
            let config = up::preflight::moto_sdk_config(&endpoint).await;
            dlq_command(action.unwrap_or(DlqAction::List), &stack, &config).await?;
        }
        Command::Secrets { stage } => {
            let ssm = aws_sdk_ssm::Client::new(&developer_sdk_config().await);
            for (name, what) in
                devstack::secrets::ensure(&ssm, &devstack::secrets::StageSecrets::for_stage(&stage)).await?
            {
                println!("{:<9} {name}", format!("{what:?}").to_lowercase());
            }
        }
        Command::RotateJwt { stage, retire } => {
            let ssm = aws_sdk_ssm::Client::new(&developer_sdk_config().await);
            let names = devstack::secrets::StageSecrets::for_stage(&stage);
            if retire {
                let dropped = devstack::secrets::retire_jwt(&ssm, &names).await?;
                println!(
                    "dropped public keys: {}",
                    if dropped.is_empty() { "none".into() } else { dropped.join(", ") }
                );
            } else {
                let r = devstack::secrets::rotate_jwt(&ssm, &names).await?;
                println!("signing key {} -> {}; published: {}", r.previous_kid, r.new_kid, r.published.join(", "));
                println!(
                    "retire the old key once its last access token has expired: make rotate-jwt STAGE={stage} RETIRE=1"
                );
            }
        }
        Command::Provision { endpoint, stage, template } => {
            let stack = up::plan_stack(&template.resolve(), &stage, &endpoint)?;
            let config = up::preflight::moto_sdk_config(&endpoint).await;
            let provisioned = devstack::provision::provision(&stack, &config).await?;
            for (id, url) in &provisioned.queue_urls {
                println!("queue  {id:<28} {url}");
            }
            for (id, arn) in &provisioned.stream_arns {
                println!("stream {id:<28} {arn}");
            }
            println!("provisioned stage {stage} into {endpoint}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn dlq_command(action: DlqAction, stack: &Stack, config: &aws_types::SdkConfig) -> anyhow::Result<()> {
    use devstack::dlq;
    let client = aws_sdk_sqs::Client::new(config);
    let mut names = devstack::provision::Provisioned::default();
    for queue in &stack.queues {
        let out = client.get_queue_url().queue_name(&queue.name).send().await.map_err(|e| {
            anyhow::anyhow!("queue {} not found ({e}); is `make dev` running for this stage?", queue.name)
        })?;
        names.queue_urls.insert(queue.logical_id.clone(), out.queue_url().unwrap_or_default().to_owned());
    }
    let dlqs = dlq::dead_letter_queues(stack);
    match action {
        DlqAction::List => {
            for d in &dlqs {
                let depth = dlq::depth(&client, &names.queue_urls[&d.logical_id]).await?;
                println!("{:<36} {depth:>5}  fed by {}", d.logical_id, d.fed_by.join(", "));
            }
        }
        DlqAction::Show { queue } => {
            let d = dlq::find(&dlqs, &queue)?;
            for body in dlq::peek(&client, &names.queue_urls[&d.logical_id], 10).await? {
                println!("{body}");
            }
        }
        DlqAction::Redrive { queue } => {
            let d = dlq::find(&dlqs, &queue)?;
            let moved = dlq::redrive(&client, &names, d).await?;
            println!(
                "moved {moved} message(s) from {} back to {}",
                d.logical_id,
                d.source_queue.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(())
}

/// `devstack check`: a one-line summary per resource kind, or the problems and exit 1.
fn check(args: &CheckArgs) -> ExitCode {
    let template = args.template.resolve();
    let mut overrides: std::collections::BTreeMap<String, String> = args.parameters.iter().cloned().collect();
    overrides.insert("Stage".to_owned(), args.stage.clone());
    let options = devstack::template::PlanOptions { overrides, moto_endpoint: "http://127.0.0.1:4566".into() };
    let planned = devstack::template::plan(&template, &options)
        .and_then(|stack| devstack::template::check_rules(&template, &options).map(|()| stack));
    match planned {
        Ok(stack) => {
            summarise(&stack);
            println!("{:<18}      every Rule holds for stage {}", "rules", args.stage);
            ExitCode::SUCCESS
        }
        Err(PlanError::Unsupported(items)) => {
            eprintln!("{} uses what the devstack cannot run locally:", template.display());
            items.iter().for_each(|item| eprintln!("  - {item}"));
            ExitCode::FAILURE
        }
        Err(PlanError::Rules(failed)) => {
            eprintln!("{}'s Rules refuse stage {} with these parameters:", template.display(), args.stage);
            failed.iter().for_each(|item| eprintln!("  - {item}"));
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("devstack: {error}");
            ExitCode::FAILURE
        }
    }
}

fn summarise(stack: &Stack) {
    let line = |kind: &str, names: Vec<&str>| println!("{kind:<18} {:>3}  {}", names.len(), names.join(", "));
    line("tables", stack.tables.iter().map(|t| t.name.as_str()).collect());
    line("queues", stack.queues.iter().map(|q| q.name.as_str()).collect());
    line("event buses", stack.buses.iter().map(|b| b.name.as_str()).collect());
    line("rules", stack.rules.iter().map(|r| r.name.as_str()).collect());
    line("topics", stack.topics.iter().map(|t| t.name.as_str()).collect());
    line("email identities", stack.email_identities.iter().map(String::as_str).collect());
    line("functions", stack.functions.iter().map(|f| f.binary.as_str()).collect());
    let routes: Vec<String> =
        stack.functions.iter().flat_map(|f| &f.http_routes).map(|r| format!("{} {}", r.method, r.path)).collect();
    line("http routes", routes.iter().map(String::as_str).collect());
    let authorizers = stack.http_api.iter().flat_map(|a| a.authorizers.keys()).map(String::as_str).collect();
    line("authorizers", authorizers);
    let mut kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for item in &stack.deploy_only {
        *kinds.entry(item.rsplit(": ").next().unwrap_or(item)).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
    println!("{:<18} {:>3}  (AWS only: {})", "deploy-only", stack.deploy_only.len(), kinds.join(", "));
    let count = |f: fn(&devstack::model::Function) -> usize| stack.functions.iter().map(f).sum::<usize>();
    println!(
        "{:<18} {:>3}  ({} sqs, {} dynamodb stream, {} schedule)",
        "event sources",
        count(|f| f.sqs_sources.len() + f.stream_sources.len() + f.schedules.len()),
        count(|f| f.sqs_sources.len()),
        count(|f| f.stream_sources.len()),
        count(|f| f.schedules.len()),
    );
}

/// The SDK configuration of a command run against a deployed stage from a developer's
/// machine: the SDK's whole default chain (environment, profiles, ...), not a function's.
async fn developer_sdk_config() -> aws_types::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(bazaar_runtime::http_client()).load().await
}

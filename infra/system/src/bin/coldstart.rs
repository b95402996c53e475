//! `make bench-init`: how long each function's binary takes to start, as Lambda counts it,
//! side by side with a peer. Every binary is started with its template environment (dev
//! stage) and a local Runtime API; init ends when it first asks for an invocation
//! (`GET …/runtime/invocation/next`), which is where Lambda's Init Duration ends. Its
//! resident memory is read at that moment. Runs are interleaved across binaries, so a busy
//! machine slows all of them alike. The binaries must be built for this machine
//! (`make build ARCH=x86_64` here). The zip size is the size of the file `make build` wrote,
//! the one Lambda is given (none for a `--binary`).
//!
//! With `--peer` (the zip of infra/peer: GET /products/{id} written the way
//! serverless-rust-demo writes it, built by cargo lambda like the functions), a moto server is started and the catalog's part of the template provisioned; after
//! init, catalog-products-get and the peer each serve `--calls` invocations of the same
//! product, read from an item of the same attributes: the first call (a new connection to
//! DynamoDB), then warm calls alternating with a request refused without any AWS call (no
//! id). A call is timed from the event handed over to the response posted: the duration
//! Lambda bills. Each call's CPU time is counted too: the CPU time of the function's process
//! from its request for the event to its request for the next one, its own work without
//! moto's or this harness's. Both sides' warm call is mostly moto's, so the CPU time moto and
//! this harness spent during each warm call is reported beside it. The report ends with each
//! measure against the peer's.
//!
//! Usage: coldstart [--runs N] [--lambda-dir DIR] [--binary PATH]... [--also-with K=V]
//!                  [--peer PATH] [--calls N] [FUNCTION...]
//!   --runs        starts per binary (default 20)
//!   --lambda-dir  where `make build` left `<bin>/bootstrap.zip` (default target/lambda)
//!   FUNCTION      the functions (binary names) whose zips to measure; default every one
//!   --binary      also measure this executable; its file name picks its environment
//!   --also-with   also start every binary with `K=V` added to its environment, interleaved
//!                 with the plain starts: a lever a variable switches, measured side by side
//!   --peer        the peer's zip (target/peer/lambda/peer-get-product/bootstrap.zip)
//!   --calls       warm calls (and as many refusals) per start, with --peer (default 20)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use bazaar_runtime::Identity;
use bazaar_system::runtime_api::{Answer, RuntimeApi, cpu_time};
use bazaar_testkit::{Moto, template_path, workspace_root};
use devstack::provision::ServiceStack;
use devstack::template::{PlanOptions, plan};
use serde_json::{Value, json};

/// The function the peer is the twin of.
const TWIN: &str = "catalog-products-get";
const PEER_TABLE: &str = "peer-products";

struct Args {
    runs: usize,
    lambda_dir: PathBuf,
    functions: Vec<String>,
    binaries: Vec<PathBuf>,
    also_with: Option<(String, String)>,
    peer: Option<PathBuf>,
    calls: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        runs: 20,
        lambda_dir: workspace_root().join("target/lambda"),
        functions: Vec::new(),
        binaries: Vec::new(),
        also_with: None,
        peer: None,
        calls: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => args.runs = it.next().context("--runs N")?.parse().context("--runs N")?,
            "--calls" => args.calls = it.next().context("--calls N")?.parse().context("--calls N")?,
            "--lambda-dir" => args.lambda_dir = PathBuf::from(it.next().context("--lambda-dir DIR")?),
            "--binary" => args.binaries.push(PathBuf::from(it.next().context("--binary PATH")?)),
            "--peer" => args.peer = Some(PathBuf::from(it.next().context("--peer PATH")?)),
            "--also-with" => {
                let pair = it.next().context("--also-with K=V")?;
                let (k, v) = pair.split_once('=').context("--also-with K=V")?;
                args.also_with = Some((k.to_owned(), v.to_owned()));
            }
            "-h" | "--help" => {
                println!(
                    "usage: coldstart [--runs N] [--lambda-dir DIR] [--binary PATH]... [--also-with K=V] [--peer PATH] [--calls N] [FUNCTION...]"
                );
                std::process::exit(0);
            }
            _ => args.functions.push(arg),
        }
    }
    anyhow::ensure!(args.runs > 0, "--runs must be at least 1");
    Ok(args)
}

/// The events a binary serves after init: its twin's product, and a request without an id.
#[derive(Clone)]
struct Calls {
    found: Value,
    refused: Value,
}

/// One binary: its name (a template function's binary, and the `--also-with` variable when
/// started with it), where it is, its size and its zip's size in bytes, the environment it
/// starts with, what it serves after init, and every start.
struct Measured {
    name: String,
    path: PathBuf,
    size: u64,
    zipped: Option<u64>,
    env: BTreeMap<String, String>,
    calls: Option<Calls>,
    starts: Vec<Start>,
}

/// One measured start.
#[derive(Default)]
struct Start {
    init: Duration,
    rss_kib: Option<u64>,
    first_call: Option<Duration>,
    warm: Vec<Duration>,
    refused: Vec<Duration>,
    /// The CPU time of each warm call and refusal (where it could be read).
    warm_cpu: Vec<Duration>,
    refused_cpu: Vec<Duration>,
    /// The CPU time moto and this harness spent during each warm call (handing the event
    /// over to the function's next request).
    warm_moto_cpu: Vec<Duration>,
    warm_harness_cpu: Vec<Duration>,
}

/// The CPU time processes `pids` spend while `f` runs (`None` for one not known or not read).
async fn cpu_during<T>(pids: &[Option<u32>], f: impl std::future::Future<Output = T>) -> (T, Vec<Option<Duration>>) {
    let before: Vec<Option<Duration>> = pids.iter().map(|p| cpu_time((*p)?)).collect();
    let out = f.await;
    let spent = pids.iter().zip(before).map(|(p, b)| Some(cpu_time((*p)?)?.saturating_sub(b?))).collect();
    (out, spent)
}

/// The pid of the moto server listening on `endpoint`'s port (infra/moto/server.py).
fn moto_pid(endpoint: &str) -> Option<u32> {
    let port = endpoint.rsplit(':').next()?.trim_end_matches('/');
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let serves = args.iter().any(|a| a.ends_with(b"server.py"))
            && args.windows(2).any(|w| w[0] == b"-p" && w[1] == port.as_bytes());
        serves.then_some(pid)
    })
}

/// VmRSS of a live process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The answer's HTTP status, when the call was answered (not an error) and is a payload 2.0
/// response.
fn status_of(name: &str, answer: &Answer) -> anyhow::Result<u64> {
    let payload = answer.payload.as_ref().map_err(|e| anyhow::anyhow!("{name} failed the call: {e}"))?;
    payload.get("statusCode").and_then(Value::as_u64).with_context(|| format!("{name} answered {payload}"))
}

/// Starts `m` against its own Runtime API, times it to its first `next` request, reads its
/// memory, then serves it `m.calls` (`calls` warm rounds).
async fn start_once(m: &Measured, calls: usize, moto: Option<u32>) -> anyhow::Result<Start> {
    let mut api = RuntimeApi::start().await?;
    let begun = std::time::Instant::now();
    let mut child = tokio::process::Command::new(&m.path)
        .env_clear()
        .envs(&m.env)
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start {}", m.path.display()))?;
    let pid = child.id().context("child pid")?;
    api.watch(pid);
    let outcome = tokio::select! {
        at = api.initialised() => at.map(Some),
        status = child.wait() => {
            let mut said = String::new();
            if let Some(mut err) = child.stderr.take() {
                use tokio::io::AsyncReadExt as _;
                let _ = err.read_to_string(&mut said).await;
            }
            bail!("{} exited ({}) before asking for an invocation: {}", m.path.display(), status?, said.trim())
        }
        _ = tokio::time::sleep(Duration::from_secs(10)) => Ok(None),
    };
    let at = outcome?.with_context(|| format!("{} did not ask for an invocation within 10 s", m.path.display()))?;
    let mut start = Start { init: at.saturating_duration_since(begun), rss_kib: rss_kib(pid), ..Default::default() };
    if let Some(events) = &m.calls {
        let serve = async {
            let first = api.invoke(events.found.clone()).await?;
            anyhow::ensure!(status_of(&m.name, &first)? == 200, "{} did not find the product: {first:?}", m.name);
            start.first_call = Some(first.took);
            for _ in 0..calls {
                let refused = api.invoke(events.refused.clone()).await?;
                let status = status_of(&m.name, &refused)?;
                anyhow::ensure!((400..500).contains(&status), "{} answered {status} without an id", m.name);
                start.refused.push(refused.took);
                start.refused_cpu.extend(refused.cpu);
                let pids = [moto, Some(std::process::id())];
                let (warm, spent) = cpu_during(&pids, api.invoke(events.found.clone())).await;
                let warm = warm?;
                start.warm_moto_cpu.extend(spent[0]);
                start.warm_harness_cpu.extend(spent[1]);
                anyhow::ensure!(status_of(&m.name, &warm)? == 200, "{} did not find the product: {warm:?}", m.name);
                start.warm.push(warm.took);
                start.warm_cpu.extend(warm.cpu);
            }
            anyhow::Ok(())
        };
        tokio::select! {
            served = serve => served?,
            status = child.wait() => bail!("{} exited ({}) while serving calls", m.path.display(), status?),
            _ = tokio::time::sleep(Duration::from_secs(60)) => bail!("{} did not answer its calls within 60 s", m.path.display()),
        }
    }
    child.kill().await.ok();
    Ok(start)
}

/// What Lambda sets for every function, with placeholders for what only AWS knows.
fn lambda_env(binary: &str, function_env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = function_env.clone();
    for (k, v) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        // Placeholders: the two functions that call moto get their roles' (`role_env`).
        ("AWS_ACCESS_KEY_ID", "ASIAPLACEHOLDER"),
        ("AWS_SECRET_ACCESS_KEY", "placeholder"),
        ("AWS_SESSION_TOKEN", "placeholder"),
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

/// Unpacks each `(binary, its bootstrap.zip)` into a scratch folder; the executables'
/// paths, each with its zip's size.
fn unpack(zips: &[(String, PathBuf)], into: &Path) -> anyhow::Result<Vec<(PathBuf, Option<u64>)>> {
    let python = workspace_root().join(".venv/bin/python3");
    let mut out = Vec::new();
    for (bin, zip) in zips {
        let zipped = std::fs::metadata(zip)
            .with_context(|| format!("{} is missing: make build ARCH=x86_64", zip.display()))?
            .len();
        let dir = into.join(bin);
        let status = std::process::Command::new(&python)
            .args(["-m", "zipfile", "-e"])
            .arg(zip)
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
        out.push((exe, Some(zipped)));
    }
    Ok(out)
}

fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

fn ms(d: &Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// API Gateway's payload 2.0 event for `GET /products/{id}`, without the id when `None`.
fn get_product_event(id: Option<&str>) -> Value {
    let path = format!("/products/{}", id.unwrap_or_default());
    let mut event = json!({
        "version": "2.0",
        "routeKey": "GET /products/{id}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": { "accept": "application/json", "host": "bench.local", "user-agent": "coldstart" },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.local",
            "domainPrefix": "bench",
            "http": { "method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.7", "userAgent": "coldstart" },
            "requestId": "bench-request",
            "routeKey": "GET /products/{id}",
            "stage": "$default",
            "time": "03/Dec/2026:10:00:00 +0000",
            "timeEpoch": 1796292000000u64
        },
        "isBase64Encoded": false
    });
    if let Some(id) = id {
        event["pathParameters"] = json!({ "id": id });
    }
    event
}

/// The credentials of a role, as Lambda puts them in a function's environment.
fn role_env(credentials: &aws_credential_types::Credentials) -> [(String, String); 3] {
    [
        ("AWS_ACCESS_KEY_ID".into(), credentials.access_key_id().to_owned()),
        ("AWS_SECRET_ACCESS_KEY".into(), credentials.secret_access_key().to_owned()),
        ("AWS_SESSION_TOKEN".into(), credentials.session_token().unwrap_or_default().to_owned()),
    ]
}

/// The peer's own role (moto enforces IAM): GetItem on its table, as serverless-rust-demo's
/// template grants it.
async fn peer_role(config: &aws_types::SdkConfig) -> anyhow::Result<aws_credential_types::Credentials> {
    let table = format!("arn:aws:dynamodb:us-east-1:123456789012:table/{PEER_TABLE}");
    let statement = json!({ "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": table });
    let peer = devstack::model::Function {
        role: devstack::model::Role {
            managed_policy_arns: Vec::new(),
            policies: vec![("PeerRolePolicy0".into(), json!({ "Statement": [statement] }))],
        },
        ..devstack::model::Function::new("PeerFunction", "peer")
    };
    let mut assumed = devstack::provision::iam::ensure_roles(&[peer], "dev", config).await?;
    assumed.remove("peer").context("the peer's role")
}

/// The catalog provisioned in `moto`, one product created through catalog-products-create,
/// and the peer's table holding the same item under the peer's key (`id`) with its price as
/// a number. Returns the stack and the product's id.
async fn seed(moto: &Moto) -> anyhow::Result<(ServiceStack, String)> {
    let config = moto.sdk_config().await;
    let app = ServiceStack::provision(&template_path(), "catalog", "dev", &[], config.clone()).await?;
    let env = devstack::registry::function_env(&app.stack, "catalog-products-create", &moto.endpoint)?;
    let deps = catalog_products_create::Deps::new(&app.function_config("catalog-products-create"), &env)?;
    let admin = Identity::holding("00000000-0000-4000-8000-00000000000a", &["catalog:write"]);
    let body = json!({
        "name": "Desk lamp", "description": "Warm light, 40 cm", "category": "home",
        "price": { "amount_minor": 2599, "currency": "EUR" }, "stock": 25
    });
    let req = bazaar_testkit::apigw::Req::new("POST", "/products").identity(&admin).json(&body).build();
    let created = catalog_products_create::handler(&deps, req).await;
    anyhow::ensure!(created.status() == 201, "creating the product: {}", bazaar_testkit::apigw::text(&created));
    let id = bazaar_testkit::apigw::body_json(&created)["id"].as_str().context("the product's id")?.to_owned();

    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let item = ddb
        .get_item()
        .table_name(&app.table)
        .key("pk", AttributeValue::S(catalog_core::store::product_pk(&id)))
        .key("sk", AttributeValue::S("PRODUCT".into()))
        .send()
        .await?
        .item
        .context("the product's item")?;
    ddb.create_table()
        .table_name(PEER_TABLE)
        .attribute_definitions(
            AttributeDefinition::builder().attribute_name("id").attribute_type(ScalarAttributeType::S).build()?,
        )
        .key_schema(KeySchemaElement::builder().attribute_name("id").key_type(KeyType::Hash).build()?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    let mut peer_item = item;
    peer_item.remove("pk");
    peer_item.remove("sk");
    peer_item.insert("id".into(), AttributeValue::S(id.clone()));
    peer_item.insert("price".into(), AttributeValue::N("25.99".into()));
    ddb.put_item().table_name(PEER_TABLE).set_item(Some(peer_item)).send().await?;
    Ok((app, id))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    // With a peer, the calls need a DynamoDB: moto, the catalog provisioned and seeded.
    let moto = args.peer.as_ref().map(|_| Moto::start());
    let moto_pid = moto.as_ref().and_then(|m| moto_pid(&m.endpoint));
    // The credentials of the two functions that call moto: the twin's role and the peer's.
    let mut roles: BTreeMap<String, aws_credential_types::Credentials> = BTreeMap::new();
    let (stack, product, endpoint) = match &moto {
        Some(moto) => {
            let (app, id) = seed(moto).await.context("seeding moto for the calls")?;
            roles.insert(TWIN.into(), app.roles.credentials(TWIN).context("the twin's role")?.clone());
            roles.insert("peer".into(), peer_role(&app.config).await?);
            (app.stack, Some(id), Some(moto.endpoint.clone()))
        }
        None => {
            let opts = PlanOptions { moto_endpoint: "http://127.0.0.1:4566".into(), ..Default::default() };
            (plan(&template_path(), &opts).context("plan template.yaml")?, None, None)
        }
    };
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
    let mut zips: Vec<(String, PathBuf)> =
        names.iter().map(|n| (n.clone(), args.lambda_dir.join(n).join("bootstrap.zip"))).collect();
    // The peer's zip is `<its lambda dir>/<its binary>/bootstrap.zip`, as cargo lambda writes it.
    let peer_name = match &args.peer {
        Some(zip) => {
            let name = zip.parent().and_then(Path::file_name).and_then(|n| n.to_str()).unwrap_or("peer").to_owned();
            anyhow::ensure!(!env_of.contains_key(name.as_str()), "the peer {name} has a function's name");
            zips.push((name.clone(), zip.clone()));
            Some(name)
        }
        None => None,
    };
    let mut binaries = unpack(&zips, &scratch)?;
    binaries.extend(args.binaries.iter().map(|b| (b.clone(), None)));

    let peer_env: BTreeMap<String, String> =
        [("TABLE_NAME", PEER_TABLE), ("RUST_LOG", "info")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
    let no_env = BTreeMap::new();
    let mut measured = Vec::new();
    for (path, zipped) in &binaries {
        let zipped = *zipped;
        let name = path.file_name().and_then(|n| n.to_str()).context("binary file name")?.to_string();
        let size = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?.len();
        let is_peer = Some(&name) == peer_name.as_ref();
        let function_env = if is_peer { &peer_env } else { env_of.get(name.as_str()).copied().unwrap_or(&no_env) };
        let mut env = lambda_env(&name, function_env);
        if let Some(endpoint) = &endpoint {
            env.insert("AWS_ENDPOINT_URL".into(), endpoint.clone());
        }
        let role = if is_peer { roles.get("peer") } else { roles.get(name.as_str()) };
        env.extend(role.map(role_env).into_iter().flatten());
        let calls = match &product {
            Some(id) if is_peer || name == TWIN => {
                Some(Calls { found: get_product_event(Some(id)), refused: get_product_event(None) })
            }
            _ => None,
        };
        if let Some((k, v)) = &args.also_with {
            let mut with = env.clone();
            with.insert(k.clone(), v.clone());
            let name = format!("{name} +{k}={v}");
            let calls = calls.clone();
            measured.push(Measured { name, path: path.clone(), size, zipped, env: with, calls, starts: Vec::new() });
        }
        measured.push(Measured { name, path: path.clone(), size, zipped, env, calls, starts: Vec::new() });
    }
    for _ in 0..args.runs {
        for m in &mut measured {
            let start = start_once(m, args.calls, moto_pid).await?;
            m.starts.push(start);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    report(&measured, peer_name.as_deref(), args.runs);
    Ok(())
}

/// One binary's medians.
struct Summary {
    init: f64,
    rss: f64,
    zip_mib: f64,
    first_call: f64,
    warm: f64,
    refused: f64,
    warm_cpu: f64,
    refused_cpu: f64,
    warm_moto_cpu: f64,
    warm_harness_cpu: f64,
}

fn summarise(m: &Measured) -> Summary {
    let all = |f: fn(&Start) -> Vec<f64>| median(m.starts.iter().flat_map(f).collect());
    Summary {
        init: all(|s| vec![ms(&s.init)]),
        rss: all(|s| s.rss_kib.map(|k| k as f64 / 1024.0).into_iter().collect()),
        zip_mib: m.zipped.map_or(f64::NAN, |z| z as f64 / (1024.0 * 1024.0)),
        first_call: all(|s| s.first_call.iter().map(ms).collect()),
        warm: all(|s| s.warm.iter().map(ms).collect()),
        refused: all(|s| s.refused.iter().map(ms).collect()),
        warm_cpu: all(|s| s.warm_cpu.iter().map(ms).collect()),
        refused_cpu: all(|s| s.refused_cpu.iter().map(ms).collect()),
        warm_moto_cpu: all(|s| s.warm_moto_cpu.iter().map(ms).collect()),
        warm_harness_cpu: all(|s| s.warm_harness_cpu.iter().map(ms).collect()),
    }
}

fn report(measured: &[Measured], peer: Option<&str>, runs: usize) {
    println!(
        "{:<38} {:>9} {:>8} {:>9} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "function",
        "binary MB",
        "zip MiB",
        "init p50",
        "init max",
        "RSS MiB",
        "1st call",
        "call p50",
        "refusal",
        "call CPU",
        "ref. CPU"
    );
    let mut summaries = Vec::new();
    for m in measured {
        let s = summarise(m);
        let max = m.starts.iter().map(|s| ms(&s.init)).fold(0.0, f64::max);
        let call = |x: f64| if x.is_nan() { "-".to_owned() } else { format!("{x:.3}ms") };
        println!(
            "{:<38} {:>9.2} {:>8} {:>7.2}ms {:>7.2}ms {:>8.1} {:>9} {:>9} {:>9} {:>9} {:>9}",
            m.name,
            m.size as f64 / 1e6,
            if s.zip_mib.is_nan() { "-".to_owned() } else { format!("{:.2}", s.zip_mib) },
            s.init,
            max,
            s.rss,
            call(s.first_call),
            call(s.warm),
            call(s.refused),
            call(s.warm_cpu),
            call(s.refused_cpu)
        );
        summaries.push((m.name.as_str(), s));
    }
    let ours: Vec<&(&str, Summary)> = summaries.iter().filter(|(n, _)| Some(*n) != peer).collect();
    if ours.len() > 1 {
        println!(
            "{} functions, {runs} starts each: median of medians init {:.2} ms, RSS {:.1} MiB",
            ours.len(),
            median(ours.iter().map(|(_, s)| s.init).collect()),
            median(ours.iter().map(|(_, s)| s.rss).collect())
        );
    }
    let Some((_, p)) = summaries.iter().find(|(n, _)| Some(*n) == peer) else { return };
    let worst = |f: fn(&Summary) -> f64| {
        ours.iter()
            .map(|(n, s)| (*n, f(s)))
            .filter(|(_, x)| !x.is_nan())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or(("-", f64::NAN))
    };
    let (init_name, init) = worst(|s| s.init);
    let (rss_name, rss) = worst(|s| s.rss);
    let (zip_name, zip) = worst(|s| s.zip_mib);
    println!();
    println!("against the peer ({} functions; the worst of ours):", ours.len());
    println!("  init p50   {init:.2} ms ({init_name}) vs peer {:.2} ms: {:.2}x", p.init, init / p.init);
    println!("  RSS        {rss:.1} MiB ({rss_name}) vs peer {:.1} MiB", p.rss);
    println!("  zip        {zip:.2} MiB ({zip_name}) vs peer {:.2} MiB", p.zip_mib);
    if let Some((_, t)) = summaries.iter().find(|(n, _)| *n == TWIN) {
        println!(
            "  {TWIN} calls: first {:.3} ms vs {:.3}, warm {:.3} ms vs {:.3}, refusal {:.3} ms vs {:.3} (peer second)",
            t.first_call, p.first_call, t.warm, p.warm, t.refused, p.refused
        );
        println!(
            "  {TWIN} CPU per call: warm {:.3} ms vs {:.3}, refusal {:.3} ms vs {:.3} (peer second)",
            t.warm_cpu, p.warm_cpu, t.refused_cpu, p.refused_cpu
        );
        println!(
            "  during a warm call: moto's CPU {:.3} ms vs {:.3}, this harness's {:.3} ms vs {:.3} (peer second)",
            t.warm_moto_cpu, p.warm_moto_cpu, t.warm_harness_cpu, p.warm_harness_cpu
        );
    }
}

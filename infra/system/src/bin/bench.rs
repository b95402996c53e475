//! `make bench`: runs orders through the whole saga in process against moto and prints how
//! long the saga takes (POST /orders → PAID, and a new product → orderable: p50/p90 over
//! sequential samples) and the AWS requests each step made per order, with what a million
//! orders would cost at list prices. Counts are exact (every SDK request is seen); the event
//! sources run with the template's batching windows and Lambda's polling cadence, so the
//! latencies are what the devstack shows (debug build, moto: indicative of AWS, not equal).
//!
//! Usage: bench [ORDERS] [--samples N] [--parameter Name=Value]... [--api URL]
//!   ORDERS      orders for the request counts (default 100)
//!   --samples   sequential orders and products timed (default 20)
//!   --parameter a template parameter, e.g. EventBatchingWindowSeconds=1
//!   --api       time a running `make dev` at URL instead (latency only; logs in as the
//!               seeded admin with the password in .bazaar/admin-password)

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bazaar_system::counting::{Call, Tally};
use bazaar_system::system::{ADMIN_EMAIL, ADMIN_PASSWORD};
use bazaar_system::{Api, System, SystemOptions, eventually};
use reqwest::StatusCode;

/// us-east-1 list prices, USD (2026): on-demand DynamoDB, SQS standard, EventBridge custom
/// events, SES outbound email, Lambda requests.
mod price {
    pub const WRU: f64 = 0.625 / 1e6;
    pub const RRU: f64 = 0.125 / 1e6;
    pub const SQS_REQUEST: f64 = 0.40 / 1e6;
    pub const EVENT: f64 = 1.00 / 1e6;
    pub const EMAIL: f64 = 0.10 / 1e3;
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
}

/// Cost of one call's tally, by the billing unit of its operation (items ≤ 1 KB, reads
/// strongly consistent: an upper bound). SSM standard parameters and stream reads by
/// Lambda are free; SMS is priced per country and left out.
fn cost(operation: &str, tally: &Tally) -> f64 {
    let (requests, items) = (tally.requests as f64, tally.items as f64);
    match operation {
        "dynamodb:TransactWriteItems" => items * 2.0 * price::WRU,
        "dynamodb:PutItem" | "dynamodb:UpdateItem" | "dynamodb:DeleteItem" => requests * price::WRU,
        "dynamodb:BatchWriteItem" => items * price::WRU,
        "dynamodb:TransactGetItems" => items * 2.0 * price::RRU,
        "dynamodb:GetItem" | "dynamodb:Query" => requests * price::RRU,
        "dynamodb:BatchGetItem" => items * price::RRU,
        "events:PutEvents" => items * price::EVENT,
        "sesv2:SendEmail" => requests * price::EMAIL,
        op if op.starts_with("sqs:") => requests * price::SQS_REQUEST,
        _ => 0.0,
    }
}

/// What the command line asks for.
struct Args {
    orders: usize,
    samples: usize,
    parameters: Vec<(String, String)>,
    api: Option<String>,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args { orders: 100, samples: 20, parameters: Vec::new(), api: None };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--samples" => args.samples = it.next().context("--samples N")?.parse().context("--samples")?,
            "--api" => args.api = Some(it.next().context("--api URL")?),
            "--parameter" => {
                let kv = it.next().context("--parameter Name=Value")?;
                let (k, v) = kv.split_once('=').context("--parameter Name=Value")?;
                args.parameters.push((k.to_owned(), v.to_owned()));
            }
            n => args.orders = n.parse().context("ORDERS")?,
        }
    }
    anyhow::ensure!(args.samples >= 1 && args.orders >= 1, "ORDERS and --samples must be at least 1");
    Ok(args)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    tracing_subscriber::fmt().with_env_filter("warn").init();
    if let Some(url) = &args.api {
        let api = Api::new(url.trim_end_matches('/').to_owned());
        let password = std::fs::read_to_string(".bazaar/admin-password").context("reading .bazaar/admin-password")?;
        let admin = api.login(devstack::seed::ADMIN_EMAIL, password.trim()).await?;
        println!("timing the saga on {url} ({} samples)…", args.samples);
        return latency(&api, &admin, args.samples).await.map(|t| t.print());
    }
    println!("starting the system in process against moto…");
    // One customer places every order of the run before the first settles: room for all of
    // them open at once (the cap is not what this measures).
    let open = (args.orders + 10).to_string();
    let mut options = SystemOptions::default().payment_success_rate("1.0").with("OpenOrdersPerCustomer", &open);
    for (k, v) in &args.parameters {
        options = options.with(k, v);
    }
    let sys = System::start(options).await?;
    let window = sys.stack.parameters.get("EventBatchingWindowSeconds").cloned().unwrap_or_default();
    let orders = args.orders;
    let admin = sys.api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let timings = latency(&sys.api, &admin, args.samples).await?;

    let product = sys.api.create_product(&admin, "Bench widget", 1_000, (orders as u32) * 2 + 10).await?;
    let (_, customer) = sys.api.new_customer().await?;
    // Warm up: until the orders projection knows the product, and that first order is paid.
    let warm_up = eventually(Duration::from_secs(60), "the product in the orders projection", || async {
        let reply = sys.api.place_order(&customer, &[(&product, 1)]).await?;
        Ok((reply.status == StatusCode::CREATED).then(|| reply.body["id"].as_str().unwrap_or_default().to_owned()))
    })
    .await?;
    wait_paid(&sys.api, &customer, &warm_up).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;

    sys.counter.reset();
    sys.registry.reset_invocations();
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(orders);
    let mut ids = Vec::with_capacity(orders);
    for _ in 0..orders {
        let t = Instant::now();
        let reply = sys.api.place_order(&customer, &[(&product, 1)]).await?;
        latencies.push(t.elapsed());
        anyhow::ensure!(reply.status == StatusCode::CREATED, "place order: {} {}", reply.status, reply.body);
        ids.push(reply.body["id"].as_str().unwrap_or_default().to_owned());
    }
    for id in &ids {
        wait_paid(&sys.api, &customer, id).await?;
    }
    // Let the last emails and publisher batches finish.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let elapsed = started.elapsed();
    println!("\nEventBatchingWindowSeconds = {window}");
    timings.print();
    report(orders, &sys.counter.snapshot(), &sys.registry.invocations(), &mut latencies, elapsed);
    Ok(())
}

/// How long the saga takes, sample by sample.
struct Timings {
    /// `POST /orders` answered → `GET /orders/{id}` says PAID.
    paid: Vec<Duration>,
    /// Orders the simulated provider declined (CANCELLED), left out of `paid`.
    declined: usize,
    /// `POST /products` answered → an order for it is accepted.
    orderable: Vec<Duration>,
}

impl Timings {
    fn print(&self) {
        println!("\nsaga latency (sequential samples; polled every {} ms)", POLL.as_millis());
        println!("  {:<34} {:>8} {:>8} {:>8}  n", "", "p50", "p90", "max");
        for (what, samples) in [("POST /orders → PAID", &self.paid), ("new product → orderable", &self.orderable)] {
            let (p50, p90, max) = (percentile(samples, 0.5), percentile(samples, 0.9), percentile(samples, 1.0));
            println!("  {what:<34} {:>8} {:>8} {:>8}  {}", ms(p50), ms(p90), ms(max), samples.len());
        }
        if self.declined > 0 {
            println!(
                "  ({} orders were declined by the simulated provider and are not in the PAID row)",
                self.declined
            );
        }
    }
}

const POLL: Duration = Duration::from_millis(20);

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted.get(((sorted.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or_default()
}

/// Times `samples` new products until orderable, then `samples` orders one after another
/// until PAID (or declined), each with nothing else in flight.
async fn latency(api: &Api, admin: &str, samples: usize) -> anyhow::Result<Timings> {
    let (_, customer) = api.new_customer().await?;
    let mut timings = Timings { paid: Vec::new(), declined: 0, orderable: Vec::new() };
    let mut product = String::new();
    // One untimed round first: the function instances start (cargo lambda starts each on
    // its first invocation) and the connections are made.
    for i in 0..=samples {
        product = api.create_product(admin, &format!("Timed {i}"), 500, (samples as u32) * 2 + 4).await?;
        let created = Instant::now();
        let first = poll(Duration::from_secs(30), || async {
            let reply = api.place_order(&customer, &[(&product, 1)]).await?;
            match reply.status {
                StatusCode::CREATED => Ok(Some(reply.body["id"].as_str().unwrap_or_default().to_owned())),
                StatusCode::UNPROCESSABLE_ENTITY => Ok(None),
                other => anyhow::bail!("placing an order: {other} {}", reply.body),
            }
        })
        .await
        .context("a new product never became orderable")?;
        let orderable = created.elapsed();
        settle(api, &customer, &first).await?;
        if i > 0 {
            timings.orderable.push(orderable);
        }
    }
    for _ in 0..samples {
        let placed = api.place_order(&customer, &[(&product, 1)]).await?;
        let t = Instant::now();
        anyhow::ensure!(placed.status == StatusCode::CREATED, "place order: {} {}", placed.status, placed.body);
        let id = placed.body["id"].as_str().unwrap_or_default().to_owned();
        match settle(api, &customer, &id).await?.as_str() {
            "PAID" => timings.paid.push(t.elapsed()),
            _ => timings.declined += 1,
        }
    }
    Ok(timings)
}

/// Polls `GET /orders/{id}` until the order is PAID, CANCELLED or REJECTED; that status.
async fn settle(api: &Api, token: &str, id: &str) -> anyhow::Result<String> {
    poll(Duration::from_secs(60), || async {
        let reply = api.get(&format!("/orders/{id}"), Some(token)).await?;
        let status = reply.body["status"].as_str().unwrap_or_default();
        Ok(["PAID", "CANCELLED", "REJECTED"].contains(&status).then(|| status.to_owned()))
    })
    .await
}

/// Like `eventually`, at the bench's finer poll interval.
async fn poll<T, F, Fut>(timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        anyhow::ensure!(Instant::now() < deadline, "timed out after {timeout:?}");
        tokio::time::sleep(POLL).await;
    }
}

/// Polls `GET /orders/{id}` (the bench's own reads, left out of the report) until PAID.
async fn wait_paid(api: &Api, token: &str, id: &str) -> anyhow::Result<()> {
    eventually(Duration::from_secs(120), "the order to be paid", || async {
        let reply = api.get(&format!("/orders/{id}"), Some(token)).await?;
        Ok((reply.body["status"] == "PAID").then_some(()))
    })
    .await
}

/// The bench's own status polling, not a step of the saga.
const NOT_A_STEP: &str = "orders-get";

fn report(
    orders: usize,
    calls: &BTreeMap<Call, Tally>,
    invocations: &BTreeMap<String, u64>,
    latencies: &mut [Duration],
    elapsed: Duration,
) {
    let n = orders as f64;
    let per_million = 1e6 / n;
    println!("\n{orders} orders through the saga (place → reserve → pay → paid → confirmation email)\n");
    println!("{:<26} {:<30} {:>9} {:>9} {:>14}", "step", "AWS request", "req/order", "items", "$ / 1M orders");
    let mut total = 0.0;
    let mut polling: BTreeMap<&str, u64> = BTreeMap::new();
    for (call, tally) in calls {
        if call.function == "-" {
            *polling.entry(call.operation.as_str()).or_default() += tally.requests;
            continue;
        }
        if call.function == NOT_A_STEP {
            continue;
        }
        let dollars = cost(&call.operation, tally) * per_million;
        total += dollars;
        println!(
            "{:<26} {:<30} {:>9.2} {:>9.2} {:>14.2}",
            call.function,
            call.operation,
            tally.requests as f64 / n,
            tally.items as f64 / n,
            dollars
        );
    }
    println!();
    println!("{:<26} {:>9} {:>14}", "function", "inv/order", "$ / 1M orders");
    for (function, count) in invocations.iter().filter(|(f, _)| f.as_str() != NOT_A_STEP) {
        let dollars = *count as f64 * price::LAMBDA_REQUEST * per_million;
        total += dollars;
        println!("{function:<26} {:>9.2} {dollars:>14.2}", *count as f64 / n);
    }
    println!("\nrequests and invocations: ${total:.2} per 1M orders (Lambda duration and SMS not included)");
    println!(
        "event-source pollers (Lambda's, billed as SQS requests where sqs:*; stream reads are free), {:.1} s:",
        elapsed.as_secs_f64()
    );
    for (operation, count) in &polling {
        println!(
            "  {operation:<34} {count:>6}  ({:.2} per order; long polls depend on time, not orders)",
            *count as f64 / n
        );
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    println!(
        "POST /orders latency in process on moto (debug build, indicative): p50 {:?}, p95 {:?}, max {:?}",
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    let place: BTreeMap<&str, &Tally> =
        calls.iter().filter(|(c, _)| c.function == "orders-place").map(|(c, t)| (c.operation.as_str(), t)).collect();
    let transactions = place.get("dynamodb:TransactWriteItems").map_or(0, |t| t.requests);
    let writes_elsewhere =
        place.keys().any(|op| !op.starts_with("dynamodb:") || op.contains("Put") || op.contains("Update"));
    println!(
        "orders-place: {transactions} TransactWriteItems for {orders} orders; {}",
        if transactions as usize == orders && !writes_elsewhere {
            "one transaction per order and nothing else synchronous ✔"
        } else {
            "VIOLATION: expected exactly one transaction per order and only reads besides"
        }
    );
}

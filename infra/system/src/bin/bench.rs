//! `make bench`: runs orders through the whole saga in process against moto and prints the
//! AWS requests each step made per order, with what a million orders would cost at list
//! prices. Counts are exact (every SDK request is seen); timings are of a debug build on
//! moto and only indicative.
//!
//! Usage: bench [ORDERS]   (default 100)

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bazaar_system::counting::{Call, Tally};
use bazaar_system::system::{ADMIN_EMAIL, ADMIN_PASSWORD};
use bazaar_system::{System, SystemOptions, eventually};
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

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let orders: usize = std::env::args().nth(1).map(|n| n.parse()).transpose().context("ORDERS")?.unwrap_or(100);
    tracing_subscriber::fmt().with_env_filter("warn").init();
    println!("starting the system in process against moto…");
    let sys = System::start(SystemOptions::default().payment_success_rate("1.0")).await?;
    let admin = sys.api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let product = sys.api.create_product(&admin, "Bench widget", 1_000, (orders as u32) * 2 + 10).await?;
    let (_, customer) = sys.api.new_customer().await?;
    // Warm up: until the orders projection knows the product, and that first order is paid.
    let warm_up = eventually(Duration::from_secs(60), "the product in the orders projection", || async {
        let reply = sys.api.place_order(&customer, &[(&product, 1)]).await?;
        Ok((reply.status == StatusCode::CREATED).then(|| reply.body["id"].as_str().unwrap_or_default().to_owned()))
    })
    .await?;
    wait_paid(&sys, &customer, &warm_up).await?;
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
        wait_paid(&sys, &customer, id).await?;
    }
    // Let the last emails and publisher batches finish.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let elapsed = started.elapsed();
    report(orders, &sys.counter.snapshot(), &sys.registry.invocations(), &mut latencies, elapsed);
    Ok(())
}

/// Polls `GET /orders/{id}` (the bench's own reads, left out of the report) until PAID.
async fn wait_paid(sys: &System, token: &str, id: &str) -> anyhow::Result<()> {
    eventually(Duration::from_secs(120), "the order to be paid", || async {
        let reply = sys.api.get(&format!("/orders/{id}"), Some(token)).await?;
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

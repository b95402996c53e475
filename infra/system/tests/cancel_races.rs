//! A cancelled or rejected order never costs its customer anything, a paid one costs its
//! total, and every email says so truthfully, whatever the order in which the saga's events
//! reach their consumers and however often. Property-based: proptest picks, per case, a
//! sequence of steps (deliver one pending message, redeliver one already handled, the
//! customer cancels the order, completes or abandons the payment); the system is every
//! function in process against moto, with the test as the only scheduler of deliveries
//! ([`bazaar_system::scheduler`]). After the steps every remaining message is delivered,
//! the invariants are checked, then every message of the case is delivered once more and
//! they are checked again.

use bazaar_system::scheduler::Scheduler;
use bazaar_system::system::{ADMIN_EMAIL, ADMIN_PASSWORD};
use bazaar_system::{System, SystemOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use tokio::sync::Mutex;

const STOCK: u64 = 5;
const QUANTITY: u64 = 2;
const PRICE_MINOR: i64 = 1_250;

#[derive(Debug, Clone)]
enum Step {
    /// Deliver pending message `n % pending`.
    Deliver(usize),
    /// Deliver again message `n % delivered` (a redelivery).
    Redeliver(usize),
    /// `POST /orders/{id}/cancel`.
    Cancel,
    /// `POST /payments/{id}/complete`: the payer pays (sandbox mode; simulated: 404/409).
    Complete,
    /// `POST /payments/{id}/cancel`: the payer gives up.
    Abandon,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => any::<usize>().prop_map(Step::Deliver),
        3 => any::<usize>().prop_map(Step::Redeliver),
        2 => Just(Step::Cancel),
        1 => Just(Step::Complete),
        1 => Just(Step::Abandon),
    ]
}

struct World {
    sys: System,
    scheduler: Mutex<Scheduler>,
    customer_email: String,
    manual: bool,
}

const CUSTOMER_PASSWORD: &str = "race condition 42";

/// Access tokens, fresh for one case (they expire after 15 minutes; a long run outlives that).
struct Tokens {
    admin: String,
    customer: String,
}

impl World {
    async fn start(options: SystemOptions, manual: bool) -> World {
        // One customer places an order per case, and an unpaid one stays open: room for every
        // case (proptest's shrinking included), as the cap is not what this tests.
        let options = options.with("OpenOrdersPerCustomer", "1000");
        let sys = System::start(options.manual_delivery()).await.expect("system starts");
        let mut scheduler = Scheduler::new(&sys).await.expect("scheduler");
        let customer_email = format!("racer-{}@example.com", uuid::Uuid::new_v4().simple());
        let body = json!({ "email": customer_email, "password": CUSTOMER_PASSWORD });
        let registered = sys.api.post("/auth/register", None, &body).await.expect("register");
        assert_eq!(registered.status.as_u16(), 201, "{}", registered.body);
        scheduler.pump().await.expect("pump");
        scheduler.drain().await.expect("registration delivered");
        World { sys, scheduler: Mutex::new(scheduler), customer_email, manual }
    }

    async fn tokens(&self) -> Result<Tokens, TestCaseError> {
        let api = &self.sys.api;
        Ok(Tokens {
            admin: api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.map_err(fail)?,
            customer: api.login(&self.customer_email, CUSTOMER_PASSWORD).await.map_err(fail)?,
        })
    }
}

/// Runs `cases` random step sequences against `world`.
fn check_cases(world: &World, rt: &tokio::runtime::Runtime, cases: u32) {
    let config = Config { cases, max_shrink_iters: 64, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&prop::collection::vec(step(), 0..20), |steps| rt.block_on(run_case(world, steps)));
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if cond { Ok(()) } else { Err(TestCaseError::fail(what())) }
}

fn fail(e: anyhow::Error) -> TestCaseError {
    TestCaseError::fail(format!("{e:#}"))
}

/// An HTTP step's reply must never be a server error.
fn no_5xx(what: &str, reply: &bazaar_system::Reply, allowed: &[u16]) -> Result<(), TestCaseError> {
    ensure(allowed.contains(&reply.status.as_u16()), || format!("{what}: {} {}", reply.status, reply.body))
}

async fn run_case(world: &World, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let api = &world.sys.api;
    let mut scheduler = world.scheduler.lock().await;
    let tokens = world.tokens().await?;
    scheduler.drain().await.map_err(fail)?;
    scheduler.forget();
    let name = format!("Race {}", uuid::Uuid::new_v4().simple());
    let product = api.create_product(&tokens.admin, &name, PRICE_MINOR, STOCK as u32).await.map_err(fail)?;
    scheduler.pump().await.map_err(fail)?;
    scheduler.drain().await.map_err(fail)?;
    let revenue_before = revenue(world, &tokens).await?;
    let placed = api.place_order(&tokens.customer, &[(&product, QUANTITY as u32)]).await.map_err(fail)?;
    no_5xx("place", &placed, &[201])?;
    let order_id = placed.body["id"].as_str().unwrap_or_default().to_owned();
    let payment_id = placed.body["payment_id"].as_str().unwrap_or_default().to_owned();
    ensure(!payment_id.is_empty(), || format!("the order names its payment: {}", placed.body))?;
    scheduler.pump().await.map_err(fail)?;

    for step in &steps {
        match step {
            Step::Deliver(n) if !scheduler.pending.is_empty() => {
                let i = n % scheduler.pending.len();
                scheduler.deliver(i).await.map_err(fail)?;
            }
            Step::Redeliver(n) if !scheduler.delivered.is_empty() => {
                let i = n % scheduler.delivered.len();
                let ok = scheduler.redeliver(i).await.map_err(fail)?;
                ensure(ok, || format!("a redelivery of {:?} failed", scheduler.delivered[i].detail_type))?;
            }
            Step::Deliver(_) | Step::Redeliver(_) => {}
            Step::Cancel => {
                let reply = api.post(&format!("/orders/{order_id}/cancel"), Some(&tokens.customer), &json!({})).await;
                no_5xx("cancel", &reply.map_err(fail)?, &[200, 409])?;
            }
            Step::Complete | Step::Abandon => {
                let action = if matches!(step, Step::Complete) { "complete" } else { "cancel" };
                let path = format!("/payments/{payment_id}/{action}");
                let reply = api.post(&path, Some(&tokens.customer), &json!({})).await.map_err(fail)?;
                no_5xx(action, &reply, &[200, 404, 409])?;
            }
        }
        scheduler.pump().await.map_err(fail)?;
    }
    scheduler.drain().await.map_err(fail)?;
    let case = Case { order_id, payment_id, product, revenue_before };
    let first = check(world, &tokens, &scheduler, &case).await?;

    // Every message of the case once more, newest first: nothing may change.
    for i in (0..scheduler.delivered.len()).rev() {
        let ok = scheduler.redeliver(i).await.map_err(fail)?;
        ensure(ok, || format!("a redelivery of {} failed", scheduler.delivered[i].detail_type))?;
    }
    scheduler.drain().await.map_err(fail)?;
    let again = check(world, &tokens, &scheduler, &case).await?;
    ensure(first == again, || format!("redeliveries changed the outcome: {first:?} → {again:?}"))
}

struct Case {
    order_id: String,
    payment_id: String,
    product: String,
    revenue_before: i64,
}

/// What a case ended in: the order status, how much was charged and kept.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: String,
    charges: usize,
    refunds: usize,
}

/// The invariants, after every pending message was delivered.
async fn check(world: &World, tokens: &Tokens, scheduler: &Scheduler, case: &Case) -> Result<Outcome, TestCaseError> {
    let api = &world.sys.api;
    let order = api.get(&format!("/orders/{}", case.order_id), Some(&tokens.customer)).await.map_err(fail)?;
    no_5xx("get order", &order, &[200])?;
    let status = order.body["status"].as_str().unwrap_or_default().to_owned();
    let total = order.body["total"]["amount_minor"].as_i64().unwrap_or_default();
    let of_payment = |detail_type: &str| -> Vec<Value> {
        scheduler
            .published_of(detail_type)
            .filter(|e| e["data"]["payment_id"] == case.payment_id.as_str())
            .cloned()
            .collect()
    };
    let (charges, refunds) = (of_payment("PaymentSucceeded").len(), of_payment("PaymentRefunded").len());
    let settled = of_payment("CancellationSettled");
    let outcome = Outcome { status: status.clone(), charges, refunds };
    ensure(charges <= 1 && refunds <= charges, || format!("charged {charges}×, refunded {refunds}×: {outcome:?}"))?;
    let kept = charges - refunds;

    let payment = api.get(&format!("/payments/{}", case.payment_id), Some(&tokens.customer)).await.map_err(fail)?;
    let payment_status = payment.body["status"].as_str().unwrap_or("none").to_owned();
    let units_held = match status.as_str() {
        "PAID" => {
            ensure(kept == 1 && payment_status == "SUCCEEDED", || {
                format!("a paid order is charged: {outcome:?} {payment_status}")
            })?;
            ensure(settled.is_empty(), || "a paid order has no cancellation".to_owned())?;
            QUANTITY
        }
        "CANCELLED" | "REJECTED" => {
            ensure(kept == 0, || format!("a {status} order cost its customer money: {outcome:?}"))?;
            let expected = if refunds == 1 { "REFUNDED" } else { "FAILED" };
            ensure(payment_status == expected, || {
                format!("payment {payment_status}, expected {expected}: {outcome:?}")
            })?;
            ensure(settled.len() == 1, || format!("{} CancellationSettled: {outcome:?}", settled.len()))?;
            let money = if refunds == 1 { "refunded" } else { "nothing_charged" };
            ensure(settled[0]["data"]["money"] == money, || {
                format!("settled as {}: {outcome:?}", settled[0]["data"]["money"])
            })?;
            0
        }
        "AWAITING_PAYMENT" if world.manual => {
            ensure(charges == 0 && payment_status == "PENDING", || {
                format!("unpaid yet: {outcome:?} {payment_status}")
            })?;
            QUANTITY
        }
        other => return Err(TestCaseError::fail(format!("order ended {other} after every event: {outcome:?}"))),
    };

    let product = api.get(&format!("/products/{}", case.product), None).await.map_err(fail)?;
    let stock = product.body["stock"].as_u64().unwrap_or_default();
    ensure(stock == STOCK - units_held, || format!("stock {stock}, expected {}: {outcome:?}", STOCK - units_held))?;

    let emails: Vec<_> = world
        .sys
        .emails_to(&world.customer_email)
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|e| e.subject.contains(&case.order_id) || e.body.contains(&case.order_id))
        .collect();
    let bodies: Vec<&str> = emails.iter().map(|e| e.body.as_str()).collect();
    match status.as_str() {
        "PAID" => ensure(emails.len() == 1 && emails[0].subject.contains("confirmed"), || format!("{bodies:?}"))?,
        "CANCELLED" | "REJECTED" => {
            ensure(emails.len() == 1, || format!("one cancellation email, got {bodies:?}"))?;
            let body = &emails[0].body;
            let truthful = if refunds == 1 {
                body.contains("refunded in full") && !body.contains("Nothing was charged")
            } else {
                body.contains("Nothing was charged") && !body.contains("refunded")
            };
            ensure(truthful, || format!("the email lies about the money ({outcome:?}): {body}"))?;
        }
        _ => ensure(emails.is_empty(), || format!("nothing to tell yet: {bodies:?}"))?,
    }

    let revenue_now = revenue(world, tokens).await?;
    let expected = if kept == 1 { total } else { 0 };
    ensure(revenue_now - case.revenue_before == expected, || {
        format!("reports' revenue moved by {}, money kept {expected}: {outcome:?}", revenue_now - case.revenue_before)
    })?;
    Ok(outcome)
}

/// The reports' revenue (EUR, all scopes' money movement) around today.
async fn revenue(world: &World, tokens: &Tokens) -> Result<i64, TestCaseError> {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today - chrono::Days::new(1), today + chrono::Days::new(1));
    let reply =
        world.sys.api.get(&format!("/reports/sales?from={from}&to={to}"), Some(&tokens.admin)).await.map_err(fail)?;
    no_5xx("sales report", &reply, &[200])?;
    let totals = reply.body["totals"]["revenue"].as_array().cloned().unwrap_or_default();
    Ok(totals.iter().filter(|m| m["currency"] == "EUR").filter_map(|m| m["amount_minor"].as_i64()).sum())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime")
}

/// Cases per test: `PROPTEST_CASES` or 12.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12)
}

#[test]
fn simulated_payments_a_cancelled_order_is_never_charged_whatever_the_interleaving() {
    let rt = runtime();
    let world = rt.block_on(World::start(SystemOptions::default().payment_success_rate("0.5"), false));
    check_cases(&world, &rt, cases());
}

#[test]
fn payer_completed_payments_a_cancelled_order_is_never_charged_whatever_the_interleaving() {
    let rt = runtime();
    let world = rt.block_on(World::start(SystemOptions::default().with("PaymentProviderMode", "sandbox"), true));
    check_cases(&world, &rt, cases());
}

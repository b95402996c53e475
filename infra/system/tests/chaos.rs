//! The saga under injected AWS failures ([`bazaar_system::chaos`]): a random 10 % of every
//! function's AWS requests fail (throttling, 500s, answers lost after moto applied the
//! request), then orders and bookings run through the saga: 200 and 50 by default,
//! `CHAOS_ORDERS` / `CHAOS_BOOKINGS` for more, `CHAOS_SEED` for another draw. The same holds
//! when instead 10 % of the publishers' PutEvents entries are reported failed.
//!
//! What must hold once the system is quiescent and every DLQ has been redriven: every order
//! and booking reached a final state; nothing was charged twice, nothing cancelled was
//! charged (the reports' money matches what was kept); stock and slots add up; one email per
//! outcome; every DLQ is empty. Clients retry a 5xx with the same Idempotency-Key, as a
//! client of the API would.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bazaar_system::api::room_open_all_week;
use bazaar_system::chaos::Chaos;
use bazaar_system::{Reply, System, SystemOptions, system::ADMIN_EMAIL, system::ADMIN_PASSWORD};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SETTLE: Duration = Duration::from_secs(300);
const CUSTOMERS: usize = 10;
/// Products: three plentiful ones and a scarce one, whose orders are partly rejected.
const STOCK: [u64; 4] = [10_000, 10_000, 10_000, 12];
const PRICE: i64 = 1_000;
const SLOT_PRICE: i64 = 2_500;
/// notifications_core::store::STALE_CLAIM_SECONDS (120), and a margin.
const STALE_CLAIM: Duration = Duration::from_secs(125);
/// Requests in flight at once.
const CONCURRENCY: usize = 8;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A deterministic stream of choices (splitmix64).
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Sends until the API answers something other than a 5xx or 429: what a client does with
/// the same Idempotency-Key. A 5xx must be a problem that says nothing of its cause.
async fn answered(sys: &System, method: Method, path: &str, token: &str, body: Option<&Value>, key: &str) -> Reply {
    let headers = [("idempotency-key", key)];
    for _ in 0..40 {
        match sys.api.send(method.clone(), path, Some(token), body, &headers).await {
            Ok(reply) if reply.status.is_server_error() => {
                let kind = reply.body["type"].as_str().unwrap_or_default();
                assert!(
                    kind.ends_with("internal") || kind.ends_with("unavailable"),
                    "{method} {path}: a 5xx is a problem that names no cause: {} {}",
                    reply.status,
                    reply.body
                );
                assert!(
                    reply.body.get("detail").is_none_or(|d| !d.to_string().contains("Exception")),
                    "{}",
                    reply.body
                );
            }
            Ok(reply) if reply.status == StatusCode::TOO_MANY_REQUESTS => {}
            Ok(reply) => return reply,
            Err(e) => tracing::warn!("{method} {path}: {e:#}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{method} {path} never answered without a 5xx");
}

fn id_of(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap_or_else(|| panic!("no id in {}", reply.body)).to_owned()
}

#[derive(Debug)]
struct Order {
    id: String,
    customer: usize,
    lines: Vec<(usize, u64)>,
    total: i64,
    payment_id: String,
}

#[derive(Debug)]
struct Booking {
    id: String,
    customer: usize,
    resource: usize,
    start: chrono::DateTime<chrono::Utc>,
}

struct Shop {
    sys: System,
    admin: String,
    customers: Vec<(String, String)>,
    products: Vec<String>,
    resources: Vec<String>,
}

/// The shop, set up before any failure is injected: the admin, customers, products (known
/// to the orders service) and two rooms.
async fn shop(chaos: Arc<Chaos>, seed: u64) -> Shop {
    let options = SystemOptions::default()
        .payment_success_rate("0.8")
        .with("PaymentSimulationSeed", &format!("chaos-{seed}"))
        .with("OpenOrdersPerCustomer", "1000")
        .with("PendingReservationsPerCustomer", "1000")
        .chaos(chaos);
    let sys = System::start(options).await.expect("system starts");
    let admin = sys.api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("admin logs in");
    let mut customers = Vec::new();
    for _ in 0..CUSTOMERS {
        let (email, token) = sys.api.new_customer().await.expect("customer");
        customers.push((email, token));
    }
    let mut products = Vec::new();
    for (i, stock) in STOCK.iter().enumerate() {
        let stock = u32::try_from(*stock).expect("stock");
        products.push(sys.api.create_product(&admin, &format!("Chaos {i}"), PRICE, stock).await.expect("product"));
    }
    let mut resources = Vec::new();
    for i in 0..2 {
        let room = room_open_all_week(&format!("Chaos room {i}"), "UTC", 60, SLOT_PRICE);
        let created = sys.api.post("/resources", Some(&admin), &room).await.expect("resource");
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        resources.push(id_of(&created));
    }
    // Every product in the orders projection before anything fails.
    sys.quiescent(SETTLE).await.expect("set up");
    Shop { sys, admin, customers, products, resources }
}

impl Shop {
    async fn place(&self, draws: &mut Draws, customer: usize) -> Order {
        let mut lines: Vec<(usize, u64)> = Vec::new();
        for _ in 0..=draws.below(2) {
            let product = usize::try_from(draws.below(STOCK.len() as u64)).expect("index");
            if lines.iter().all(|(p, _)| *p != product) {
                lines.push((product, 1 + draws.below(3)));
            }
        }
        let body = json!({ "lines": lines.iter().map(|(p, q)| json!({ "product_id": self.products[*p], "quantity": q })).collect::<Vec<_>>() });
        let key = uuid::Uuid::new_v4().to_string();
        let token = &self.customers[customer].1;
        let reply = answered(&self.sys, Method::POST, "/orders", token, Some(&body), &key).await;
        assert_eq!(reply.status, StatusCode::CREATED, "placing an order: {}", reply.body);
        let total = reply.body["total"]["amount_minor"].as_i64().expect("total");
        let payment_id = reply.body["payment_id"].as_str().unwrap_or_default().to_owned();
        Order { id: id_of(&reply), customer, lines, total, payment_id }
    }

    async fn book(&self, n: u64, customer: usize) -> Booking {
        let resource = usize::try_from(n % 2).expect("index");
        let day = (chrono::Utc::now() + chrono::Duration::days(7 + i64::try_from(n / 40).expect("day"))).date_naive();
        let hour = u32::try_from((n / 2) % 20).expect("hour") + 2;
        let start = day.and_hms_opt(hour, 0, 0).expect("hour").and_utc();
        let body = json!({
            "resource_id": self.resources[resource], "start": start.to_rfc3339(),
            "end": (start + chrono::Duration::hours(1)).to_rfc3339(),
        });
        let key = uuid::Uuid::new_v4().to_string();
        let reply =
            answered(&self.sys, Method::POST, "/reservations", &self.customers[customer].1, Some(&body), &key).await;
        assert_eq!(reply.status, StatusCode::CREATED, "booking: {}", reply.body);
        Booking { id: id_of(&reply), customer, resource, start }
    }

    /// A customer's cancellation: taken, or refused because the order or booking already ended.
    async fn cancel(&self, path: &str, customer: usize) {
        let key = uuid::Uuid::new_v4().to_string();
        let reply = answered(&self.sys, Method::POST, path, &self.customers[customer].1, None, &key).await;
        assert!(
            [StatusCode::OK, StatusCode::ACCEPTED, StatusCode::CONFLICT].contains(&reply.status),
            "cancel {path}: {} {}",
            reply.status,
            reply.body
        );
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        answered(&self.sys, Method::GET, path, token, None, "-").await
    }

    /// Every DLQ's messages back to their queues; how many.
    async fn redrive(&self) -> usize {
        let client = aws_sdk_sqs::Client::new(&self.sys.config);
        let mut moved = 0;
        for dlq in devstack::dlq::dead_letter_queues(&self.sys.stack) {
            let url = self.sys.queue_url(&dlq.logical_id);
            if devstack::dlq::depth(&client, &url).await.expect("depth") > 0 {
                moved += devstack::dlq::redrive(&client, &self.sys.provisioned, &dlq).await.expect("redrive");
            }
        }
        moved
    }

    async fn dlq_depths(&self) -> BTreeMap<String, u64> {
        let client = aws_sdk_sqs::Client::new(&self.sys.config);
        let mut depths = BTreeMap::new();
        for dlq in devstack::dlq::dead_letter_queues(&self.sys.stack) {
            let url = self.sys.queue_url(&dlq.logical_id);
            depths.insert(dlq.logical_id.clone(), devstack::dlq::depth(&client, &url).await.expect("depth"));
        }
        depths
    }
}

async fn run(chaos: Arc<Chaos>, seed: u64) {
    let shop = shop(chaos.clone(), seed).await;
    let (orders_wanted, bookings_wanted) = (env_or("CHAOS_ORDERS", 200), env_or("CHAOS_BOOKINGS", 50));
    chaos.enable();

    // Orders and bookings, CONCURRENCY at a time; a tenth of each cancelled by its customer.
    let mut plans: Vec<(u64, usize, bool, bool)> = Vec::new();
    let mut draws = Draws(seed);
    for n in 0..orders_wanted + bookings_wanted {
        let customer = usize::try_from(draws.below(CUSTOMERS as u64)).expect("index");
        plans.push((n, customer, n < orders_wanted, draws.below(10) == 0));
    }
    let shop = &shop;
    let made: Vec<(Option<Order>, Option<Booking>)> = futures::stream::iter(plans)
        .map(|(n, customer, is_order, cancel)| async move {
            if is_order {
                let order = shop.place(&mut Draws(seed ^ n.wrapping_mul(31)), customer).await;
                if cancel {
                    shop.cancel(&format!("/orders/{}/cancel", order.id), customer).await;
                }
                (Some(order), None)
            } else {
                let booking = shop.book(n - orders_wanted, customer).await;
                if cancel {
                    shop.cancel(&format!("/reservations/{}/cancel", booking.id), customer).await;
                }
                (None, Some(booking))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let (orders, bookings): (Vec<_>, Vec<_>) = made.into_iter().unzip();
    let (orders, bookings): (Vec<Order>, Vec<Booking>) =
        (orders.into_iter().flatten().collect(), bookings.into_iter().flatten().collect());

    // Everything that can happen has happened; then what waits in a DLQ gets its second
    // chance, and the system settles again.
    shop.sys.quiescent(SETTLE).await.expect("the system settles under faults");
    let mut redriven = shop.redrive().await;
    shop.sys.quiescent(SETTLE).await.expect("the system settles after the redrive");
    if shop.dlq_depths().await.values().any(|d| *d > 0) {
        // A send whose claim could not be given back (three failed attempts) is taken over
        // after STALE_CLAIM_SECONDS; the stage's 60 s visibility timeout spreads a message's
        // five receives over longer than that, the test's 2 s does not. An operator's
        // later redrive, then.
        tokio::time::sleep(STALE_CLAIM).await;
        redriven += shop.redrive().await;
        shop.sys.quiescent(SETTLE).await.expect("the system settles after the second redrive");
    }
    let depths = shop.dlq_depths().await;
    assert!(depths.values().all(|d| *d == 0), "after a redrive every DLQ is empty: {depths:?}");

    let admin = &shop.admin;
    let mut kept = 0i64;
    let mut sold = vec![0u64; STOCK.len()];
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut emails: BTreeMap<usize, Vec<devstack::outbox::Email>> = BTreeMap::new();
    for (i, (email, _)) in shop.customers.iter().enumerate() {
        emails.insert(i, shop.sys.emails_to(email).await.expect("emails"));
    }
    for order in &orders {
        let token = &shop.customers[order.customer].1;
        let reply = shop.get(&format!("/orders/{}", order.id), token).await;
        let status = reply.body["status"].as_str().unwrap_or_default().to_owned();
        *outcomes.entry(format!("order {status}")).or_default() += 1;
        let payment_id = reply.body["payment_id"].as_str().unwrap_or(&order.payment_id).to_owned();
        let payment = if payment_id.is_empty() {
            "none".to_owned()
        } else {
            let p = shop.get(&format!("/payments/{payment_id}"), token).await;
            p.body["status"].as_str().unwrap_or("none").to_owned()
        };
        let mine: Vec<&devstack::outbox::Email> = emails[&order.customer]
            .iter()
            .filter(|e| e.body.contains(&order.id) || e.subject.contains(&order.id))
            .collect();
        let subjects: Vec<&str> = mine.iter().map(|e| e.subject.as_str()).collect();
        match status.as_str() {
            "PAID" => {
                assert_eq!(payment, "SUCCEEDED", "order {} is paid", order.id);
                kept += order.total;
                for (product, quantity) in &order.lines {
                    sold[*product] += quantity;
                }
                assert!(mine.len() == 1 && subjects[0].contains("confirmed"), "order {}: {subjects:?}", order.id);
            }
            "CANCELLED" | "REJECTED" => {
                assert!(
                    ["FAILED", "REFUNDED", "none"].contains(&payment.as_str()),
                    "{status} order {}: {payment}",
                    order.id
                );
                assert_eq!(mine.len(), 1, "one email for {status} order {}: {subjects:?}", order.id);
            }
            other => panic!("order {} ended {other}, not in a final state", order.id),
        }
    }
    for booking in &bookings {
        let token = &shop.customers[booking.customer].1;
        let reply = shop.get(&format!("/reservations/{}", booking.id), token).await;
        let status = reply.body["status"].as_str().unwrap_or_default().to_owned();
        *outcomes.entry(format!("booking {status}")).or_default() += 1;
        let mine: Vec<&devstack::outbox::Email> =
            emails[&booking.customer].iter().filter(|e| e.body.contains(&booking.id)).collect();
        let confirmed = mine.iter().filter(|e| e.subject.contains("is confirmed")).count();
        let cancelled = mine.iter().filter(|e| e.subject.contains("cancelled")).count();
        match status.as_str() {
            "CONFIRMED" => {
                kept += SLOT_PRICE;
                assert_eq!((confirmed, cancelled), (1, 0), "booking {}", booking.id);
            }
            "CANCELLED" => assert!(confirmed <= 1 && cancelled == 1, "booking {}: {confirmed} {cancelled}", booking.id),
            other => panic!("booking {} ended {other}, not in a final state", booking.id),
        }
        // Its slot is taken exactly while it is confirmed.
        let date = booking.start.date_naive();
        let path = format!("/resources/{}/availability?date={date}", shop.resources[booking.resource]);
        let day = shop.get(&path, admin).await;
        let slot = day.body["slots"].as_array().into_iter().flatten().find(|s| {
            s["start"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.to_utc())
                == Some(booking.start)
        });
        let available = slot.and_then(|s| s["available"].as_bool());
        assert_eq!(available, Some(status != "CONFIRMED"), "booking {} {status}: its slot {slot:?}", booking.id);
    }
    for (i, product) in shop.products.iter().enumerate() {
        let reply = shop.get(&format!("/products/{product}"), admin).await;
        assert_eq!(reply.body["stock"].as_u64(), Some(STOCK[i] - sold[i]), "product {i}: sold {}", sold[i]);
    }
    // Money: every charge less every refund, as the reports count it, is what was kept.
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today - chrono::Days::new(1), today + chrono::Days::new(1));
    let report = shop.get(&format!("/reports/sales?from={from}&to={to}"), admin).await;
    let revenue: i64 = report.body["totals"]["revenue"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["currency"] == "EUR")
        .filter_map(|m| m["amount_minor"].as_i64())
        .sum();
    assert_eq!(revenue, kept, "the money moved is the money kept: {outcomes:?}");

    let injected = chaos.injected();
    eprintln!(
        "chaos: {} orders, {} bookings, {outcomes:?}; injected {injected:?}; {redriven} messages redriven",
        orders.len(),
        bookings.len()
    );
    assert_eq!(orders.len() as u64 + bookings.len() as u64, orders_wanted + bookings_wanted);
    assert!(outcomes.keys().any(|k| k == "order PAID") && outcomes.keys().any(|k| k == "booking CONFIRMED"));
}

fn seed() -> u64 {
    env_or("CHAOS_SEED", 31)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenth_of_every_functions_aws_requests_fail_and_nothing_is_lost_or_charged_twice() {
    let chaos = Chaos::new(0.1, 0.0, seed());
    run(chaos.clone(), seed()).await;
    let injected = chaos.injected();
    assert!(
        injected.throttles > 0 && injected.server_errors > 0 && injected.lost_answers > 0,
        "every kind of failure was injected: {injected:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenth_of_the_publishers_put_events_entries_fail_and_nothing_is_lost() {
    let chaos = Chaos::new(0.0, 0.1, seed());
    run(chaos.clone(), seed()).await;
    assert!(chaos.injected().failed_entries > 0, "{:?}", chaos.injected());
}

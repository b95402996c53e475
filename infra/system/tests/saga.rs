//! The order saga end to end: every function in process behind the devstack's gateway and
//! event sources, against moto through the real SDK. Each test runs its own stage.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};
use bazaar_events::Envelope;
use bazaar_events::catalog::ProductChanged;
use bazaar_system::{System, SystemOptions, eventually, system::ADMIN_EMAIL, system::ADMIN_PASSWORD};
use devstack::invoke::{InvokeOutcome, Invoker};
use futures::future::BoxFuture;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SETTLE: Duration = Duration::from_secs(120);
/// Where an order ends.
const SETTLED: [&str; 3] = ["PAID", "CANCELLED", "REJECTED"];

/// A fresh system whose simulated payments succeed with probability `rate`, its admin
/// logged in, and one registered customer.
struct Shop {
    sys: System,
    admin: String,
    email: String,
    customer: String,
}

async fn shop(rate: &str) -> Shop {
    shop_with(SystemOptions::default().payment_success_rate(rate)).await
}

async fn shop_with(options: SystemOptions) -> Shop {
    let sys = System::start(options).await.expect("system starts");
    let admin = sys.api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("admin logs in");
    let (email, customer) = sys.api.new_customer().await.expect("customer");
    Shop { sys, admin, email, customer }
}

impl Shop {
    /// A product the admin puts on sale; its id.
    async fn product(&self, name: &str, amount_minor: i64, stock: u32) -> String {
        self.sys.api.create_product(&self.admin, name, amount_minor, stock).await.expect("product")
    }

    /// Places orders until the orders service's projection knows the products (it learns of
    /// them through ProductChanged, asynchronously); the first accepted order.
    async fn first_order(&self, lines: &[(&str, u32)]) -> Value {
        eventually(Duration::from_secs(30), "the product in the orders projection", || async {
            let reply = self.sys.api.place_order(&self.customer, lines).await?;
            match reply.status {
                StatusCode::CREATED => Ok(Some(reply.body)),
                StatusCode::UNPROCESSABLE_ENTITY => Ok(None),
                other => anyhow::bail!("placing an order: {other} {}", reply.body),
            }
        })
        .await
        .expect("order accepted")
    }

    /// Waits until the orders service knows `products`, with a harmless probe: an order
    /// for more than any of their stock (the 100 units an order may hold, shared out),
    /// rejected, which holds nothing.
    async fn known_to_orders(&self, products: &[&str]) {
        let each = 100 / u32::try_from(products.len()).expect("a few products");
        let lines: Vec<(&str, u32)> = products.iter().map(|p| (*p, each)).collect();
        let probe = self.first_order(&lines).await;
        self.order_status(probe["id"].as_str().expect("id"), &["REJECTED"]).await;
    }

    /// Waits until the customer's order `id` reaches one of `statuses`; its final JSON.
    async fn order_status(&self, id: &str, statuses: &[&str]) -> Value {
        self.sys.api.status_of(&format!("/orders/{id}"), &self.customer, statuses, SETTLE).await.expect("order settles")
    }

    async fn stock(&self, product: &str) -> u64 {
        let reply = self.sys.api.get(&format!("/products/{product}"), None).await.expect("get product");
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["stock"].as_u64().expect("stock")
    }

    /// Waits until the product's stock is `units` again (holds are released asynchronously).
    async fn stock_back_to(&self, product: &str, units: u64) {
        eventually(SETTLE, &format!("the stock back to {units}"), || async {
            Ok((self.stock(product).await == units).then_some(()))
        })
        .await
        .expect("stock restored");
    }

    /// Waits for at least `count` emails to the customer.
    async fn emails(&self, count: usize) -> Vec<devstack::outbox::Email> {
        eventually(SETTLE, &format!("{count} email(s) to {}", self.email), || async {
            let emails = self.sys.emails_to(&self.email).await?;
            Ok((emails.len() >= count).then_some(emails))
        })
        .await
        .expect("emails sent")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paid_order_drops_stock_and_the_customer_gets_one_confirmation() {
    let shop = shop("1.0").await;
    let lamp = shop.product("Lamp", 2_500, 10).await;

    let order = shop.first_order(&[(&lamp, 3)]).await;
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total"], json!({ "amount_minor": 7_500, "currency": "EUR" }));
    let id = order["id"].as_str().expect("id");

    let paid = shop.order_status(id, &SETTLED).await;
    assert_eq!(paid["status"], "PAID", "{paid}");
    assert_eq!(shop.stock(&lamp).await, 7);

    let payment_path = format!("/payments/{}", paid["payment_id"].as_str().expect("payment id"));
    let payment = shop.sys.api.get(&payment_path, Some(&shop.customer)).await.expect("payment");
    assert_eq!(payment.status, StatusCode::OK, "{}", payment.body);
    assert_eq!(payment.body["status"], "SUCCEEDED");

    // The welcome email and the confirmation; redeliveries never add a third: once every
    // queue and stream has drained, there are still two.
    let sent = shop.emails(2).await;
    shop.sys.quiescent(SETTLE).await.expect("the system settles");
    let sent_later = shop.sys.emails_to(&shop.email).await.expect("outbox");
    assert_eq!(sent_later.len(), 2, "{sent_later:#?}");
    assert!(sent.iter().any(|e| e.body.contains(id) || e.subject.contains(id)), "no confirmation mentions {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_payment_cancels_the_order_restores_stock_and_says_sorry() {
    let shop = shop("0").await;
    let kettle = shop.product("Kettle", 4_900, 5).await;

    let order = shop.first_order(&[(&kettle, 2)]).await;
    let id = order["id"].as_str().expect("id");
    let done = shop.order_status(id, &SETTLED).await;
    assert_eq!(done["status"], "CANCELLED", "{done}");
    shop.stock_back_to(&kettle, 5).await;
    let sent = shop.emails(2).await;
    assert!(sent.iter().any(|e| e.body.contains(id) || e.subject.contains(id)), "no sorry email about {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_cancelled_at_once_is_never_charged_and_its_email_tells_the_money_truth() {
    // The race users hit: the simulated provider settles the payment while the cancel is
    // on its way. Whichever wins, the customer keeps their money and is told so.
    let shop = shop("1.0").await;
    let (api, customer) = (&shop.sys.api, shop.customer.as_str());
    let lamp = shop.product("Lamp", 2_500, 10).await;
    let warm = shop.first_order(&[(&lamp, 1)]).await;
    shop.order_status(warm["id"].as_str().expect("id"), &["PAID"]).await;

    let mut orders = Vec::new();
    for _ in 0..3 {
        let placed = api.place_order(customer, &[(&lamp, 2)]).await.expect("placed");
        assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
        let id = placed.body["id"].as_str().expect("id").to_owned();
        let cancel = api.post(&format!("/orders/{id}/cancel"), Some(customer), &json!({})).await.expect("cancel");
        assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.body);
        assert_eq!(cancel.body["status"], "CANCELLED");
        orders.push((id, placed.body["payment_id"].as_str().expect("payment id").to_owned()));
    }
    for (id, payment_id) in &orders {
        let payment = api
            .status_of(&format!("/payments/{payment_id}"), customer, &["FAILED", "REFUNDED"], SETTLE)
            .await
            .expect("payment failed or refunded");
        let mail = eventually(SETTLE, "the cancellation email", || async {
            Ok(shop.sys.emails_to(&shop.email).await?.into_iter().find(|e| e.subject.contains(id.as_str())))
        })
        .await
        .expect("emailed");
        if payment["status"] == "REFUNDED" {
            assert!(
                mail.body.contains("refunded in full") && !mail.body.contains("Nothing was charged"),
                "{}",
                mail.body
            );
        } else {
            assert!(mail.body.contains("Nothing was charged"), "{}", mail.body);
        }
        assert_eq!(shop.order_status(id, &["CANCELLED"]).await["status"], "CANCELLED");
    }
    // Every unit back but the paid one.
    shop.stock_back_to(&lamp, 9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_for_more_than_the_stock_is_rejected_and_nothing_is_held() {
    let shop = shop("1.0").await;
    let tray = shop.product("Tray", 6_800, 2).await;
    let cup = shop.product("Cup", 1_250, 10).await;
    shop.known_to_orders(&[&cup, &tray]).await;

    let order = shop.sys.api.place_order(&shop.customer, &[(&cup, 1), (&tray, 3)]).await.expect("placed");
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
    let done = shop.order_status(order.body["id"].as_str().expect("id"), &SETTLED).await;
    assert_eq!(done["status"], "REJECTED", "{done}");
    // All or nothing: the cup line that was available is not held either.
    assert_eq!(shop.stock(&cup).await, 10);
    assert_eq!(shop.stock(&tray).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_orders_against_fifty_units_sell_exactly_fifty() {
    // Four customers place fifty orders each at once: room for all of them open together.
    let shop =
        shop_with(SystemOptions::default().payment_success_rate("1.0").with("OpenOrdersPerCustomer", "200")).await;
    let api = &shop.sys.api;
    let item = shop.product("Limited print", 9_900, 50).await;
    let others = futures::future::try_join_all((0..3).map(|_| api.new_customer())).await.expect("customers");
    let customers: Vec<String> =
        std::iter::once(shop.customer.clone()).chain(others.into_iter().map(|(_, token)| token)).collect();
    shop.known_to_orders(&[&item]).await;

    let placed = futures::future::join_all((0..200).map(|i| {
        let token = customers[i % customers.len()].clone();
        let item = item.clone();
        async move { (token.clone(), api.place_order(&token, &[(&item, 1)]).await.expect("sent")) }
    }))
    .await;
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for (token, reply) in &placed {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let path = format!("/orders/{}", reply.body["id"].as_str().expect("id"));
        let order = api.status_of(&path, token, &SETTLED, SETTLE).await.expect("order settles");
        *by_status.entry(order["status"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
    }
    assert_eq!(by_status.get("PAID"), Some(&50), "{by_status:?}");
    assert_eq!(by_status.get("REJECTED"), Some(&150), "{by_status:?}");
    assert_eq!(shop.stock(&item).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_of_a_flow_carries_the_correlation_id_of_the_request() {
    let shop = shop("1.0").await;
    let sys = &shop.sys;
    let mug = shop.product("Mug", 1_500, 3).await;
    shop.known_to_orders(&[&mug]).await;

    let correlation = format!("corr-{}", uuid::Uuid::new_v4().simple());
    let body = json!({ "lines": [{ "product_id": mug, "quantity": 1 }] });
    let headers = [("idempotency-key", "k-1"), ("x-correlation-id", correlation.as_str())];
    let reply =
        sys.api.send(Method::POST, "/orders", Some(&shop.customer), Some(&body), &headers).await.expect("placed");
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_str().expect("id").to_owned();
    shop.order_status(&id, &["PAID"]).await;

    // OrderPlaced, StockReserved, PaymentSucceeded, OrderPaid: all in the services' outboxes.
    let ddb = aws_sdk_dynamodb::Client::new(&sys.config);
    let mut seen = Vec::new();
    for table in ["OrdersTable", "CatalogTable", "PaymentsTable"] {
        let items = ddb
            .scan()
            .table_name(sys.table(table))
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", aws_sdk_dynamodb::types::AttributeValue::S("OUTBOX#".into()))
            .send()
            .await
            .expect("scan");
        for item in items.items() {
            let detail = item.get("detail").and_then(|d| d.as_s().ok()).cloned().unwrap_or_default();
            if detail.contains(&id) {
                let value: Value = serde_json::from_str(&detail).expect("envelope");
                let detail_type = item.get("detail_type").and_then(|d| d.as_s().ok()).cloned().unwrap_or_default();
                assert_eq!(value["metadata"]["correlation_id"], correlation.as_str(), "{detail_type}");
                seen.push(detail_type);
            }
        }
    }
    seen.sort();
    assert_eq!(seen, ["OrderPaid", "OrderPlaced", "PaymentSucceeded", "StockReserved"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poison_message_reaches_the_dlq_after_five_receives_while_the_other_nine_apply() {
    let shop = shop("1.0").await;
    let sys = &shop.sys;
    let products: Vec<String> = (0..9).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let mut entries = Vec::new();
    for (i, product) in products.iter().enumerate() {
        let event = ProductChanged {
            product_id: product.clone(),
            owner_id: "poison-test-owner".into(),
            name: format!("Sample {i}"),
            category: "tests".into(),
            price: bazaar_events::Money::new(100, "EUR"),
            active: true,
            version: 1,
        };
        let body = json!({
            "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "ProductChanged",
            "source": "bazaar.catalog", "time": "2026-11-21T10:00:00Z", "region": "us-east-1",
            "resources": [], "detail": Envelope::new(event, "poison-test"),
        });
        entries.push((format!("m{i}"), body.to_string()));
    }
    let poison = r#"{"detail-type": "ProductChanged", "source": "bazaar.catalog", "detail": {"oops": true}}"#;
    entries.insert(4, ("poison".to_owned(), poison.to_owned()));
    let sqs = aws_sdk_sqs::Client::new(&sys.config);
    let batch: Vec<SendMessageBatchRequestEntry> = entries
        .iter()
        .map(|(id, body)| SendMessageBatchRequestEntry::builder().id(id).message_body(body).build().expect("entry"))
        .collect();
    let queue = sys.queue_url("OrdersOnProductQueue");
    let sent = sqs.send_message_batch().queue_url(&queue).set_entries(Some(batch)).send().await.expect("sent");
    assert!(sent.failed().is_empty());

    let dlq = sys.queue_url("OrdersOnProductDLQ");
    let dead = dead_letter(&sqs, &dlq, Duration::from_secs(90)).await;
    assert_eq!(dead.body(), Some(poison));
    let receives = dead
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|c| c.parse::<u32>().ok())
        .expect("receive count");
    assert!(receives >= 5, "dead-lettered after {receives} receives");

    // The nine good events made it into the orders projection: orders for them are accepted
    // (and cancelled at once, as a customer holds only so many open orders).
    for product in &products {
        let reply = sys.api.place_order(&shop.customer, &[(product, 1)]).await.expect("placed");
        assert_eq!(reply.status, StatusCode::CREATED, "{product}: {}", reply.body);
        let cancel = format!("/orders/{}/cancel", reply.body["id"].as_str().expect("id"));
        let cancelled = sys.api.post(&cancel, Some(&shop.customer), &json!({})).await.expect("cancel");
        assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn placing_an_order_is_one_dynamodb_transaction_and_nothing_else_synchronous() {
    let shop = shop("1.0").await;
    let sys = &shop.sys;
    let pen = shop.product("Pen", 300, 100).await;
    let first = shop.first_order(&[(&pen, 1)]).await;
    shop.order_status(first["id"].as_str().expect("id"), &["PAID"]).await;

    sys.counter.reset();
    for _ in 0..5 {
        let reply = sys.api.place_order(&shop.customer, &[(&pen, 1)]).await.expect("placed");
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let calls: BTreeMap<String, u64> = sys
        .counter
        .snapshot()
        .into_iter()
        .filter(|(call, _)| call.function == "orders-place")
        // The code's calls: a retry by the SDK of a dropped connection under load is not one.
        .map(|(call, tally)| (call.operation, tally.calls()))
        .collect();
    assert_eq!(calls.get("dynamodb:TransactWriteItems"), Some(&5), "{calls:?}");
    for operation in calls.keys() {
        assert!(
            // GetItem: the idempotency key; BatchGetItem: the prices; Query: the customer's
            // open-order slots (one consistent read of one partition).
            ["dynamodb:TransactWriteItems", "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"]
                .contains(&operation.as_str()),
            "orders-place made a {operation} call: {calls:?}"
        );
    }
}

/// What the consumer's poller saw: when each invocation began, and its record's receive count.
#[derive(Default)]
struct Receives(Mutex<Vec<(Instant, String)>>);

/// The registry's functions, each invocation's start noted first.
struct Timed {
    functions: Arc<bazaar_system::registry::Registry>,
    receives: Arc<Receives>,
}

impl Invoker for Timed {
    fn invoke<'a>(&'a self, binary: &'a str, payload: Value) -> BoxFuture<'a, anyhow::Result<InvokeOutcome>> {
        let count = payload["Records"][0]["attributes"]["ApproximateReceiveCount"].as_str().unwrap_or("?").to_owned();
        self.receives.0.lock().expect("lock").push((Instant::now(), count));
        self.functions.invoke(binary, payload)
    }
}

/// The first message of `dlq` within `within`, with its receive count, left in the queue.
async fn dead_letter(sqs: &aws_sdk_sqs::Client, dlq: &str, within: Duration) -> aws_sdk_sqs::types::Message {
    eventually(within, "the poison message in the DLQ", || async {
        let out = sqs
            .receive_message()
            .queue_url(dlq)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .visibility_timeout(0)
            .send()
            .await?;
        Ok(out.messages().first().cloned())
    })
    .await
    .expect("dead-lettered")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_message_comes_back_later_after_every_receive_then_reaches_the_dlq() {
    // The backoff alone can bring the message back in seconds: the queue's visibility
    // timeout is half a minute.
    let (base, cap): (u64, u64) = (1, 4);
    let options = SystemOptions::default()
        .with("ConsumerVisibilityTimeoutSeconds", "30")
        .with("RetryBaseSeconds", &base.to_string())
        .with("RetryCapSeconds", &cap.to_string())
        .manual_delivery();
    let sys = System::start(options).await.expect("system starts");
    let binary = "orders-on-product";
    let source = sys.stack.functions.iter().find(|f| f.binary == binary).expect("function").sqs_sources[0].clone();
    let (queue, dlq) = (sys.queue_url("OrdersOnProductQueue"), sys.queue_url("OrdersOnProductDLQ"));
    let arn = sys.provisioned.queue_arns["OrdersOnProductQueue"].clone();
    // Polled as Lambda polls, with the function's role, which invokes the function in process.
    let role = sys.provisioned.function_configs(&sys.config).of(binary).expect("role");
    let receives = Arc::new(Receives::default());
    let timed = Timed { functions: sys.registry.clone(), receives: receives.clone() };
    let poller = devstack::pollers::SqsPoller::new(
        binary,
        source,
        queue.clone(),
        arn,
        aws_sdk_sqs::Client::new(&role),
        Arc::new(timed),
    )
    .with_long_poll(1);
    let polling = tokio::spawn(poller.run());

    let sqs = aws_sdk_sqs::Client::new(&sys.config);
    let poison = r#"{"detail-type": "ProductChanged", "source": "bazaar.catalog", "detail": {"oops": true}}"#;
    sqs.send_message().queue_url(&queue).message_body(poison).send().await.expect("sent");
    let dead = dead_letter(&sqs, &dlq, Duration::from_secs(60)).await;
    polling.abort();

    assert_eq!(dead.body(), Some(poison));
    let receives = receives.0.lock().expect("lock").clone();
    let counts: Vec<&str> = receives.iter().map(|(_, count)| count.as_str()).collect();
    assert_eq!(counts, ["1", "2", "3", "4", "5"], "five receives, then the DLQ (maxReceiveCount 5)");
    // After its nth receive it stays hidden min(cap, base · 2^(n-1)) s: 1, 2, 4, then 4.
    let gaps: Vec<Duration> = receives.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let delays = (0..4).map(|n| Duration::from_secs(cap.min(base << n)));
    for (n, (gap, delay)) in gaps.iter().zip(delays).enumerate() {
        assert!(
            *gap >= delay,
            "receive {} came {gap:?} after receive {}, before its {delay:?}: {gaps:?}",
            n + 2,
            n + 1
        );
        assert!(*gap < Duration::from_secs(30), "the queue's timeout, not the backoff, brought it back: {gaps:?}");
    }
    assert!(gaps[0] < gaps[1] && gaps[1] < gaps[2], "the delays grow: {gaps:?}");
    assert!(gaps[3] < gaps[2] + Duration::from_secs(2), "then stay at the cap: {gaps:?}");
}

//! The order saga end to end: every function in process behind the devstack's gateway and
//! event sources, against moto through the real SDK. Each test runs its own stage.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};
use bazaar_events::Envelope;
use bazaar_events::catalog::ProductChanged;
use bazaar_system::{Api, System, SystemOptions, eventually, system::ADMIN_EMAIL, system::ADMIN_PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SETTLE: Duration = Duration::from_secs(120);

async fn system(rate: &str) -> System {
    System::start(SystemOptions::default().payment_success_rate(rate)).await.expect("system starts")
}

async fn admin(api: &Api) -> String {
    api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("admin logs in")
}

/// Places orders until the orders service's projection knows the product (it learns of it
/// through ProductChanged, asynchronously); returns the first accepted order.
async fn first_order(api: &Api, token: &str, lines: &[(&str, u32)]) -> Value {
    eventually(Duration::from_secs(30), "the product in the orders projection", || async {
        let reply = api.place_order(token, lines).await?;
        match reply.status {
            StatusCode::CREATED => Ok(Some(reply.body)),
            StatusCode::UNPROCESSABLE_ENTITY => Ok(None),
            other => anyhow::bail!("placing an order: {other} {}", reply.body),
        }
    })
    .await
    .expect("order accepted")
}

/// Waits until the order reaches one of `statuses`; its final JSON.
async fn order_status(api: &Api, token: &str, id: &str, statuses: &[&str]) -> Value {
    eventually(SETTLE, &format!("order {id} to be one of {statuses:?}"), || async {
        let reply = api.get(&format!("/orders/{id}"), Some(token)).await?;
        anyhow::ensure!(reply.status == StatusCode::OK, "GET order: {} {}", reply.status, reply.body);
        let status = reply.body["status"].as_str().unwrap_or_default();
        Ok(statuses.contains(&status).then_some(reply.body))
    })
    .await
    .expect("order settles")
}

async fn stock(api: &Api, product: &str) -> u64 {
    let reply = api.get(&format!("/products/{product}"), None).await.expect("get product");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["stock"].as_u64().expect("stock")
}

async fn emails(sys: &System, to: &str, count: usize) -> Vec<devstack::outbox::Email> {
    eventually(SETTLE, &format!("{count} email(s) to {to}"), || async {
        let emails = sys.emails_to(to).await?;
        Ok((emails.len() >= count).then_some(emails))
    })
    .await
    .expect("emails sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paid_order_drops_stock_and_the_customer_gets_one_confirmation() {
    let sys = system("1.0").await;
    let admin = admin(&sys.api).await;
    let lamp = sys.api.create_product(&admin, "Lamp", 2_500, 10).await.expect("product");
    let (email, customer) = sys.api.new_customer().await.expect("customer");

    let order = first_order(&sys.api, &customer, &[(&lamp, 3)]).await;
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total"], json!({ "amount_minor": 7_500, "currency": "EUR" }));
    let id = order["id"].as_str().expect("id");

    let paid = order_status(&sys.api, &customer, id, &["PAID", "CANCELLED", "REJECTED"]).await;
    assert_eq!(paid["status"], "PAID", "{paid}");
    assert_eq!(stock(&sys.api, &lamp).await, 7);

    let payment_path = format!("/payments/{}", paid["payment_id"].as_str().expect("payment id"));
    let payment = sys.api.get(&payment_path, Some(&customer)).await.expect("payment");
    assert_eq!(payment.status, StatusCode::OK, "{}", payment.body);
    assert_eq!(payment.body["status"], "SUCCEEDED");

    // The welcome email and the confirmation; redeliveries never add a third.
    let sent = emails(&sys, &email, 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent_later = sys.emails_to(&email).await.expect("outbox");
    assert_eq!(sent_later.len(), 2, "{sent_later:#?}");
    assert!(sent.iter().any(|e| e.body.contains(id) || e.subject.contains(id)), "no confirmation mentions {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_payment_cancels_the_order_restores_stock_and_says_sorry() {
    let sys = system("0").await;
    let admin = admin(&sys.api).await;
    let kettle = sys.api.create_product(&admin, "Kettle", 4_900, 5).await.expect("product");
    let (email, customer) = sys.api.new_customer().await.expect("customer");

    let order = first_order(&sys.api, &customer, &[(&kettle, 2)]).await;
    let id = order["id"].as_str().expect("id");
    let done = order_status(&sys.api, &customer, id, &["PAID", "CANCELLED", "REJECTED"]).await;
    assert_eq!(done["status"], "CANCELLED", "{done}");
    eventually(SETTLE, "the hold released", || async { Ok((stock(&sys.api, &kettle).await == 5).then_some(())) })
        .await
        .expect("stock restored");
    let sent = emails(&sys, &email, 2).await;
    assert!(sent.iter().any(|e| e.body.contains(id) || e.subject.contains(id)), "no sorry email about {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_cancelled_at_once_is_never_charged_and_its_email_tells_the_money_truth() {
    // The race users hit: the simulated provider settles the payment while the cancel is
    // on its way. Whichever wins, the customer keeps their money and is told so.
    let sys = system("1.0").await;
    let admin = admin(&sys.api).await;
    let lamp = sys.api.create_product(&admin, "Lamp", 2_500, 10).await.expect("product");
    let (email, customer) = sys.api.new_customer().await.expect("customer");
    let warm = first_order(&sys.api, &customer, &[(&lamp, 1)]).await;
    order_status(&sys.api, &customer, warm["id"].as_str().expect("id"), &["PAID"]).await;

    let mut orders = Vec::new();
    for _ in 0..3 {
        let placed = sys.api.place_order(&customer, &[(&lamp, 2)]).await.expect("placed");
        assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
        let id = placed.body["id"].as_str().expect("id").to_owned();
        let cancel = sys.api.post(&format!("/orders/{id}/cancel"), Some(&customer), &json!({})).await.expect("cancel");
        assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.body);
        assert_eq!(cancel.body["status"], "CANCELLED");
        orders.push((id, placed.body["payment_id"].as_str().expect("payment id").to_owned()));
    }
    for (id, payment_id) in &orders {
        let payment = eventually(SETTLE, "the payment settled", || async {
            let reply = sys.api.get(&format!("/payments/{payment_id}"), Some(&customer)).await?;
            let status = reply.body["status"].as_str().unwrap_or_default().to_owned();
            Ok(["FAILED", "REFUNDED"].contains(&status.as_str()).then_some(reply.body))
        })
        .await
        .expect("payment failed or refunded");
        let mail = eventually(SETTLE, "the cancellation email", || async {
            Ok(sys.emails_to(&email).await?.into_iter().find(|e| e.subject.contains(id.as_str())))
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
        assert_eq!(order_status(&sys.api, &customer, id, &["CANCELLED"]).await["status"], "CANCELLED");
    }
    eventually(SETTLE, "every unit back but the paid one", || async {
        Ok((stock(&sys.api, &lamp).await == 9).then_some(()))
    })
    .await
    .expect("stock restored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_for_more_than_the_stock_is_rejected_and_nothing_is_held() {
    let sys = system("1.0").await;
    let admin = admin(&sys.api).await;
    let tray = sys.api.create_product(&admin, "Tray", 6_800, 2).await.expect("product");
    let cup = sys.api.create_product(&admin, "Cup", 1_250, 10).await.expect("product");
    let (_, customer) = sys.api.new_customer().await.expect("customer");
    // Wait for both products in the projection with a harmless probe first.
    let probe = first_order(&sys.api, &customer, &[(&cup, 1000), (&tray, 1000)]).await;
    order_status(&sys.api, &customer, probe["id"].as_str().expect("id"), &["REJECTED"]).await;

    let order = sys.api.place_order(&customer, &[(&cup, 1), (&tray, 3)]).await.expect("placed");
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
    let id = order.body["id"].as_str().expect("id");
    let done = order_status(&sys.api, &customer, id, &["PAID", "CANCELLED", "REJECTED"]).await;
    assert_eq!(done["status"], "REJECTED", "{done}");
    // All or nothing: the cup line that was available is not held either.
    assert_eq!(stock(&sys.api, &cup).await, 10);
    assert_eq!(stock(&sys.api, &tray).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_orders_against_fifty_units_sell_exactly_fifty() {
    let sys = system("1.0").await;
    let admin = admin(&sys.api).await;
    let item = sys.api.create_product(&admin, "Limited print", 9_900, 50).await.expect("product");
    let customers: Vec<(String, String)> =
        futures::future::try_join_all((0..4).map(|_| sys.api.new_customer())).await.expect("customers");
    let probe = first_order(&sys.api, &customers[0].1, &[(&item, 1000)]).await;
    order_status(&sys.api, &customers[0].1, probe["id"].as_str().expect("id"), &["REJECTED"]).await;

    let placed = futures::future::join_all((0..200).map(|i| {
        let token = customers[i % customers.len()].1.clone();
        let api = sys.api.clone();
        let item = item.clone();
        async move { (token.clone(), api.place_order(&token, &[(&item, 1)]).await.expect("sent")) }
    }))
    .await;
    let mut ids = Vec::new();
    for (token, reply) in &placed {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        ids.push((token.clone(), reply.body["id"].as_str().expect("id").to_owned()));
    }

    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for (token, id) in &ids {
        let order = order_status(&sys.api, token, id, &["PAID", "REJECTED", "CANCELLED"]).await;
        *by_status.entry(order["status"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
    }
    assert_eq!(by_status.get("PAID"), Some(&50), "{by_status:?}");
    assert_eq!(by_status.get("REJECTED"), Some(&150), "{by_status:?}");
    assert_eq!(stock(&sys.api, &item).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_of_a_flow_carries_the_correlation_id_of_the_request() {
    let sys = system("1.0").await;
    let admin = admin(&sys.api).await;
    let mug = sys.api.create_product(&admin, "Mug", 1_500, 3).await.expect("product");
    let (_, customer) = sys.api.new_customer().await.expect("customer");
    let probe = first_order(&sys.api, &customer, &[(&mug, 1000)]).await;
    order_status(&sys.api, &customer, probe["id"].as_str().expect("id"), &["REJECTED"]).await;

    let correlation = format!("corr-{}", uuid::Uuid::new_v4().simple());
    let body = json!({ "lines": [{ "product_id": mug, "quantity": 1 }] });
    let headers = [("idempotency-key", "k-1"), ("x-correlation-id", correlation.as_str())];
    let reply = sys.api.send(Method::POST, "/orders", Some(&customer), Some(&body), &headers).await.expect("placed");
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_str().expect("id").to_owned();
    order_status(&sys.api, &customer, &id, &["PAID"]).await;

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
    let sys = system("1.0").await;
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
    let dead = eventually(Duration::from_secs(90), "the poison message in the DLQ", || async {
        let out = sqs
            .receive_message()
            .queue_url(&dlq)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .visibility_timeout(0)
            .send()
            .await?;
        Ok(out.messages().first().cloned())
    })
    .await
    .expect("dead-lettered");
    assert_eq!(dead.body(), Some(poison));
    let receives = dead
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|c| c.parse::<u32>().ok())
        .expect("receive count");
    assert!(receives >= 5, "dead-lettered after {receives} receives");

    // The nine good events made it into the orders projection: orders for them are accepted.
    let (_, customer) = sys.api.new_customer().await.expect("customer");
    for product in &products {
        let reply = sys.api.place_order(&customer, &[(product, 1)]).await.expect("placed");
        assert_eq!(reply.status, StatusCode::CREATED, "{product}: {}", reply.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn placing_an_order_is_one_dynamodb_transaction_and_nothing_else_synchronous() {
    let sys = system("1.0").await;
    let admin = admin(&sys.api).await;
    let pen = sys.api.create_product(&admin, "Pen", 300, 100).await.expect("product");
    let (_, customer) = sys.api.new_customer().await.expect("customer");
    first_order(&sys.api, &customer, &[(&pen, 1)]).await;

    sys.counter.reset();
    for _ in 0..5 {
        let reply = sys.api.place_order(&customer, &[(&pen, 1)]).await.expect("placed");
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let calls: BTreeMap<String, u64> = sys
        .counter
        .snapshot()
        .into_iter()
        .filter(|(call, _)| call.function == "orders-place")
        .map(|(call, tally)| (call.operation, tally.requests))
        .collect();
    assert_eq!(calls.get("dynamodb:TransactWriteItems"), Some(&5), "{calls:?}");
    for operation in calls.keys() {
        assert!(
            ["dynamodb:TransactWriteItems", "dynamodb:BatchGetItem", "dynamodb:GetItem"].contains(&operation.as_str()),
            "orders-place made a {operation} call: {calls:?}"
        );
    }
}

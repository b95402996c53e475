//! `System::quiescent`: it returns only once every hop of a flow has happened, and it names
//! what is still busy when the system cannot settle.

use std::time::Duration;

use bazaar_system::{System, SystemOptions, system::ADMIN_EMAIL, system::ADMIN_PASSWORD};
use reqwest::StatusCode;

const QUIET: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quiescent_returns_only_once_every_hop_of_a_flow_has_happened() {
    let sys = System::start(SystemOptions::default().payment_success_rate("1.0")).await.expect("system");
    let admin = sys.api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("admin");
    let (email, customer) = sys.api.new_customer().await.expect("customer");

    // ProductChanged goes from catalog's outbox through its stream, its publisher, the bus and
    // the orders service's queue into its projection; only then is the product orderable.
    let lamp = sys.api.create_product(&admin, "Lamp", 2_500, 10).await.expect("product");
    sys.quiescent(QUIET).await.expect("quiet after the product");
    let placed = sys.api.place_order(&customer, &[(&lamp, 1)]).await.expect("placed");
    assert_eq!(placed.status, StatusCode::CREATED, "the orders projection knows the product: {}", placed.body);

    // Six hops later the order is paid and its confirmation sent, beside the welcome email.
    sys.quiescent(QUIET).await.expect("quiet after the order");
    let id = placed.body["id"].as_str().expect("id");
    let order = sys.api.get(&format!("/orders/{id}"), Some(&customer)).await.expect("order");
    assert_eq!(order.body["status"], "PAID", "{}", order.body);
    let emails = sys.emails_to(&email).await.expect("outbox");
    assert_eq!(emails.len(), 2, "{emails:#?}");
    assert!(emails.iter().any(|e| e.body.contains(id) || e.subject.contains(id)), "{emails:#?}");
    let invocations = sys.registry.invocations();
    for function in ["catalog-publisher", "orders-on-product", "orders-on-payment", "notifications-on-event"] {
        assert!(invocations.get(function).is_some_and(|n| *n > 0), "{function} never ran: {invocations:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quiescent_names_the_queue_whose_message_keeps_failing_and_settles_once_it_is_dead_lettered() {
    let sys = System::start(SystemOptions::default()).await.expect("system");
    let sqs = aws_sdk_sqs::Client::new(&sys.config);
    let poison = r#"{"detail-type": "ProductChanged", "source": "bazaar.catalog", "detail": {"oops": true}}"#;
    let queue = sys.queue_url("OrdersOnProductQueue");
    sqs.send_message().queue_url(&queue).message_body(poison).send().await.expect("sent");

    // orders-on-product fails it on each of its five receives, 1 s, then 2 s apart (the
    // tests' backoff): for the first 3 s it is visible or in flight.
    let error = sys.quiescent(Duration::from_secs(3)).await.expect_err("the poison message is still retried");
    let error = format!("{error:#}");
    assert!(error.contains("queue OrdersOnProductQueue ("), "{error}");
    assert!(error.contains("not quiescent after 3s"), "{error}");

    // Then moto moves it to the DLQ, which nothing consumes: quiet, with it left there.
    sys.quiescent(QUIET).await.expect("quiet once dead-lettered");
    let dlq = sys.queue_url("OrdersOnProductDLQ");
    assert_eq!(devstack::dlq::depth(&sqs, &queue).await.expect("depth"), 0);
    assert_eq!(devstack::dlq::depth(&sqs, &dlq).await.expect("depth"), 1);
}

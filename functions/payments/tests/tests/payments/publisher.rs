//! `payments-publisher`: the outbox (as stream records) reaches the bus, and a consumer's
//! rule receives `PaymentSucceeded` with the contract's source and detail-type.

use aws_lambda_events::dynamodb::Event as StreamEvent;
use chrono::{Duration, Utc};
use lambda_runtime::{Context, LambdaEvent};

use crate::support::*;

/// The stream batch Lambda would deliver for the outbox items currently in the table.
async fn stream_batch(app: &TestApp) -> StreamEvent {
    bazaar_testkit::events::stream_of(&app.outbox().await)
}

#[tokio::test]
async fn settled_payments_are_published_to_the_bus() {
    let app = TestApp::spawn_with(&[("PaymentProviderMode", "simulated"), ("PaymentSuccessRate", "1.0")]).await;
    let reserved = stock_reserved("cust-1", 100, Utc::now() + Duration::minutes(15));
    assert!(app.deliver(sqs_event(&[("m1", &delivered(&reserved))])).await.batch_item_failures.is_empty());

    // A probe queue subscribed like orders-on-payment is.
    let sqs = aws_sdk_sqs::Client::new(&app.config);
    let name = format!("{}-payments-probe", app.bus);
    let url = sqs.create_queue().queue_name(&name).send().await.expect("queue").queue_url.expect("url");
    let events = aws_sdk_eventbridge::Client::new(&app.config);
    events
        .put_rule()
        .name(&name)
        .event_bus_name(&app.bus)
        .event_pattern(r#"{"source":["bazaar.payments"],"detail-type":["PaymentSucceeded","PaymentFailed"]}"#)
        .send()
        .await
        .expect("rule");
    let arn = format!("arn:aws:sqs:us-east-1:123456789012:{name}");
    let target = aws_sdk_eventbridge::types::Target::builder().id("probe").arn(arn).build().expect("target");
    events.put_targets().rule(&name).event_bus_name(&app.bus).targets(target).send().await.expect("targets");

    let batch = stream_batch(&app).await;
    assert_eq!(batch.records.len(), 1);
    let response =
        payments_publisher::handler(&deps!(app, payments_publisher), LambdaEvent::new(batch, Context::default()))
            .await
            .expect("handled");
    assert!(response.batch_item_failures.is_empty());
    let out = sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await.expect("receive");
    let bodies: Vec<serde_json::Value> =
        out.messages().iter().map(|m| serde_json::from_str(m.body().unwrap_or("null")).expect("json")).collect();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["source"], "bazaar.payments");
    assert_eq!(bodies[0]["detail-type"], "PaymentSucceeded");
    assert_eq!(
        bodies[0]["detail"]["data"]["subject"],
        serde_json::json!({"kind": "order", "id": reserved.data.order_id})
    );
    assert_eq!(bodies[0]["detail"]["metadata"]["correlation_id"], reserved.metadata.correlation_id);
}

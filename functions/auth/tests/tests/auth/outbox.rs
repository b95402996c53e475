//! The outbox publisher: stream records → EventBridge, with failures reported per record so
//! nothing is lost when PutEvents fails.

use aws_lambda_events::dynamodb::Event as StreamEvent;
use lambda_runtime::{Context, LambdaEvent};

use crate::support::*;

/// The stream batch Lambda would deliver for the outbox items currently in the table.
async fn stream_batch(app: &TestApp) -> StreamEvent {
    bazaar_testkit::events::stream_of(&app.outbox().await)
}

/// Runs auth-publisher with `deps` on `batch`; the sequence numbers of the records it
/// reported failed.
async fn publish(deps: &auth_publisher::Deps, batch: StreamEvent) -> Vec<String> {
    let response = auth_publisher::handler(deps, LambdaEvent::new(batch, Context::default())).await.expect("handled");
    response.batch_item_failures.into_iter().map(|f| f.item_identifier.expect("a sequence number")).collect()
}

/// A queue subscribed to every auth event of `bus`, like a consumer's.
async fn subscribe(app: &TestApp, bus: &str) -> String {
    let sqs = aws_sdk_sqs::Client::new(&app.config);
    let name = format!("{}-probe", bus);
    let url = sqs.create_queue().queue_name(&name).send().await.expect("queue").queue_url.expect("url");
    let arn = format!("arn:aws:sqs:us-east-1:123456789012:{name}");
    let events = aws_sdk_eventbridge::Client::new(&app.config);
    events
        .put_rule()
        .name(&name)
        .event_bus_name(bus)
        .event_pattern(r#"{"source":["bazaar.auth"]}"#)
        .send()
        .await
        .expect("rule");
    let target = aws_sdk_eventbridge::types::Target::builder().id("probe").arn(arn).build().expect("target");
    events.put_targets().rule(&name).event_bus_name(bus).targets(target).send().await.expect("targets");
    url
}

async fn receive_all(app: &TestApp, url: &str) -> Vec<serde_json::Value> {
    let sqs = aws_sdk_sqs::Client::new(&app.config);
    let mut bodies = Vec::new();
    loop {
        let out = sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.expect("receive");
        if out.messages().is_empty() {
            return bodies;
        }
        for m in out.messages() {
            bodies.push(serde_json::from_str(m.body().unwrap_or("null")).expect("json"));
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }
}

#[tokio::test]
async fn no_event_is_lost_when_put_events_fails() {
    let app = TestApp::spawn().await;
    for _ in 0..12 {
        app.signed_up_customer().await;
    }
    let queue = subscribe(&app, &app.bus).await;
    let batch = stream_batch(&app).await;
    assert_eq!(batch.records.len(), 12);

    // PutEvents to a bus that does not exist fails: every record is reported, none acked.
    let failed = publish(&app.publisher("no-such-bus"), batch.clone()).await;
    assert_eq!(failed.len(), 12, "every record must be retried");
    assert!(receive_all(&app, &queue).await.is_empty());

    // The retry (Lambda re-delivers the failed records) publishes all of them, in two PutEvents.
    assert!(publish(&app.publisher(&app.bus), batch).await.is_empty());
    let delivered = receive_all(&app, &queue).await;
    assert_eq!(delivered.len(), 12);
    for body in &delivered {
        assert_eq!(body["detail-type"], "UserRegistered");
        assert_eq!(body["source"], "bazaar.auth");
        assert_eq!(body["detail"]["metadata"]["version"], 1);
    }
}

#[tokio::test]
async fn a_malformed_outbox_record_is_reported_and_the_rest_published() {
    let app = TestApp::spawn().await;
    app.signed_up_customer().await;
    let queue = subscribe(&app, &app.bus).await;
    let mut batch = stream_batch(&app).await;
    let mut poison = batch.records[0].clone();
    poison.change.new_image.remove("detail");
    poison.change.sequence_number = Some("00000000000000000099".into());
    batch.records.push(poison);
    assert_eq!(publish(&app.publisher(&app.bus), batch).await, ["00000000000000000099"]);
    assert_eq!(receive_all(&app, &queue).await.len(), 1);
}

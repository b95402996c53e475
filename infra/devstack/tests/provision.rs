//! Provisioning into a real moto_server: the real template, and a fixture exercising
//! rules → queue delivery and redrive to a DLQ.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_dynamodb::types::KeyType;
use bazaar_testkit::{Moto, unique_stage};
use devstack::provision::provision;
use devstack::template::{PlanOptions, plan};

fn opts(moto: &Moto, stage: &str) -> PlanOptions {
    PlanOptions { overrides: [("Stage".to_string(), stage.to_string())].into(), moto_endpoint: moto.endpoint.clone() }
}

#[tokio::test]
async fn real_template_provisions_twice() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let stage = unique_stage();
    let stack = plan(&bazaar_testkit::template_path(), &opts(moto, &stage)).expect("plans");
    let first = provision(&stack, &config).await.expect("provisions");
    assert!(first.stream_arns["AuthTable"].contains(&format!("table/bazaar-{stage}-auth/stream/")));
    assert!(first.queue_urls["AuthPublisherDLQ"].ends_with(&format!("/bazaar-{stage}-auth-publisher-dlq")));

    let table = aws_sdk_dynamodb::Client::new(&config)
        .describe_table()
        .table_name(format!("bazaar-{stage}-auth"))
        .send()
        .await
        .expect("table exists")
        .table
        .expect("description");
    let keys: Vec<(String, KeyType)> =
        table.key_schema().iter().map(|k| (k.attribute_name().to_string(), k.key_type().clone())).collect();
    assert_eq!(keys, [("pk".to_string(), KeyType::Hash), ("sk".to_string(), KeyType::Range)]);
    assert_eq!(table.global_secondary_indexes()[0].index_name(), Some("gsi1"));
    assert_eq!(table.stream_specification().map(|s| s.stream_enabled()), Some(true));

    let again = provision(&stack, &config).await.expect("provisioning twice succeeds");
    assert_eq!(again.stream_arns, first.stream_arns);
    assert_eq!(again.queue_arns, first.queue_arns);
}

async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

#[tokio::test]
async fn rule_delivers_to_queue_and_redrive_reaches_dlq() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let stage = unique_stage();
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/queues-and-rules.yaml");
    let stack = plan(&fixture, &opts(moto, &stage)).expect("plans");
    let out = provision(&stack, &config).await.expect("provisions");
    provision(&stack, &config).await.expect("provisions twice");
    let (work, dlq) = (&out.queue_urls["WorkQueue"], &out.queue_urls["WorkDLQ"]);

    let events = aws_sdk_eventbridge::Client::new(&config);
    for age in [20, 10] {
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(format!("bazaar-{stage}-bus"))
            .source("bazaar.auth")
            .detail_type("UserRegistered")
            .detail(serde_json::json!({"age": age}).to_string())
            .build();
        events.put_events().entries(entry).send().await.expect("put events");
    }
    let sqs = aws_sdk_sqs::Client::new(&config);
    let delivered = receive(&sqs, work).await;
    assert_eq!(delivered.len(), 1, "only the matching event is delivered: {delivered:?}");
    let body: serde_json::Value = serde_json::from_str(delivered[0].body().expect("body")).expect("json");
    assert_eq!(body["detail"]["age"], 20);
    let handle = delivered[0].receipt_handle().expect("handle");
    sqs.delete_message().queue_url(work).receipt_handle(handle).send().await.expect("delete");

    sqs.send_message().queue_url(work).message_body("poison").send().await.expect("send");
    for attempt in 1..=2 {
        let got = receive(&sqs, work).await;
        assert_eq!(got.len(), 1, "receive {attempt} sees the message");
    }
    // The third receive exceeds maxReceiveCount 2: moto moves the message to the DLQ.
    assert!(receive(&sqs, work).await.is_empty());
    let mut dead = Vec::new();
    for _ in 0..5 {
        dead = receive(&sqs, dlq).await;
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body(), Some("poison"));
}

#[tokio::test]
async fn seed_creates_the_admin_once() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let stack = plan(&bazaar_testkit::template_path(), &opts(moto, &unique_stage())).expect("plans");
    provision(&stack, &config).await.expect("provisions");
    let state = std::env::temp_dir().join(format!("devstack-seed-{}", uuid::Uuid::new_v4()));
    let first = devstack::seed::seed(&stack, &config, &state).await.expect("seeds");
    assert_eq!(first.admin_email, "admin@bazaar.local");
    let again = devstack::seed::seed(&stack, &config, &state).await.expect("seeding twice succeeds");
    assert_eq!(again.admin_password, first.admin_password);
    let _ = std::fs::remove_dir_all(&state);
}

#[tokio::test]
async fn key_parameters_land_in_ssm() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let stack = plan(&bazaar_testkit::template_path(), &opts(moto, &unique_stage())).expect("plans");
    let dir = std::env::temp_dir().join(format!("devstack-keys-{}", uuid::Uuid::new_v4()));
    let keys = devstack::keys::ensure_dev_keys(&dir).expect("keys");
    devstack::keys::put_key_parameters(&config, &stack, &keys).await.expect("put");
    devstack::keys::put_key_parameters(&config, &stack, &keys).await.expect("overwrite");
    let ssm = aws_sdk_ssm::Client::new(&config);
    let get = |name: String| {
        let ssm = ssm.clone();
        async move {
            let out = ssm.get_parameter().name(name).with_decryption(true).send().await.expect("get parameter");
            serde_json::from_str::<serde_json::Value>(out.parameter.and_then(|p| p.value).as_deref().expect("value"))
                .expect("json")
        }
    };
    let signing = get(stack.parameters["JwtSigningKeyParameter"].clone()).await;
    assert_eq!(signing["kid"], keys.kid.as_str());
    assert_eq!(signing["private_key_pem"], keys.private_key_pem.as_str());
    assert_eq!(get(stack.parameters["JwtPublicKeysParameter"].clone()).await, keys.jwks);
    let _ = std::fs::remove_dir_all(&dir);
}

//! Event source pollers against a real moto_server (SQS queues with a redrive policy,
//! DynamoDB tables with streams), with a closure-backed invoker as the function.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use bazaar_testkit::{Moto, unique_stage};
use devstack::dlq::depth;
use devstack::invoke::{FnInvoker, InvokeOutcome, Invoker};
use devstack::model::{KeyAttr, Queue, Redrive, SqsSource, Stack, StreamSource};
use devstack::pollers::{SqsPoller, StreamPoller};
use devstack::provision::{Provisioned, provision};
use serde_json::{Value, json};

type Calls = Arc<Mutex<Vec<Value>>>;

/// An invoker that records every event and answers with `answer(call_index, event)`.
fn recording<F>(answer: F) -> (Arc<dyn Invoker>, Calls)
where
    F: Fn(usize, &Value) -> InvokeOutcome + Send + Sync + 'static,
{
    let calls: Calls = Arc::default();
    let recorded = calls.clone();
    let invoker = FnInvoker::new(move |_binary: String, event: Value| {
        let mut calls = recorded.lock().expect("lock");
        let outcome = answer(calls.len(), &event);
        calls.push(event);
        async move { Ok(outcome) }
    });
    (Arc::new(invoker), calls)
}

fn function_error() -> InvokeOutcome {
    InvokeOutcome::FunctionError { error_type: "Boom".into(), error_message: "boom".into() }
}

fn calls_of(calls: &Calls) -> Vec<Value> {
    calls.lock().expect("lock").clone()
}

/// `stack` provisioned into moto as the devstack provisions a template's.
async fn provisioned(stack: Stack) -> (aws_types::SdkConfig, Provisioned) {
    let config = Moto::shared().sdk_config().await;
    let out = provision(&stack, &config).await.expect("provisions");
    (config, out)
}

// ───────────────────────────── SQS ─────────────────────────────

struct Queues {
    sqs: aws_sdk_sqs::Client,
    url: String,
    arn: String,
    dlq_url: String,
}

/// A queue whose messages come back after 1 s, dead-lettered after `max_receive_count` receives.
async fn queue_with_dlq(max_receive_count: u32) -> Queues {
    let name = unique_stage();
    let redrive = Some(Redrive { dlq_logical_id: "DLQ".into(), max_receive_count });
    let queue = Queue { visibility_timeout_seconds: 1, redrive, ..Queue::standard("Queue", &name) };
    let dlq = Queue::standard("DLQ", &format!("{name}-dlq"));
    let (config, out) = provisioned(Stack { queues: vec![queue, dlq], ..Stack::default() }).await;
    Queues {
        sqs: aws_sdk_sqs::Client::new(&config),
        url: out.queue_urls["Queue"].clone(),
        arn: out.queue_arns["Queue"].clone(),
        dlq_url: out.queue_urls["DLQ"].clone(),
    }
}

fn sqs_source(batch_size: u32, filters: Vec<Value>) -> SqsSource {
    SqsSource {
        queue_logical_id: "Queue".into(),
        batch_size,
        maximum_batching_window_seconds: 1,
        report_batch_item_failures: true,
        filters,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_partial_failure_deletes_the_rest_and_redrives_the_failed_one() {
    let q = queue_with_dlq(2).await;
    for n in 0..10 {
        q.sqs.send_message().queue_url(&q.url).message_body(json!({"n": n}).to_string()).send().await.expect("send");
    }
    // The function fails the message with n == 3 every time.
    let (invoker, calls) = recording(|_, event| {
        let failed: Vec<Value> = event["Records"]
            .as_array()
            .expect("records")
            .iter()
            .filter(|r| r["body"].as_str() == Some(r#"{"n":3}"#))
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        InvokeOutcome::Ok(json!({"batchItemFailures": failed}))
    });
    let poller = SqsPoller::new("fn", sqs_source(10, vec![]), q.url.clone(), q.arn.clone(), q.sqs.clone(), invoker)
        .with_long_poll(1);

    let report = poller.poll_once().await.expect("poll").expect("a batch");
    assert_eq!((report.batch_size, report.failed), (10, 1));
    let first = &calls_of(&calls)[0];
    serde_json::from_value::<aws_lambda_events::event::sqs::SqsEvent>(first.clone()).expect("a valid SqsEvent");
    assert_eq!(first["Records"][0]["eventSource"], "aws:sqs");
    assert_eq!(first["Records"][0]["eventSourceARN"], q.arn.as_str());
    assert_eq!(depth(&q.sqs, &q.url).await.expect("depth"), 1, "the 9 others are deleted");

    // It comes back after the 1 s visibility timeout and fails again (receive count 2)...
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let again = poller.poll_once().await.expect("poll").expect("the failed message again");
    assert_eq!((again.batch_size, again.failed), (1, 1));
    assert_eq!(calls_of(&calls)[1]["Records"][0]["attributes"]["ApproximateReceiveCount"], "2");

    // ...and past maxReceiveCount moto moves it to the DLQ instead of delivering it.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(poller.poll_once().await.expect("poll").is_none());
    let dead = q.sqs.receive_message().queue_url(&q.dlq_url).send().await.expect("receive");
    let bodies: Vec<&str> = dead.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies, [r#"{"n":3}"#]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_filters_drop_non_matching_messages() {
    let q = queue_with_dlq(5).await;
    for body in
        [json!({"kind": "order", "id": 1}).to_string(), json!({"kind": "other"}).to_string(), "plain text".into()]
    {
        q.sqs.send_message().queue_url(&q.url).message_body(body).send().await.expect("send");
    }
    let (invoker, calls) = recording(|_, _| InvokeOutcome::Ok(Value::Null));
    let source = sqs_source(10, vec![json!({"body": {"kind": ["order"]}})]);
    let poller = SqsPoller::new("fn", source, q.url.clone(), q.arn.clone(), q.sqs.clone(), invoker).with_long_poll(1);

    let report = poller.poll_once().await.expect("poll").expect("a batch");
    assert_eq!((report.batch_size, report.failed), (1, 0));
    let records = calls_of(&calls)[0]["Records"].clone();
    assert_eq!(records.as_array().expect("records").len(), 1);
    assert!(records[0]["body"].as_str().expect("body").contains("order"));
    assert_eq!(depth(&q.sqs, &q.url).await.expect("depth"), 0, "filtered-out messages are deleted too");
}

// ─────────────────────────── DynamoDB Streams ───────────────────────────

struct Table {
    dynamodb: aws_sdk_dynamodb::Client,
    name: String,
    stream_arn: String,
    streams: aws_sdk_dynamodbstreams::Client,
    sqs: aws_sdk_sqs::Client,
    /// The queue for records given up on (a stream source's OnFailure destination).
    on_failure_url: String,
}

async fn table_with_stream() -> Table {
    let name = unique_stage();
    let table = devstack::model::Table {
        stream_view_type: Some("NEW_AND_OLD_IMAGES".into()),
        ..devstack::model::Table::keyed_on("Table", &name, KeyAttr::string("pk"))
    };
    let on_failure = Queue::standard("OnFailure", &format!("{name}-failed"));
    let (config, out) = provisioned(Stack { tables: vec![table], queues: vec![on_failure], ..Stack::default() }).await;
    Table {
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        name,
        stream_arn: out.stream_arns["Table"].clone(),
        streams: aws_sdk_dynamodbstreams::Client::new(&config),
        sqs: aws_sdk_sqs::Client::new(&config),
        on_failure_url: out.queue_urls["OnFailure"].clone(),
    }
}

impl Table {
    async fn put(&self, pk: &str) {
        self.dynamodb
            .put_item()
            .table_name(&self.name)
            .item("pk", AttributeValue::S(pk.into()))
            .send()
            .await
            .expect("put");
    }

    fn poller(&self, source: StreamSource, invoker: Arc<dyn Invoker>) -> StreamPoller {
        StreamPoller::new("fn", source, self.stream_arn.clone(), self.streams.clone(), invoker)
            .with_retry_backoff(Duration::ZERO)
    }
}

fn stream_source(report: bool, retries: i64, bisect: bool, filters: Vec<Value>) -> StreamSource {
    StreamSource {
        table_logical_id: "Table".into(),
        starting_position: "TRIM_HORIZON".into(),
        batch_size: 10,
        maximum_batching_window_seconds: 1,
        maximum_retry_attempts: retries,
        bisect_on_error: bisect,
        report_batch_item_failures: report,
        filters,
        on_failure_queue_logical_id: None,
    }
}

/// Polls until `done` holds for the recorded calls, then until a round is idle (no record
/// left to read, retry or batch: no invocation still to come), so that the caller's count
/// of calls is final; fails after 20 s.
async fn poll_until(poller: &mut StreamPoller, calls: &Calls, done: impl Fn(&[Value]) -> bool) {
    let start = Instant::now();
    let progress = poller.progress();
    while !done(&calls_of(calls)) || !progress.last_round_idle() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out; calls: {:#?}", calls_of(calls));
        poller.poll_once().await.expect("poll");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn pks(event: &Value) -> Vec<String> {
    event["Records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().expect("pk").to_owned())
        .collect()
}

fn seqs(event: &Value) -> Vec<String> {
    event["Records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["dynamodb"]["SequenceNumber"].as_str().expect("seq").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_batch_is_filtered_on_new_image_prefix() {
    let table = table_with_stream().await;
    for pk in ["OUTBOX#1", "USER#1", "OUTBOX#2"] {
        table.put(pk).await;
    }
    let filter = json!({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}});
    let (invoker, calls) = recording(|_, _| InvokeOutcome::Ok(Value::Null));
    let mut poller = table.poller(stream_source(false, 3, false, vec![filter]), invoker);
    poll_until(&mut poller, &calls, |c| !c.is_empty()).await;

    let calls = calls_of(&calls);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(pks(&calls[0]), ["OUTBOX#1", "OUTBOX#2"]);
    let record = &calls[0]["Records"][0];
    assert_eq!(record["eventName"], "INSERT");
    assert_eq!(record["eventVersion"], "1.1");
    assert_eq!(record["eventSourceARN"], table.stream_arn.as_str());
    assert_eq!(record["dynamodb"]["NewImage"]["pk"], json!({"S": "OUTBOX#1"}));
    serde_json::from_value::<aws_lambda_events::event::dynamodb::Event>(calls[0].clone()).expect("a valid event");
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_retries_from_the_lowest_failed_sequence_number() {
    let table = table_with_stream().await;
    for pk in ["a", "b", "c", "d", "e"] {
        table.put(pk).await;
    }
    // First call: "c" and "e" fail; afterwards everything succeeds.
    let (invoker, calls) = recording(|index, event| {
        let failed: Vec<Value> = event["Records"]
            .as_array()
            .expect("records")
            .iter()
            .filter(|r| index == 0 && ["c", "e"].contains(&r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap_or("")))
            .map(|r| json!({"itemIdentifier": r["dynamodb"]["SequenceNumber"]}))
            .collect();
        InvokeOutcome::Ok(json!({"batchItemFailures": failed}))
    });
    let mut poller = table.poller(stream_source(true, 3, false, vec![]), invoker);
    poll_until(&mut poller, &calls, |c| c.len() >= 2).await;

    let calls = calls_of(&calls);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(pks(&calls[0]), ["a", "b", "c", "d", "e"]);
    assert_eq!(pks(&calls[1]), ["c", "d", "e"], "a retry starts at the lowest failed record");
    assert_eq!(seqs(&calls[1])[0], seqs(&calls[0])[2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_sends_an_on_failure_record_when_retries_run_out() {
    let table = table_with_stream().await;
    table.put("x1").await;
    table.put("x2").await;
    let (invoker, calls) = recording(|_, _| function_error());
    let mut poller = table
        .poller(stream_source(false, 2, false, vec![]), invoker)
        .with_on_failure(table.sqs.clone(), Some(table.on_failure_url.clone()));
    poll_until(&mut poller, &calls, |c| c.len() >= 3).await;

    let calls = calls_of(&calls);
    assert_eq!(calls.len(), 3, "one try and two retries, then the batch is skipped");
    assert!(calls.iter().all(|c| pks(c) == ["x1", "x2"]));
    let received = table.sqs.receive_message().queue_url(&table.on_failure_url).send().await.expect("receive");
    let body: Value = serde_json::from_str(received.messages()[0].body().expect("body")).expect("json");
    assert_eq!(body["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(body["requestContext"]["approximateInvokeCount"], 3);
    let info = &body["DDBStreamBatchInfo"];
    assert_eq!(info["batchSize"], 2);
    assert_eq!(info["streamArn"], table.stream_arn.as_str());
    let sequence_numbers = seqs(&calls[0]);
    assert_eq!(info["startSequenceNumber"], sequence_numbers[0].as_str());
    assert_eq!(info["endSequenceNumber"], sequence_numbers[1].as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_bisects_a_failing_batch_down_to_the_poison_record() {
    let table = table_with_stream().await;
    for pk in ["a", "b", "c", "d"] {
        table.put(pk).await;
    }
    let (invoker, calls) = recording(|_, event| {
        if pks(event).iter().any(|pk| pk == "c") { function_error() } else { InvokeOutcome::Ok(Value::Null) }
    });
    let mut poller = table
        .poller(stream_source(false, 3, true, vec![]), invoker)
        .with_on_failure(table.sqs.clone(), Some(table.on_failure_url.clone()));
    poll_until(&mut poller, &calls, |c| c.last().is_some_and(|e| pks(e) == ["d"])).await;

    let batches: Vec<Vec<String>> = calls_of(&calls).iter().map(pks).collect();
    let expected: Vec<Vec<&str>> =
        vec![vec!["a", "b", "c", "d"], vec!["a", "b"], vec!["c", "d"], vec!["c"], vec!["c"], vec!["c"], vec!["d"]];
    assert_eq!(batches, expected);
    let received = table.sqs.receive_message().queue_url(&table.on_failure_url).send().await.expect("receive");
    let body: Value = serde_json::from_str(received.messages()[0].body().expect("body")).expect("json");
    assert_eq!(body["DDBStreamBatchInfo"]["batchSize"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_round_is_idle_only_once_every_record_written_before_it_is_handled() {
    let table = table_with_stream().await;
    let (invoker, calls) = recording(|_, _| function_error());
    let mut poller =
        table.poller(stream_source(false, 1, false, vec![]), invoker).with_retry_backoff(Duration::from_millis(300));
    let progress = poller.progress();
    poller.poll_once().await.expect("poll");
    assert!(progress.last_round_idle(), "nothing written yet");

    table.put("x").await;
    let mark = progress.mark();
    assert_eq!(progress.idle_since(mark), None, "no round begun after the write");
    let start = Instant::now();
    loop {
        poller.poll_once().await.expect("poll");
        let idle = progress.idle_since(mark).expect("a round begun after the mark");
        // One try and one retry, then the record is given up on: nothing is left.
        if calls_of(&calls).len() == 2 {
            assert!(idle, "given up on in this round: nothing left to handle");
            break;
        }
        assert!(!idle, "x is read, waiting for its batching window or for its retry's backoff");
        assert!(start.elapsed() < Duration::from_secs(20), "timed out; calls: {:#?}", calls_of(&calls));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    poller.poll_once().await.expect("poll");
    assert!(progress.last_round_idle());
    table.put("y").await;
    poller.poll_once().await.expect("poll");
    assert!(!progress.last_round_idle(), "y was read in this round");
}

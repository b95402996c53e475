//! The moto launcher (`infra/moto/server.py`) makes DynamoDB transactions atomic: a
//! cancelled transaction leaves no stream record behind, and stream readers keep seeing the
//! writes that follow it, and a read never sees an upserted item halfway. (Plain moto 5.2.5
//! fails all three: see the launcher's docstring.) Its `data.json?services=` serializes
//! only the services asked for.

use aws_sdk_dynamodb::types::AttributeValue::{N, S};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use bazaar_testkit::Moto;
use devstack::model::{KeyAttr, Stack, Table};

#[tokio::test]
async fn a_cancelled_transaction_leaves_no_stream_record_and_later_writes_stay_visible() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let streams = aws_sdk_dynamodbstreams::Client::new(&config);
    let table = format!("atomic-{}", uuid::Uuid::new_v4().simple());
    let definition =
        Table { stream_view_type: Some("NEW_IMAGE".into()), ..Table::keyed_on("Table", &table, KeyAttr::string("pk")) };
    let stack = Stack { tables: vec![definition], ..Stack::default() };
    let created = devstack::provision::provision(&stack, &config).await.expect("table");
    let stream_arn = &created.stream_arns["Table"];
    let shard = streams.describe_stream().stream_arn(stream_arn).send().await.expect("describe");
    let shard_id =
        shard.stream_description().and_then(|d| d.shards().first()).and_then(|s| s.shard_id()).expect("shard");
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(stream_arn)
        .shard_id(shard_id)
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::Latest)
        .send()
        .await
        .expect("iterator")
        .shard_iterator
        .expect("iterator");

    ddb.put_item().table_name(&table).item("pk", S("stock".into())).item("n", N("2".into())).send().await.expect("put");
    let put = |pk: &str| {
        TransactWriteItem::builder()
            .put(Put::builder().table_name(&table).item("pk", S(pk.into())).build().expect("put"))
            .build()
    };
    let take = Update::builder()
        .table_name(&table)
        .key("pk", S("stock".into()))
        .update_expression("SET n = n - :q")
        .condition_expression("n >= :q")
        .expression_attribute_values(":q", N("1000".into()))
        .build()
        .expect("update");
    let cancelled = ddb
        .transact_write_items()
        .transact_items(put("phantom-before"))
        .transact_items(TransactWriteItem::builder().update(take).build())
        .transact_items(put("phantom-after"))
        .send()
        .await;
    assert!(cancelled.is_err(), "the transaction must be cancelled");
    ddb.put_item().table_name(&table).item("pk", S("later".into())).send().await.expect("put");

    let records = streams.get_records().shard_iterator(iterator).send().await.expect("records");
    let keys: Vec<String> = records
        .records()
        .iter()
        .filter_map(|r| {
            r.dynamodb().and_then(|d| d.keys()).and_then(|k| k.get("pk")).and_then(|v| v.as_s().ok()).cloned()
        })
        .collect();
    assert_eq!(keys, ["stock", "later"]);
}

#[tokio::test]
async fn data_json_of_named_services_holds_what_was_sent_and_nothing_else() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let ses = aws_sdk_sesv2::Client::new(&config);
    let (from, to) = ("launcher@bazaar.test", format!("{}@bazaar.test", uuid::Uuid::new_v4().simple()));
    ses.create_email_identity().email_identity(from).send().await.expect("identity");
    let text = |data: &str| aws_sdk_sesv2::types::Content::builder().data(data).build().expect("content");
    let message = aws_sdk_sesv2::types::Message::builder()
        .subject(text("hello"))
        .body(aws_sdk_sesv2::types::Body::builder().text(text("launcher")).build())
        .build();
    ses.send_email()
        .from_email_address(from)
        .destination(aws_sdk_sesv2::types::Destination::builder().to_addresses(&to).build())
        .content(aws_sdk_sesv2::types::EmailContent::builder().simple(message).build())
        .send()
        .await
        .expect("send");

    let sent = bazaar_testkit::moto_state(&moto.endpoint).await;
    let services: Vec<&String> = sent.as_object().expect("an object").keys().collect();
    assert!(services.iter().all(|s| *s == "ses" || *s == "sns"), "{services:?}");
    let emails = sent.pointer("/ses/Message").and_then(serde_json::Value::as_array).expect("ses.Message");
    assert!(emails.iter().any(|m| m.to_string().contains(&to)), "{emails:?}");

    let everything: serde_json::Value =
        reqwest::get(format!("{}/moto-api/data.json", moto.endpoint)).await.expect("GET").json().await.expect("JSON");
    assert!(everything.get("dynamodb").is_some() && everything.get("sqs").is_some(), "without services: all of moto");
}

/// moto's UpdateItem of a new item stores the bare keys first and applies the expression to
/// the stored item after: the launcher's lock keeps reads from seeing that halfway item.
#[tokio::test]
async fn a_scan_racing_upserts_sees_each_item_whole_or_not_at_all() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("whole-{}", uuid::Uuid::new_v4().simple());
    let stack = Stack { tables: vec![Table::keyed_on("Table", &table, KeyAttr::string("pk"))], ..Stack::default() };
    devstack::provision::provision(&stack, &config).await.expect("table");
    // Many attributes: moto applies them one by one, which widens the halfway moment.
    let attributes: Vec<String> = (0..80).map(|i| format!("a{i}")).collect();
    let upserts = (0..60).map(|i| {
        let mut update = ddb.update_item().table_name(&table).key("pk", S(format!("k{i}")));
        let sets: Vec<String> = attributes.iter().map(|a| format!("{a} = :v")).collect();
        update = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .expression_attribute_values(":v", N("1".into()));
        update.send()
    });
    // Scanners keep scanning until the last upsert has answered, so under any load some scans
    // overlap the writes (a fixed number of scans could all finish before the first write).
    let done = std::sync::atomic::AtomicBool::new(false);
    let scanner = || async {
        let mut seen = Vec::new();
        while !done.load(std::sync::atomic::Ordering::Acquire) {
            seen.push(ddb.scan().table_name(&table).consistent_read(true).send().await.expect("scan"));
        }
        seen
    };
    let writes = async {
        let written = futures::future::join_all(upserts).await;
        done.store(true, std::sync::atomic::Ordering::Release);
        written
    };
    let (written, seen) = futures::future::join(writes, futures::future::join_all((0..4).map(|_| scanner()))).await;
    assert!(written.iter().all(Result::is_ok), "every upsert succeeds");
    let mut items_seen = 0;
    for scan in seen.iter().flatten() {
        for item in scan.items() {
            items_seen += 1;
            let missing = attributes.iter().filter(|a| !item.contains_key(a.as_str())).count();
            assert_eq!(missing, 0, "{:?} was read without {missing} of its attributes", item.get("pk"));
        }
    }
    assert!(items_seen > 0, "the scans ran while the items were being written");
}

/// DynamoDB keeps a transaction's ClientRequestToken ten minutes: the SDK's retry of a
/// transaction whose answer was lost succeeds without applying it twice. moto ignores the
/// token; the launcher does not.
#[tokio::test]
async fn a_transaction_retried_with_its_token_is_applied_once() {
    let config = Moto::shared().sdk_config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("tokens-{}", uuid::Uuid::new_v4().simple());
    let stack = Stack { tables: vec![Table::keyed_on("Table", &table, KeyAttr::string("pk"))], ..Stack::default() };
    devstack::provision::provision(&stack, &config).await.expect("table");
    let new_item = |pk: &str| {
        let put = Put::builder()
            .table_name(&table)
            .item("pk", S(pk.into()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("put");
        TransactWriteItem::builder().put(put).build()
    };
    let counter = Update::builder()
        .table_name(&table)
        .key("pk", S("count".into()))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", N("1".into()))
        .build()
        .expect("update");
    let token = uuid::Uuid::new_v4().to_string();
    let send = |pk: &str, token: &str| {
        ddb.transact_write_items()
            .client_request_token(token)
            .transact_items(new_item(pk))
            .transact_items(TransactWriteItem::builder().update(counter.clone()).build())
            .send()
    };
    send("a", &token).await.expect("the first attempt");
    send("a", &token).await.expect("the retry succeeds, though its condition no longer holds");
    let count = ddb.get_item().table_name(&table).key("pk", S("count".into())).send().await.expect("get");
    assert_eq!(count.item().and_then(|i| i.get("n")), Some(&N("1".into())), "applied once");

    let other = send("b", &token).await.expect_err("the same token with other items");
    let code = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&other);
    assert_eq!(code, Some("IdempotentParameterMismatchException"), "{other:?}");
    // Without a matching token the condition holds as usual.
    let again = send("a", &uuid::Uuid::new_v4().to_string()).await;
    assert!(again.is_err(), "a new transaction writing `a` again is cancelled");
}

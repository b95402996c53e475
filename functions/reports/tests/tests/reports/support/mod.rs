//! A test app: its own reports table in the shared moto_server (and, for rebuilds, its own
//! bus with an archive and a reports rule delivering to a queue), and every reports
//! function's `Deps` built from the environment the template is to give them.
//!
//! The resources are created here rather than planned from template.yaml because the
//! reports' resources are wired into the template separately; the names of the variables
//! are the ones the functions read (`REPORTS_TABLE`, `REPORTS_ARCHIVE_ARN`,
//! `EVENT_BUS_ARN`, `REPORTS_RULE_ARN`).

#![allow(dead_code)]

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
use bazaar_runtime::Identity;
use bazaar_runtime::config::Env;
pub use bazaar_testkit::apigw::{Req, assert_problem, body_json, outcome, text};
pub use bazaar_testkit::events::{failed_ids, lambda_batch_of};
use bazaar_testkit::{Moto, unique_stage};
use lambda_http::{Body, Response};
use reports_core::ReportsStore;
use serde_json::{Value, json};

use crate::dataset::Raw;

pub struct TestApp {
    pub config: aws_types::SdkConfig,
    pub table: String,
    pub vars: BTreeMap<String, String>,
}

/// The bus side of a rebuild: a bus, its archive, the reports rule and its queue.
pub struct Bus {
    pub name: String,
    pub arn: String,
    pub archive_arn: String,
    pub rule_arn: String,
    pub queue_url: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let moto = Moto::shared();
        let config = moto.sdk_config().await;
        let table = format!("bazaar-{}-reports", unique_stage());
        let key =
            |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build().expect("key");
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attr")
        };
        aws_sdk_dynamodb::Client::new(&config)
            .create_table()
            .table_name(&table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .attribute_definitions(attr("pk"))
            .attribute_definitions(attr("sk"))
            .send()
            .await
            .expect("reports table");
        let vars = BTreeMap::from([("REPORTS_TABLE".to_owned(), table.clone())]);
        TestApp { config, table, vars }
    }

    pub fn env(&self) -> Env {
        Env::from_map(self.vars.clone())
    }

    pub fn store(&self) -> ReportsStore {
        ReportsStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    pub fn on_event(&self) -> reports_on_event::Deps {
        reports_on_event::Deps::new(&self.config, &self.env()).expect("deps")
    }
    pub fn sales_deps(&self) -> reports_sales::Deps {
        reports_sales::Deps::new(&self.config, &self.env()).expect("deps")
    }
    pub fn bookings_deps(&self) -> reports_bookings::Deps {
        reports_bookings::Deps::new(&self.config, &self.env()).expect("deps")
    }
    pub fn rebuild_deps(&self) -> reports_rebuild::Deps {
        reports_rebuild::Deps::new(&self.config, &self.env()).expect("deps")
    }

    /// Creates a bus with an archive of every Bazaar event and a reports rule delivering
    /// the six event types the reports read to a queue; the rebuild's variables then point
    /// at them.
    pub async fn bus(&mut self) -> Bus {
        let events = aws_sdk_eventbridge::Client::new(&self.config);
        let sqs = aws_sdk_sqs::Client::new(&self.config);
        let stage = unique_stage();
        let name = format!("bazaar-{stage}");
        let arn = events.create_event_bus().name(&name).send().await.expect("bus").event_bus_arn.expect("bus arn");
        let archive_arn = events
            .create_archive()
            .archive_name(format!("bazaar-{stage}-archive"))
            .event_source_arn(&arn)
            .event_pattern(json!({ "source": [{ "prefix": "bazaar." }] }).to_string())
            .send()
            .await
            .expect("archive")
            .archive_arn
            .expect("archive arn");
        let pattern = json!({
            "source": ["bazaar.orders", "bazaar.payments", "bazaar.reservations"],
            "detail-type": ["OrderPaid", "PaymentSucceeded", "PaymentRefunded",
                            "ReservationConfirmed", "ReservationCancelled", "ReservationCheckedIn"],
        });
        let rule = format!("bazaar-{stage}-reports");
        let rule_arn = events
            .put_rule()
            .name(&rule)
            .event_bus_name(&name)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .expect("rule")
            .rule_arn
            .expect("rule arn");
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("bazaar-{stage}-reports"))
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("url");
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes");
        let queue_arn =
            attrs.attributes().and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)).expect("arn");
        let target =
            aws_sdk_eventbridge::types::Target::builder().id("reports").arn(queue_arn).build().expect("target");
        events.put_targets().rule(&rule).event_bus_name(&name).targets(target).send().await.expect("target");
        self.vars.insert("EVENT_BUS_ARN".into(), arn.clone());
        self.vars.insert("REPORTS_ARCHIVE_ARN".into(), archive_arn.clone());
        self.vars.insert("REPORTS_RULE_ARN".into(), rule_arn.clone());
        Bus { name, arn, archive_arn, rule_arn, queue_url }
    }

    /// Puts `events` on `bus` as the publishers do (the archive keeps them).
    pub async fn publish(&self, bus: &Bus, events: &[Raw]) {
        let client = aws_sdk_eventbridge::Client::new(&self.config);
        for chunk in events.chunks(10) {
            let entries = chunk
                .iter()
                .map(|e| {
                    aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                        .event_bus_name(&bus.name)
                        .source(e.source())
                        .detail_type(e.detail_type())
                        .detail(e.detail())
                        .build()
                })
                .collect();
            let out = client.put_events().set_entries(Some(entries)).send().await.expect("put events");
            assert_eq!(out.failed_entry_count, 0);
        }
    }

    /// Receives everything waiting in the bus's queue and hands it to reports-on-event, as
    /// the event source mapping would; returns how many messages there were.
    pub async fn drain(&self, bus: &Bus) -> usize {
        let sqs = aws_sdk_sqs::Client::new(&self.config);
        let mut count = 0;
        loop {
            let out = sqs
                .receive_message()
                .queue_url(&bus.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return count;
            }
            count += messages.len();
            let bodies: Vec<String> = messages.iter().map(|m| m.body.clone().expect("body")).collect();
            self.deliver(&bodies).await;
            for m in &messages {
                let handle = m.receipt_handle.as_deref().expect("receipt handle");
                sqs.delete_message().queue_url(&bus.queue_url).receipt_handle(handle).send().await.expect("delete");
            }
        }
    }

    /// Hands `bodies` to reports-on-event as one batch and asserts none failed.
    pub async fn deliver(&self, bodies: &[String]) {
        let failed = self.deliver_batch(bodies).await;
        assert!(failed.is_empty(), "failed messages: {failed:?}");
    }

    /// Hands `bodies` to reports-on-event as one batch; the ids (m0, m1, …) that failed.
    pub async fn deliver_batch(&self, bodies: &[String]) -> Vec<String> {
        let r = reports_on_event::handler(&self.on_event(), lambda_batch_of(bodies)).await.expect("handled");
        failed_ids(&r)
    }

    /// Delivers every event, in batches of ten as SQS would.
    pub async fn deliver_all(&self, events: &[Raw]) {
        for chunk in events.chunks(10) {
            self.deliver(&chunk.iter().map(Raw::body).collect::<Vec<_>>()).await;
        }
    }

    pub async fn sales(&self, who: &Identity, query: &[(&str, &str)]) -> Response<Body> {
        reports_sales::handler(&self.sales_deps(), request("/reports/sales", who, query)).await
    }

    pub async fn bookings(&self, who: &Identity, query: &[(&str, &str)]) -> Response<Body> {
        reports_bookings::handler(&self.bookings_deps(), request("/reports/bookings", who, query)).await
    }

    /// A 200 report's body.
    pub async fn sales_ok(&self, who: &Identity, query: &[(&str, &str)]) -> Value {
        let r = self.sales(who, query).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
        body_json(&r)
    }

    pub async fn bookings_ok(&self, who: &Identity, query: &[(&str, &str)]) -> Value {
        let r = self.bookings(who, query).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
        body_json(&r)
    }

    /// The sort keys of the markers filed under `day` (a test-only Query).
    pub async fn markers(&self, day: &str) -> Vec<String> {
        let out = aws_sdk_dynamodb::Client::new(&self.config)
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("MARKER#{day}")))
            .send()
            .await
            .expect("query");
        out.items().iter().filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).cloned()).collect()
    }
}

fn request(path: &str, who: &Identity, query: &[(&str, &str)]) -> lambda_http::Request {
    let mut req = Req::new("GET", path).identity(who);
    for (k, v) in query {
        req = req.query(k, v);
    }
    req.build()
}

fn person(sub: &str, permissions: &[&str]) -> Identity {
    Identity {
        sub: sub.to_owned(),
        email: format!("{sub}@example.com"),
        roles: vec![],
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// A holder of `reports:read` and `reports:read_all`.
pub fn admin() -> Identity {
    person("admin-1", &["reports:read", "reports:read_all"])
}

/// A resource and product owner: `reports:read` only.
pub fn owner(sub: &str) -> Identity {
    person(sub, &["reports:read"])
}

/// A custom role holding only `reports:read_all`.
pub fn auditor() -> Identity {
    person("auditor-1", &["reports:read_all"])
}

/// No reports permission at all.
pub fn customer() -> Identity {
    person("customer-1", &["orders:place"])
}

//! A test app: the reports' part of template.yaml provisioned into the shared moto_server
//! on a stage of its own (its table, and for rebuilds the bus with its archive, the reports
//! rule and its queue), and every reports function's `Deps` built from the environment the
//! template gives it, with its own role's credentials (moto enforces IAM). The test itself
//! arranges and looks with the administrator's `config`.

#![allow(dead_code)]

use aws_sdk_dynamodb::types::AttributeValue;
use bazaar_runtime::Identity;
use bazaar_runtime::config::Env;
pub use bazaar_testkit::apigw::{Req, assert_problem, body_json, outcome, text};
pub use bazaar_testkit::events::{failed_ids, lambda_batch_of};
use bazaar_testkit::{Moto, template_path, unique_stage};
use devstack::provision::ServiceStack;
use lambda_http::{Body, Response};
use reports_core::ReportsStore;
use serde_json::Value;

use crate::dataset::Raw;

pub struct TestApp {
    pub config: aws_types::SdkConfig,
    pub table: String,
    service: ServiceStack,
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
        let config = Moto::shared().sdk_config().await;
        let service = ServiceStack::provision(&template_path(), "reports", &unique_stage(), &[], config.clone())
            .await
            .expect("the reports stack provisions");
        TestApp { config, table: service.table.clone(), service }
    }

    /// The stage's stack, as provisioned (to deliver a batch through a queue).
    pub fn service(&self) -> &ServiceStack {
        &self.service
    }

    /// The environment the template gives function `binary`.
    fn env(&self, binary: &str) -> Env {
        devstack::registry::function_env(&self.service.stack, binary, &Moto::shared().endpoint).expect(binary)
    }

    /// Function `binary`'s `Deps`, as deployed: its environment and its role's credentials.
    fn deps<D>(&self, binary: &str, new: fn(&aws_types::SdkConfig, &Env) -> anyhow::Result<D>) -> D {
        new(&self.service.function_config(binary), &self.env(binary)).expect(binary)
    }

    pub fn store(&self) -> ReportsStore {
        ReportsStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    pub fn on_event(&self) -> reports_on_event::Deps {
        self.deps("reports-on-event", reports_on_event::Deps::new)
    }
    pub fn sales_deps(&self) -> reports_sales::Deps {
        self.deps("reports-sales", reports_sales::Deps::new)
    }
    pub fn bookings_deps(&self) -> reports_bookings::Deps {
        self.deps("reports-bookings", reports_bookings::Deps::new)
    }
    pub fn rebuild_deps(&self) -> reports_rebuild::Deps {
        self.deps("reports-rebuild", reports_rebuild::Deps::new)
    }

    /// The template's bus, its archive, the reports rule and its queue (provisioned with the
    /// stack), as the rebuild's environment names them.
    pub async fn bus(&mut self) -> Bus {
        let env = self.env("reports-rebuild");
        let var = |name: &'static str| env.required(name).expect(name);
        let queue = self.service.stack.queue("ReportsOnEventQueue").expect("the reports queue").name.clone();
        let queue_url = aws_sdk_sqs::Client::new(&self.config)
            .get_queue_url()
            .queue_name(queue)
            .send()
            .await
            .expect("queue url")
            .queue_url
            .expect("url");
        let name = self.service.bus.clone();
        Bus {
            name,
            arn: var("EVENT_BUS_ARN"),
            archive_arn: var("REPORTS_ARCHIVE_ARN"),
            rule_arn: var("REPORTS_RULE_ARN"),
            queue_url,
        }
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

//! A test app: a stack planned from template.yaml with a unique stage, provisioned into the
//! shared moto_server (tables, queues and the SES sender identity), and every notifications
//! function's `Deps` built from its own template environment, as in production.

#![allow(dead_code)]

use std::collections::BTreeMap;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use bazaar_events::{Envelope, Event};
use bazaar_runtime::Identity;
use bazaar_runtime::config::Env;
use bazaar_testkit::{Moto, template_path, unique_stage};
use devstack::model::Stack;
use lambda_http::{Body, Request, Response};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

pub struct TestApp {
    pub config: aws_types::SdkConfig,
    pub stack: Stack,
    pub moto_endpoint: String,
    pub table: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let moto = Moto::shared();
        let overrides = BTreeMap::from([("Stage".to_owned(), unique_stage())]);
        let opts = devstack::template::PlanOptions { overrides, moto_endpoint: moto.endpoint.clone() };
        let stack = devstack::template::plan(&template_path(), &opts).expect("template plans");
        let config = moto.sdk_config().await;
        devstack::provision::provision(&stack, &config).await.expect("provisioned");
        let table = stack.table("NotificationsTable").expect("notifications table").name.clone();
        TestApp { config, stack, moto_endpoint: moto.endpoint.clone(), table }
    }

    /// The environment template.yaml gives function `logical_id`.
    pub fn env(&self, logical_id: &str) -> Env {
        let f = self.stack.function(logical_id).unwrap_or_else(|| panic!("{logical_id} in template.yaml"));
        Env::from_map(devstack::env::function_env(&self.stack, f, &self.moto_endpoint))
    }

    pub fn on_event(&self) -> notifications_on_event::Deps {
        notifications_on_event::Deps::new(&self.config, &self.env("NotificationsOnEventFunction")).expect("deps")
    }
    pub fn templates_get(&self) -> notifications_templates_get::Deps {
        notifications_templates_get::Deps::new(&self.config, &self.env("NotificationsTemplatesGetFunction"))
            .expect("deps")
    }
    pub fn templates_put(&self) -> notifications_templates_put::Deps {
        notifications_templates_put::Deps::new(&self.config, &self.env("NotificationsTemplatesPutFunction"))
            .expect("deps")
    }
    pub fn preferences_get(&self) -> notifications_preferences_get::Deps {
        notifications_preferences_get::Deps::new(&self.config, &self.env("NotificationsPreferencesGetFunction"))
            .expect("deps")
    }
    pub fn preferences_put(&self) -> notifications_preferences_put::Deps {
        notifications_preferences_put::Deps::new(&self.config, &self.env("NotificationsPreferencesPutFunction"))
            .expect("deps")
    }
    pub fn list(&self) -> notifications_list::Deps {
        notifications_list::Deps::new(&self.config, &self.env("NotificationsListFunction")).expect("deps")
    }

    /// Runs a batch through notifications-on-event; the ids of the failed messages.
    pub async fn deliver(&self, deps: &notifications_on_event::Deps, batch: &SqsEvent) -> Vec<String> {
        let event = LambdaEvent::new(batch.clone(), Context::default());
        let response = notifications_on_event::handler(deps, event).await.expect("handled");
        response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect()
    }

    /// Sets `user`'s preferences through the API.
    pub async fn set_preferences(&self, user: &Identity, body: Value) {
        let req = request("PUT", "/notifications/preferences", None, Some(&body.to_string()), Some(user));
        let r = notifications_preferences_put::handler(&self.preferences_put(), req).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
    }

    /// Everything moto recorded as sent (moto is shared: filter by a unique recipient).
    /// moto answers a 500 now and then when another test writes while it serializes its
    /// state, so a failed read is retried.
    pub async fn sent(&self) -> Value {
        let url = format!("{}/moto-api/data.json", self.moto_endpoint);
        let mut last_error = String::new();
        for _ in 0..20 {
            match reqwest::get(&url).await {
                Ok(r) if r.status().is_success() => match r.json::<Value>().await {
                    Ok(data) => return data,
                    Err(e) => last_error = e.to_string(),
                },
                Ok(r) => last_error = format!("status {}", r.status()),
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto's data.json could not be read: {last_error}");
    }

    /// The emails moto recorded for `to`.
    pub async fn emails_to(&self, to: &str) -> Vec<Value> {
        let data = self.sent().await;
        data.pointer("/ses/Message")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|m| {
                m.pointer("/destinations/ToAddresses")
                    .and_then(Value::as_array)
                    .is_some_and(|to_list| to_list.iter().any(|a| a.as_str() == Some(to)))
            })
            .cloned()
            .collect()
    }

    /// The SMS moto recorded for `number`.
    pub async fn sms_to(&self, number: &str) -> Vec<Value> {
        let data = self.sent().await;
        data.pointer("/sns/SMS")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|m| m["phone_number"].as_str() == Some(number))
            .cloned()
            .collect()
    }
}

/// A recipient no other test (or test run against the same moto) uses.
pub fn unique_email() -> String {
    format!("n{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A unique, valid E.164 number (+1 555 then 8 random digits).
pub fn unique_phone() -> String {
    let digits = uuid::Uuid::new_v4().as_u128() % 100_000_000;
    format!("+1555{digits:08}")
}

pub fn customer(sub: &str, email: &str) -> Identity {
    Identity { sub: sub.to_owned(), email: email.to_owned(), roles: vec!["customer".into()], permissions: vec![] }
}

pub fn admin() -> Identity {
    Identity {
        sub: uuid::Uuid::new_v4().to_string(),
        email: unique_email(),
        roles: vec!["admin".into()],
        permissions: vec!["notifications:templates".into()],
    }
}

/// The SQS message body an EventBridge rule delivers for `envelope`.
pub fn delivered_body<T: Event>(envelope: &Envelope<T>) -> String {
    json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": T::DETAIL_TYPE, "source": T::SOURCE,
        "time": "2026-11-21T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": envelope,
    })
    .to_string()
}

pub fn message(id: &str, body: &str) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.to_owned());
    m.body = Some(body.to_owned());
    m
}

/// One SQS batch with these bodies (message ids m0, m1, ...).
pub fn batch(bodies: &[String]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies.iter().enumerate().map(|(i, b)| message(&format!("m{i}"), b)).collect();
    event
}

/// An API Gateway v2 request as the gateway would send it.
pub fn request(
    method: &str,
    path: &str,
    query: Option<(&str, &str)>,
    body: Option<&str>,
    identity: Option<&Identity>,
) -> Request {
    let mut headers = json!({ "host": "127.0.0.1:3000", "x-forwarded-proto": "http" });
    if body.is_some() {
        headers["content-type"] = json!("application/json");
    }
    let raw_query = query.map(|(k, v)| format!("{k}={v}")).unwrap_or_default();
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1", "stage": "$default",
            "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": format!("{method} {path}"), "timeEpoch": 0,
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "test" }
        },
        "isBase64Encoded": false
    });
    if let Some((k, v)) = query {
        event["queryStringParameters"] = json!({ k: v });
    }
    if let Some(name) = path.strip_prefix("/notifications/templates/") {
        event["pathParameters"] = json!({ "name": name });
        event["routeKey"] = json!(format!("{method} /notifications/templates/{{name}}"));
    }
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    if let Some(identity) = identity {
        event["requestContext"]["authorizer"] = json!({ "lambda": identity.to_context() });
    }
    lambda_http::request::from_str(&event.to_string()).expect("API Gateway v2 event")
}

pub fn text(r: &Response<Body>) -> String {
    String::from_utf8_lossy(r.body().as_ref()).into_owned()
}

pub fn body_json(r: &Response<Body>) -> Value {
    serde_json::from_slice(r.body().as_ref()).unwrap_or(Value::Null)
}

/// Asserts a problem+json response with `status`.
pub fn assert_problem(r: &Response<Body>, status: u16) {
    assert_eq!(r.status().as_u16(), status, "{}", text(r));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body = body_json(r);
    assert_eq!(body["status"], status);
}

//! A test app: a stack planned from template.yaml with a unique stage, provisioned into the
//! shared moto_server (tables, queues and the SES sender identity), and every notifications
//! function's `Deps` built from its own template environment, as in production.

#![allow(dead_code)]

use aws_lambda_events::sqs::SqsEvent;
use bazaar_runtime::Identity;
pub use bazaar_testkit::apigw::{Req, body_json, problem as assert_problem, text};
pub use bazaar_testkit::deps;
pub use bazaar_testkit::events::{batch_of as batch, delivered as delivered_body, failed_ids};
use lambda_http::Request;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

devstack::test_app!(notifications);

impl TestApp {
    /// Runs a batch through notifications-on-event; the ids of the failed messages.
    pub async fn deliver(&self, deps: &notifications_on_event::Deps, batch: &SqsEvent) -> Vec<String> {
        let event = LambdaEvent::new(batch.clone(), Context::default());
        failed_ids(&notifications_on_event::handler(deps, event).await.expect("handled"))
    }

    /// Sets `user`'s preferences through the API.
    pub async fn set_preferences(&self, user: &Identity, body: Value) {
        let req = request("PUT", "/notifications/preferences", None, Some(&body.to_string()), Some(user));
        let r = notifications_preferences_put::handler(&deps!(self, notifications_preferences_put), req).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
    }

    /// Everything moto recorded as sent (moto is shared: filter by a unique recipient).
    pub async fn sent(&self) -> Value {
        bazaar_testkit::moto_state(&self.endpoint).await
    }

    /// The emails moto recorded for `to`.
    pub async fn emails_to(&self, to: &str) -> Vec<Value> {
        self.recorded("/ses/Message", |m| {
            m.pointer("/destinations/ToAddresses")
                .and_then(Value::as_array)
                .is_some_and(|to_list| to_list.iter().any(|a| a.as_str() == Some(to)))
        })
        .await
    }

    /// The SMS moto recorded for `number`.
    pub async fn sms_to(&self, number: &str) -> Vec<Value> {
        self.recorded("/sns/SMS", |m| m["phone_number"].as_str() == Some(number)).await
    }

    /// The SMS to `number` but the verification codes.
    pub async fn notifications_texted_to(&self, number: &str) -> Vec<Value> {
        self.sms_to(number).await.into_iter().filter(|m| code_in(m).is_none()).collect()
    }

    /// The newest verification code texted to `number`.
    pub async fn code_texted_to(&self, number: &str) -> Option<String> {
        self.sms_to(number).await.iter().filter_map(code_in).next_back()
    }

    /// `POST /notifications/preferences/phone/verify` with `code` as `user`.
    pub async fn verify_phone(&self, user: &Identity, code: &str) -> lambda_http::Response<lambda_http::Body> {
        let body = serde_json::json!({ "code": code }).to_string();
        let req = request("POST", "/notifications/preferences/phone/verify", None, Some(&body), Some(user));
        notifications_phone_verify::handler(&deps!(self, notifications_phone_verify), req).await
    }

    /// Sets `user`'s preferences (with a phone number) and verifies the number with the code
    /// texted to it.
    pub async fn set_verified_phone(&self, user: &Identity, preferences: Value) {
        self.set_preferences(user, preferences.clone()).await;
        let number = preferences["phone_number"].as_str().expect("a phone number");
        let code = self.code_texted_to(number).await.expect("a code was texted");
        let r = self.verify_phone(user, &code).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
        assert_eq!(body_json(&r)["phone_verified"], true);
    }

    /// What moto recorded under `pointer` (`/ses/Message`) that `matches`.
    async fn recorded(&self, pointer: &str, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        let data = self.sent().await;
        data.pointer(pointer).and_then(Value::as_array).into_iter().flatten().filter(|m| matches(m)).cloned().collect()
    }
}

/// The code a verification SMS carries.
fn code_in(sms: &Value) -> Option<String> {
    let text = sms["message"].as_str()?;
    let after = text.split("verification code is ").nth(1)?;
    Some(after.chars().take(6).collect())
}

/// The token of the first link to `page` (`http://…/reset-password?token=`) in `text` (an
/// email's body: moto keeps the HTML part, where minijinja writes `/` as `&#x2f;`).
pub fn link_token(text: &str, page: &str) -> Option<String> {
    let text = text.replace("&#x2f;", "/").replace("&amp;", "&");
    let start = text.find(page)? + page.len();
    let token: String =
        text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    Some(token).filter(|t| !t.is_empty())
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

/// An admin: every template, the security ones too.
pub fn admin() -> Identity {
    Identity {
        permissions: vec!["notifications:templates".into(), "notifications:security_templates".into()],
        ..template_editor()
    }
}

/// A holder of `notifications:templates` alone (a custom role): every template but the
/// security ones.
pub fn template_editor() -> Identity {
    Identity {
        sub: uuid::Uuid::new_v4().to_string(),
        email: unique_email(),
        roles: vec!["editor".into()],
        permissions: vec!["notifications:templates".into()],
    }
}

/// The notifications store over the test stack's table (to write what the API would refuse).
pub fn store(app: &TestApp) -> notifications_core::NotificationsStore {
    notifications_core::NotificationsStore::new(aws_sdk_dynamodb::Client::new(&app.config), &app.table)
}

/// Two nested loops of a hundred thousand turns each: ten billion, if nothing stops them.
pub const RUNAWAY: &str = "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}";

/// An API Gateway v2 request as the gateway would send it.
pub fn request(
    method: &str,
    path: &str,
    query: Option<(&str, &str)>,
    body: Option<&str>,
    identity: Option<&Identity>,
) -> Request {
    let mut req = Req::new(method, path).source_ip("203.0.113.9").identity(identity);
    if let Some((k, v)) = query {
        req = req.query(k, v);
    }
    if let Some(name) = path.strip_prefix("/notifications/templates/") {
        req = req.path_param("name", name).route("/notifications/templates/{name}");
    }
    if let Some(body) = body {
        req = req.json_text(body);
    }
    req.build()
}

/// An `OrderPaid` of `user_id` at `email`: one line, two desk lamps, 25.00 EUR in all.
pub fn order_paid(user_id: &str, email: &str) -> bazaar_events::Envelope<bazaar_events::orders::OrderPaid> {
    use bazaar_events::Money;
    use bazaar_events::orders::{OrderLine, OrderPaid};
    let money = |m| Money::new(m, "EUR");
    bazaar_events::Envelope::new(
        OrderPaid {
            order_id: format!("ord-{}", uuid::Uuid::new_v4().simple()),
            customer_id: user_id.into(),
            customer_email: email.into(),
            payment_id: "pay-1".into(),
            lines: vec![OrderLine {
                product_id: "p1".into(),
                owner_id: "owner-1".into(),
                name: "Desk lamp".into(),
                quantity: 2,
                unit_price: money(1250),
                line_total: money(2500),
            }],
            total: money(2500),
        },
        "corr",
    )
}

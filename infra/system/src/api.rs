//! A client of the system's HTTP API, as a shop front end would use it.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Api {
    pub base: String,
    http: reqwest::Client,
}

/// A response: status, JSON body (Null when empty or not JSON) and headers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api { base, http: reqwest::Client::new() }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Reply> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply { status, body, headers })
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> anyhow::Result<Reply> {
        self.send(Method::GET, path, token, None, &[]).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> anyhow::Result<Reply> {
        self.send(Method::POST, path, token, Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> anyhow::Result<Reply> {
        self.send(Method::PUT, path, token, Some(body), &[]).await
    }

    /// Logs in; the access token.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let reply = self.post("/auth/login", None, &json!({ "email": email, "password": password })).await?;
        anyhow::ensure!(reply.status == StatusCode::OK, "login failed: {} {}", reply.status, reply.body);
        reply.body["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no access_token"))
    }

    /// Registers a new customer with a unique address and logs in: (email, token).
    pub async fn new_customer(&self) -> anyhow::Result<(String, String)> {
        let email = format!("c-{}@example.com", uuid::Uuid::new_v4().simple());
        let password = "correct horse 42";
        let reply = self.post("/auth/register", None, &json!({ "email": email, "password": password })).await?;
        anyhow::ensure!(reply.status == StatusCode::CREATED, "register failed: {} {}", reply.status, reply.body);
        let token = self.login(&email, password).await?;
        Ok((email, token))
    }

    /// Creates a product with `stock` units at `amount_minor` EUR; its id.
    pub async fn create_product(
        &self,
        admin: &str,
        name: &str,
        amount_minor: i64,
        stock: u32,
    ) -> anyhow::Result<String> {
        let body = json!({
            "name": name, "description": "made for tests", "category": "tests",
            "price": { "amount_minor": amount_minor, "currency": "EUR" }, "stock": stock,
        });
        let reply = self.post("/products", Some(admin), &body).await?;
        anyhow::ensure!(reply.status == StatusCode::CREATED, "create product: {} {}", reply.status, reply.body);
        reply.body["id"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no product id"))
    }

    /// POSTs `body` with a fresh Idempotency-Key.
    pub async fn post_once(&self, path: &str, token: &str, body: &Value) -> anyhow::Result<Reply> {
        let key = uuid::Uuid::new_v4().to_string();
        self.send(Method::POST, path, Some(token), Some(body), &[("idempotency-key", &key)]).await
    }

    /// Places an order with a fresh Idempotency-Key.
    pub async fn place_order(&self, token: &str, lines: &[(&str, u32)]) -> anyhow::Result<Reply> {
        let lines: Vec<Value> =
            lines.iter().map(|(id, quantity)| json!({ "product_id": id, "quantity": quantity })).collect();
        self.post_once("/orders", token, &json!({ "lines": lines })).await
    }

    /// Books a slot, `{resource_id, start, end}`, with a fresh Idempotency-Key.
    pub async fn reserve(&self, token: &str, booking: &Value) -> anyhow::Result<Reply> {
        self.post_once("/reservations", token, booking).await
    }

    /// Polls `GET path` until what it answers has a `status` among `statuses`; that answer.
    /// Orders, payments and reservations move on asynchronously, event by event.
    pub async fn status_of(
        &self,
        path: &str,
        token: &str,
        statuses: &[&str],
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        crate::eventually(timeout, &format!("{path} to be one of {statuses:?}"), || async {
            let reply = self.get(path, Some(token)).await?;
            anyhow::ensure!(reply.status == StatusCode::OK, "GET {path}: {} {}", reply.status, reply.body);
            let status = reply.body["status"].as_str().unwrap_or_default();
            Ok(statuses.contains(&status).then_some(reply.body))
        })
        .await
    }
}

/// The claims of a JWT, unverified (its signature is the authorizer's business, not a test's).
pub fn claims(token: &str) -> anyhow::Result<Value> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).ok_or_else(|| anyhow::anyhow!("not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// A fixed-offset zone (its name and offset) in which it is early enough today for a slot
/// two hours from now: a booking that can be checked in today.
pub fn zone_with_room_today() -> (&'static str, chrono::FixedOffset) {
    let candidates = [("UTC", 0), ("Etc/GMT-12", 12), ("Etc/GMT+12", -12), ("Etc/GMT-14", 14)];
    candidates
        .into_iter()
        .filter_map(|(name, hours)| chrono::FixedOffset::east_opt(hours * 3600).map(|offset| (name, offset)))
        .find(|(_, offset)| {
            let now = chrono::Utc::now().with_timezone(offset);
            (now + chrono::Duration::hours(3)).date_naive() == now.date_naive()
        })
        // Of UTC-12, UTC and UTC+12, one always has twelve hours or more of its day left.
        .expect("some zone has three hours left today")
}

/// The body of `POST /resources` for a room open around the clock every day, `slot_minutes`
/// a slot at `amount_minor` EUR each.
pub fn room_open_all_week(name: &str, time_zone: &str, slot_minutes: u32, amount_minor: i64) -> Value {
    let all_day = json!([{ "open": "00:00", "close": "24:00" }]);
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let hours: serde_json::Map<String, Value> = days.iter().map(|d| ((*d).to_owned(), all_day.clone())).collect();
    json!({
        "name": name, "kind": "room", "time_zone": time_zone, "opening_hours": hours, "slot_minutes": slot_minutes,
        "price_per_slot": { "amount_minor": amount_minor, "currency": "EUR" },
    })
}

//! A test app: a stack planned from template.yaml with a unique stage, its reservations
//! part provisioned into the shared moto_server, and every reservations function's `Deps`
//! built from its own template environment. Requests are API Gateway v2 events and
//! messages SQS batches of EventBridge envelopes, as in production.

#![allow(dead_code)]

use bazaar_events::payments::{PaymentFailed, PaymentSucceeded, Subject};
use bazaar_events::{Envelope, Event, Money};
use bazaar_runtime::Identity;
pub use bazaar_testkit::apigw::{Req, assert_problem, body_json, text};
pub use bazaar_testkit::deps;
pub use bazaar_testkit::events::{delivered, failed_ids, lambda_batch_of as sqs};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use lambda_http::{Body, Response};
use reservations_core::{Clock, Reservation, ReservationsStore};
use serde_json::{Value, json};

pub const ZONE: Tz = chrono_tz::Europe::Berlin;

devstack::test_app!(reservations);

impl TestApp {
    pub fn store(&self) -> ReservationsStore {
        ReservationsStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    // ── resources ──

    pub async fn create_resource(&self, who: &Identity, body: &Value) -> Response<Body> {
        let req = Req::new("POST", "/resources").identity(who).json(body).build();
        reservations_resources_create::handler(&deps!(self, reservations_resources_create), req).await
    }

    /// A new resource of `owner` (open around the clock every day, 60-minute slots at
    /// 25.00 EUR, Europe/Berlin); returns its id.
    pub async fn resource(&self, owner: &Identity) -> String {
        self.resource_with(owner, room()).await
    }

    pub async fn resource_with(&self, owner: &Identity, body: Value) -> String {
        let r = self.create_resource(owner, &body).await;
        assert_eq!(r.status(), 201, "{}", text(&r));
        body_json(&r)["id"].as_str().expect("id").to_owned()
    }

    pub async fn update_resource(&self, who: &Identity, id: &str, patch: &Value) -> Response<Body> {
        let req = Req::new("PATCH", &format!("/resources/{id}")).identity(who).path_param("id", id).json(patch).build();
        reservations_resources_update::handler(&deps!(self, reservations_resources_update), req).await
    }

    /// `GET /resources/{id}/availability?date=` (anonymous): the slots' JSON.
    pub async fn availability(&self, id: &str, date: NaiveDate) -> Vec<Value> {
        let req = Req::new("GET", &format!("/resources/{id}/availability"))
            .path_param("id", id)
            .query("date", &date.to_string())
            .build();
        let r = reservations_availability::handler(&deps!(self, reservations_availability), req).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
        body_json(&r)["slots"].as_array().expect("slots").clone()
    }

    /// The UTC starts (as in the API) of the slots of `date` that are not available and
    /// not in the past.
    pub async fn taken(&self, id: &str, date: NaiveDate) -> Vec<String> {
        let now = Utc::now();
        self.availability(id, date)
            .await
            .into_iter()
            .filter(|s| s["available"] == false)
            .filter(|s| utc(s["start"].as_str().expect("start")) > now)
            .map(|s| s["start"].as_str().expect("start").to_owned())
            .collect()
    }

    // ── reservations ──

    /// `POST /reservations` as `who` with `key`.
    pub async fn post_reservation(&self, who: &Identity, key: &str, body: &Value) -> Response<Body> {
        self.post_reservation_with(&deps!(self, reservations_create), who, key, body).await
    }

    pub async fn post_reservation_with(
        &self,
        deps: &reservations_create::Deps,
        who: &Identity,
        key: &str,
        body: &Value,
    ) -> Response<Body> {
        let req = Req::new("POST", "/reservations").identity(who).header("idempotency-key", key).json(body).build();
        reservations_create::handler(deps, req).await
    }

    /// Books `[start, end)` of `resource` as `who` with a fresh key.
    pub async fn book(
        &self,
        who: &Identity,
        resource: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Response<Body> {
        self.post_reservation(who, &uuid::Uuid::new_v4().to_string(), &booking(resource, start, end)).await
    }

    /// Books and asserts 201; returns the reservation id.
    pub async fn booked(&self, who: &Identity, resource: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
        let r = self.book(who, resource, start, end).await;
        assert_eq!(r.status(), 201, "{}", text(&r));
        body_json(&r)["id"].as_str().expect("id").to_owned()
    }

    pub async fn reservation(&self, id: &str) -> Reservation {
        self.store().reservation(id).await.expect("read").expect("reservation exists")
    }

    pub async fn cancel_as(&self, who: &Identity, id: &str, clock: Clock) -> Response<Body> {
        let mut deps = deps!(self, reservations_cancel);
        deps.clock = clock;
        let req = Req::new("POST", &format!("/reservations/{id}/cancel")).identity(who).path_param("id", id).build();
        reservations_cancel::handler(&deps, req).await
    }

    pub async fn check_in_as(&self, who: &Identity, id: &str, clock: Clock) -> Response<Body> {
        let mut deps = deps!(self, reservations_check_in);
        deps.clock = clock;
        let req = Req::new("POST", &format!("/reservations/{id}/check-in")).identity(who).path_param("id", id).build();
        reservations_check_in::handler(&deps, req).await
    }

    /// Delivers `bodies` to reservations-on-payment; returns the failed message ids.
    pub async fn on_payment(&self, bodies: &[String]) -> Vec<String> {
        failed_ids(
            &reservations_on_payment::handler(&deps!(self, reservations_on_payment), sqs(bodies))
                .await
                .expect("handled"),
        )
    }

    /// Delivers a PaymentSucceeded for reservation `id` and asserts it was handled.
    pub async fn pay(&self, id: &str) {
        let amount = self.reservation(id).await.amount;
        assert!(self.on_payment(&[delivered(&succeeded(id, amount))]).await.is_empty());
    }

    /// Runs reservations-expire at `now`; how many reservations it expired.
    pub async fn run_expire(&self, now: DateTime<Utc>) -> u64 {
        let out = reservations_expire::handler(&at_time(deps!(self, reservations_expire), now), scheduled()).await;
        out.expect("expire ran")["expired"].as_u64().expect("count")
    }

    /// Runs reservations-remind at `now`; how many reminders it sent.
    pub async fn run_remind(&self, now: DateTime<Utc>) -> u64 {
        let out = reservations_remind::handler(&at_time(deps!(self, reservations_remind), now), scheduled()).await;
        out.expect("remind ran")["reminded"].as_u64().expect("count")
    }

    /// Every outbox item in the table (test-only scan).
    pub async fn outbox(&self) -> Vec<bazaar_aws::outbox::OutboxItem> {
        bazaar_testkit::events::outbox(&self.config, &self.table).await
    }

    /// The outbox events of type `T` about reservation `id`.
    pub async fn events_of<T: Event>(&self, id: &str) -> Vec<Envelope<T>> {
        bazaar_testkit::events::of_type::<T>(self.outbox().await)
            .into_iter()
            .filter(|e| serde_json::to_value(&e.data).expect("data")["reservation"]["reservation_id"] == id)
            .collect()
    }
}

/// A sweep's dependencies with the clock stopped at `now`.
fn at_time(mut deps: reservations_core::SweepDeps, now: DateTime<Utc>) -> reservations_core::SweepDeps {
    deps.clock = Clock::Fixed(now);
    deps
}

/// The scheduled event that starts a sweep (its content is not read).
fn scheduled() -> lambda_runtime::LambdaEvent<Value> {
    lambda_runtime::LambdaEvent::new(json!({}), lambda_runtime::Context::default())
}

/// The body of a resource open 00:00–24:00 every day, 60-minute slots, 25.00 EUR a slot.
pub fn room() -> Value {
    let day = json!([{ "open": "00:00", "close": "24:00" }]);
    json!({
        "name": "Room A", "kind": "room", "time_zone": "Europe/Berlin",
        "opening_hours": { "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day },
        "slot_minutes": 60, "price_per_slot": { "amount_minor": 2500, "currency": "EUR" },
    })
}

pub fn booking(resource: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Value {
    json!({ "resource_id": resource, "start": start.with_timezone(&ZONE).to_rfc3339(), "end": end.with_timezone(&ZONE).to_rfc3339() })
}

/// An instant as the API and the slot locks spell it (`2026-11-22T09:00:00Z`).
pub fn key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("rfc3339").with_timezone(&Utc)
}

/// Today's date in Berlin.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&ZONE).date_naive()
}

pub fn tomorrow() -> NaiveDate {
    today() + Duration::days(1)
}

/// `hour`:00 on `date` in Berlin, as an instant.
pub fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    let local = date.and_hms_opt(hour, 0, 0).expect("time");
    ZONE.from_local_datetime(&local).earliest().expect("exists").with_timezone(&Utc)
}

pub fn succeeded(id: &str, amount: Money) -> Envelope<PaymentSucceeded> {
    let subject = Subject::reservation(id);
    Envelope::new(
        PaymentSucceeded {
            payment_id: subject.payment_id(),
            subject,
            customer_id: "c".into(),
            amount,
            provider_ref: "sim_1".into(),
        },
        "corr-pay",
    )
}

pub fn failed(id: &str, amount: Money) -> Envelope<PaymentFailed> {
    let subject = Subject::reservation(id);
    Envelope::new(
        PaymentFailed {
            payment_id: subject.payment_id(),
            subject,
            customer_id: "c".into(),
            amount,
            reason: "declined".into(),
        },
        "corr-pay",
    )
}

fn identity(roles: &[&str], permissions: &[&str]) -> Identity {
    Identity {
        sub: uuid::Uuid::new_v4().to_string(),
        email: format!("{}@example.com", uuid::Uuid::new_v4().simple()),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
    }
}

pub fn customer() -> Identity {
    identity(&["customer"], &[])
}

pub fn owner() -> Identity {
    identity(&["owner"], &["catalog:write", "reservations:manage", "reports:read"])
}

pub fn front_desk() -> Identity {
    identity(&["front_desk"], &["reservations:read_all", "reservations:check_in"])
}

pub fn admin() -> Identity {
    let all = bazaar_events::permissions::default_permissions("admin").expect("admin");
    Identity { permissions: all, ..identity(&["admin"], &[]) }
}

/// The `field`s of a 422 problem's errors.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

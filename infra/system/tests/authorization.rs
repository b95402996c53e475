//! The authorization matrix: every route of the API document called as every principal of
//! `authorization.txt` against the whole system (in process, against moto), each answer
//! checked against the committed table. A route the document has and the table lacks (or a
//! row naming no route) fails the test, so a new route cannot ship without its row.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bazaar_system::api::{claims, room_open_all_week, zone_with_room_today};
use bazaar_system::{Api, System, SystemOptions, eventually, system::ADMIN_EMAIL, system::ADMIN_PASSWORD};
use chrono::{DurationRound, FixedOffset, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SETTLE: Duration = Duration::from_secs(60);
const PASSWORD: &str = "matrix password 42";
const TABLE: &str = include_str!("authorization.txt");

/// The columns of the table, in order.
const PRINCIPALS: [&str; 8] =
    ["admin", "owner", "front_desk", "customer", "auditor", "no_role", "stranger", "anonymous"];

/// The read-only role: every permission that only reads.
const READ_ONLY: [&str; 6] =
    ["users:read", "orders:read_all", "payments:read_all", "reservations:read_all", "reports:read", "reports:read_all"];

/// A signed-in user of the matrix.
#[derive(Debug, Clone)]
struct Principal {
    email: String,
    id: String,
    access: String,
}

/// One request of a cell.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    headers: Vec<(String, String)>,
}

impl Call {
    fn new(method: Method, path: impl Into<String>) -> Call {
        Call { method, path: path.into(), body: None, headers: Vec::new() }
    }

    fn get(path: impl Into<String>) -> Call {
        Call::new(Method::GET, path)
    }

    fn post(path: impl Into<String>, body: Value) -> Call {
        Call::new(Method::POST, path).json(body)
    }

    fn json(mut self, body: Value) -> Call {
        self.body = Some(body);
        self
    }

    /// With a fresh `Idempotency-Key`.
    fn once(mut self) -> Call {
        self.headers.push(("idempotency-key".into(), uuid::Uuid::new_v4().to_string()));
        self
    }
}

/// The system, its principals and the data the rows act on.
struct World {
    sys: System,
    admin: String,
    principals: BTreeMap<&'static str, Principal>,
    /// olga's product and resource, cora's order (and its payment) and booking.
    product: String,
    resource: String,
    order: String,
    payment: String,
    booking: String,
    /// A custom role the role rows act on.
    role: String,
    /// A fixed-offset zone where today still has room for a slot in two hours, and its name.
    zone: (&'static str, FixedOffset),
    /// Distinct slots for bookings: the n-th booking takes the n-th hour of a day ahead.
    slots: AtomicU32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_answers_every_principal_as_the_table_says() {
    let table = parse(TABLE);
    let documented: BTreeSet<String> =
        bazaar_system::openapi::operations().iter().map(|op| op.id().to_owned()).collect();
    let rows: BTreeSet<String> = table.keys().map(|row| operation_of(row).to_owned()).collect();
    let missing: Vec<&String> = documented.difference(&rows).collect();
    let unknown: Vec<&String> = rows.difference(&documented).collect();
    assert!(missing.is_empty(), "routes without a row in authorization.txt: {missing:?}");
    assert!(unknown.is_empty(), "rows of authorization.txt that name no route: {unknown:?}");

    let world = World::start().await;
    let mut wrong = Vec::new();
    for (row, expected) in &table {
        for (principal, want) in PRINCIPALS.iter().zip(expected) {
            let call = world.call(row, principal).await.unwrap_or_else(|e| panic!("{row} as {principal}: {e:#}"));
            let token = world.token(principal);
            let headers: Vec<(&str, &str)> = call.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let reply = world
                .sys
                .api
                .send(call.method.clone(), &call.path, token.as_deref(), call.body.as_ref(), &headers)
                .await
                .expect("sent");
            if reply.status.as_u16() != *want {
                wrong.push(format!(
                    "{row} as {principal}: {} {} answered {}, the table says {want}: {}",
                    call.method, call.path, reply.status, reply.body
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells differ from authorization.txt:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn the_table_parses_into_one_status_per_principal() {
    let table = parse(TABLE);
    assert!(table.len() > 50, "{} rows", table.len());
    assert!(table.values().all(|statuses| statuses.len() == PRINCIPALS.len()));
    assert_eq!(table["getOrder"], vec![200, 404, 404, 200, 200, 404, 404, 401]);
    assert_eq!(operation_of("listOrders?all=true"), "listOrders");
    assert_eq!(operation_of("putTemplate:security"), "putTemplate");
}

/// Rows of the table: the row's name and its statuses, in the order of [`PRINCIPALS`].
fn parse(text: &str) -> BTreeMap<String, Vec<u16>> {
    let mut rows = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut fields = line.split_whitespace();
        let name = fields.next().expect("a row name").to_owned();
        let statuses: Vec<u16> =
            fields.map(|f| f.parse().unwrap_or_else(|_| panic!("{line}: {f} is no status"))).collect();
        assert_eq!(statuses.len(), PRINCIPALS.len(), "{line}: one status per principal");
        assert!(rows.insert(name.clone(), statuses).is_none(), "{name} twice");
    }
    rows
}

/// `listOrders?all=true` → `listOrders`, `putTemplate:security` → `putTemplate`.
fn operation_of(row: &str) -> &str {
    row.split(['?', ':']).next().unwrap_or(row)
}

fn ok(reply: &bazaar_system::Reply, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(reply.status.is_success(), "{what}: {} {}", reply.status, reply.body);
    Ok(())
}

fn id_of(reply: &bazaar_system::Reply) -> String {
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

impl World {
    async fn start() -> World {
        let options = SystemOptions::default()
            .with("PaymentProviderMode", "manual")
            // Every cell that cancels gets its own order or booking: room for all of them.
            .with("OpenOrdersPerCustomer", "100")
            .with("PendingReservationsPerCustomer", "100");
        let sys = System::start(options).await.expect("system");
        let api = &sys.api;
        let admin = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("admin");
        let auditor_role = json!({ "name": "auditor", "permissions": READ_ONLY, "description": "Reads everything" });
        ok(&api.post("/roles", Some(&admin), &auditor_role).await.expect("role"), "auditor role").expect("created");

        let mut principals = BTreeMap::new();
        for (name, grant, revoke) in [
            ("owner", &["owner"][..], &["customer"][..]),
            ("front_desk", &["front_desk"], &["customer"]),
            ("customer", &[], &[]),
            ("auditor", &["auditor"], &["customer"]),
            ("no_role", &[], &["customer"]),
            ("stranger", &["owner"], &[]),
        ] {
            principals.insert(name, Principal::with_roles(api, &admin, grant, revoke).await);
        }
        let (olga, cora) = (principals["owner"].clone(), principals["customer"].clone());

        let body = product_body("Matrix lamp");
        let product = api.post("/products", Some(&olga.access), &body).await.expect("product");
        ok(&product, "olga's product").expect("created");
        let product = id_of(&product);
        let zone = zone_with_room_today();
        let room = room_open_all_week("Matrix room", "UTC", 60, 2500);
        let resource = api.post("/resources", Some(&olga.access), &room).await.expect("resource");
        ok(&resource, "olga's resource").expect("created");
        let resource = id_of(&resource);
        let role = format!("r{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let created =
            api.post("/roles", Some(&admin), &json!({ "name": role, "permissions": [] })).await.expect("role");
        ok(&created, "the target role").expect("created");

        let mut world = World {
            sys,
            admin,
            principals,
            product,
            resource,
            order: String::new(),
            payment: String::new(),
            booking: String::new(),
            role,
            zone,
            slots: AtomicU32::new(0),
        };
        let (order, payment) = world.open_order(&cora).await.expect("cora's order");
        world.order = order;
        world.payment = payment;
        world.booking = world.booking_of(&cora).await.expect("cora's booking");
        world
    }

    fn token(&self, principal: &str) -> Option<String> {
        match principal {
            "anonymous" => None,
            "admin" => Some(self.admin.clone()),
            name => Some(self.principals[name].access.clone()),
        }
    }

    fn cora(&self) -> &Principal {
        &self.principals["customer"]
    }

    fn olga(&self) -> &Principal {
        &self.principals["owner"]
    }

    /// An order of `who` for olga's product whose payment exists and is PENDING (payments
    /// wait for the provider): (order id, payment id).
    async fn open_order(&self, who: &Principal) -> anyhow::Result<(String, String)> {
        let api = &self.sys.api;
        let placed = eventually(SETTLE, "the product orderable", || async {
            let reply = api.place_order(&who.access, &[(&self.product, 1)]).await?;
            Ok((reply.status == StatusCode::CREATED).then_some(reply))
        })
        .await?;
        let (order, payment) = (id_of(&placed), placed.body["payment_id"].as_str().unwrap_or_default().to_owned());
        api.status_of(&format!("/payments/{payment}"), &who.access, &["PENDING"], SETTLE).await?;
        Ok((order, payment))
    }

    /// The body of a booking of the next free hour of olga's resource, a week ahead.
    fn next_slot(&self, resource: &str) -> Value {
        let n = self.slots.fetch_add(1, Ordering::SeqCst);
        let day = (Utc::now() + chrono::Duration::days(7 + i64::from(n / 20))).date_naive();
        let start = day.and_hms_opt(2 + n % 20, 0, 0).expect("hour").and_utc();
        json!({ "resource_id": resource, "start": start.to_rfc3339(), "end": (start + chrono::Duration::hours(1)).to_rfc3339() })
    }

    /// A PENDING booking of `who` on olga's resource; its id.
    async fn booking_of(&self, who: &Principal) -> anyhow::Result<String> {
        let reply = self.sys.api.reserve(&who.access, &self.next_slot(&self.resource)).await?;
        ok(&reply, "a booking")?;
        Ok(id_of(&reply))
    }

    /// A CONFIRMED booking of cora for two hours from now, on a resource of olga's open
    /// today (in a zone where today has room): checkable in today. Its id.
    async fn confirmed_today(&self) -> anyhow::Result<String> {
        let api = &self.sys.api;
        let room = room_open_all_week("Matrix desk", self.zone.0, 60, 1500);
        let resource = api.post("/resources", Some(&self.olga().access), &room).await?;
        ok(&resource, "a resource for today")?;
        let start = Utc::now().duration_trunc(chrono::Duration::hours(1))? + chrono::Duration::hours(2);
        let body = json!({
            "resource_id": id_of(&resource), "start": start.to_rfc3339(),
            "end": (start + chrono::Duration::hours(1)).to_rfc3339(),
        });
        let booked = api.reserve(&self.cora().access, &body).await?;
        ok(&booked, "a booking for today")?;
        let id = id_of(&booked);
        let payment = booked.body["payment_id"].as_str().unwrap_or_default().to_owned();
        api.status_of(&format!("/payments/{payment}"), &self.cora().access, &["PENDING"], SETTLE).await?;
        // The operator settles it (the provider's part, in manual mode).
        ok(&api.post(&format!("/payments/{payment}/complete"), Some(&self.admin), &json!({})).await?, "settled")?;
        api.status_of(&format!("/reservations/{id}"), &self.cora().access, &["CONFIRMED"], SETTLE).await?;
        Ok(id)
    }

    /// A fresh session of `who` (or, for anonymous, of cora): its refresh token.
    async fn refresh_token_of(&self, principal: &str) -> anyhow::Result<String> {
        let email = match principal {
            "admin" => ADMIN_EMAIL.to_owned(),
            "anonymous" => self.cora().email.clone(),
            name => self.principals[name].email.clone(),
        };
        let password = if principal == "admin" { ADMIN_PASSWORD } else { PASSWORD };
        let reply = self.sys.api.post("/auth/login", None, &json!({ "email": email, "password": password })).await?;
        ok(&reply, "login")?;
        Ok(reply.body["refresh_token"].as_str().unwrap_or_default().to_owned())
    }

    /// The request of `row` as `principal`, with fresh data where the row changes what it
    /// acts on.
    async fn call(&self, row: &str, principal: &str) -> anyhow::Result<Call> {
        let api = &self.sys.api;
        let today = Utc::now().date_naive().to_string();
        let cora = self.cora().id.clone();
        Ok(match row {
            "health" => Call::get("/health"),
            "getJwks" => Call::get("/.well-known/jwks.json"),
            "getOpenIdConfiguration" => Call::get("/.well-known/openid-configuration"),
            "getOpenApiDocument" => Call::get("/openapi.json"),
            "getApiDocs" => Call::get("/docs"),
            "registerUser" => {
                let email = format!("new-{}@example.com", uuid::Uuid::new_v4().simple());
                Call::post("/auth/register", json!({ "email": email, "password": PASSWORD }))
            }
            "login" => {
                let (email, password) = match principal {
                    "admin" => (ADMIN_EMAIL.to_owned(), ADMIN_PASSWORD),
                    "anonymous" => (self.cora().email.clone(), PASSWORD),
                    name => (self.principals[name].email.clone(), PASSWORD),
                };
                Call::post("/auth/login", json!({ "email": email, "password": password }))
            }
            "refreshToken" => {
                Call::post("/auth/refresh", json!({ "refresh_token": self.refresh_token_of(principal).await? }))
            }
            "logout" => Call::post("/auth/logout", json!({ "refresh_token": self.refresh_token_of(principal).await? })),
            "forgotPassword" => {
                let email = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
                Call::post("/auth/password/forgot", json!({ "email": email }))
            }
            "verifyEmail" => Call::post("/auth/email/verify", json!({ "token": "not-a-token" })),
            "requestEmailVerification" => Call::post("/auth/email/verification", json!({})),
            "verifyPhone" => Call::post("/notifications/preferences/phone/verify", json!({ "code": "123456" })),
            "putTemplate:security" => Call::new(Method::PUT, "/notifications/templates/password_reset").json(json!({
                "subject": "Reset your password", "text": "Open {{ reset_url }} before {{ expires_at }}.",
            })),
            "resetPassword" => {
                Call::post("/auth/password/reset", json!({ "token": "not-a-token", "password": "another password 43" }))
            }
            "paymentWebhook" => Call::post(
                "/payments/webhook",
                json!({ "event_id": "evt_matrix", "payment_id": self.payment, "outcome": "succeeded" }),
            ),
            "listProducts" => Call::get("/products"),
            "getProduct" => Call::get(format!("/products/{}", self.product)),
            "listResources" => Call::get("/resources"),
            "getResource" => Call::get(format!("/resources/{}", self.resource)),
            "getAvailability" => Call::get(format!("/resources/{}/availability?date={today}", self.resource)),

            "getMe" => Call::get("/auth/me"),
            "getUser" => Call::get(format!("/auth/users/{cora}")),

            "listNotifications" => Call::get("/notifications"),
            "getPreferences" => Call::get("/notifications/preferences"),
            "putPreferences" => {
                Call::new(Method::PUT, "/notifications/preferences").json(json!({ "email": true, "sms": false }))
            }
            "getTemplate" => Call::get("/notifications/templates/order_confirmation"),
            "putTemplate" => Call::new(Method::PUT, "/notifications/templates/order_confirmation").json(json!({
                "subject": "Your order {{ order_id }}", "text": "Thank you for order {{ order_id }}.",
            })),

            "listOrders" => Call::get("/orders"),
            "listOrders?all=true" => Call::get("/orders?all=true"),
            "placeOrder" => {
                Call::post("/orders", json!({ "lines": [{ "product_id": self.product, "quantity": 1 }] })).once()
            }
            "getOrder" => Call::get(format!("/orders/{}", self.order)),
            "cancelOrder" => {
                let (order, _) = self.open_order(self.cora()).await?;
                Call::post(format!("/orders/{order}/cancel"), json!({}))
            }

            "getPayment" => Call::get(format!("/payments/{}", self.payment)),
            "cancelPayment" => {
                let (_, payment) = self.open_order(self.cora()).await?;
                Call::post(format!("/payments/{payment}/cancel"), json!({}))
            }
            "completePayment" => {
                let (_, payment) = self.open_order(self.cora()).await?;
                Call::post(format!("/payments/{payment}/complete"), json!({}))
            }

            "createProduct" => Call::post("/products", product_body("A new lamp")),
            "updateProduct" => {
                Call::new(Method::PATCH, format!("/products/{}", self.product)).json(json!({ "name": "Matrix lamp" }))
            }
            "putStock" => {
                Call::new(Method::PUT, format!("/products/{}/stock", self.product)).json(json!({ "quantity": 1000 }))
            }
            "deleteProduct" => {
                let created = api.post("/products", Some(&self.olga().access), &product_body("Doomed lamp")).await?;
                ok(&created, "a product to delete")?;
                Call::new(Method::DELETE, format!("/products/{}", id_of(&created)))
            }

            "listRoles" => Call::get("/roles"),
            "createRole" => {
                let name = format!("r{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
                Call::post("/roles", json!({ "name": name, "permissions": [] }))
            }
            "updateRole" => Call::new(Method::PUT, format!("/roles/{}", self.role)).json(json!({ "permissions": [] })),
            "deleteRole" => {
                let name = format!("r{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
                ok(
                    &api.post("/roles", Some(&self.admin), &json!({ "name": name, "permissions": [] })).await?,
                    "a role",
                )?;
                Call::new(Method::DELETE, format!("/roles/{name}"))
            }
            "getUserRoles" => Call::get(format!("/users/{cora}/roles")),
            "grantUserRole" => Call::new(Method::PUT, format!("/users/{cora}/roles/{}", self.role)),
            "revokeUserRole" => {
                let granted = api
                    .send(Method::PUT, &format!("/users/{cora}/roles/{}", self.role), Some(&self.admin), None, &[])
                    .await?;
                ok(&granted, "the role to revoke")?;
                Call::new(Method::DELETE, format!("/users/{cora}/roles/{}", self.role))
            }

            "getSalesReport" => Call::get(format!("/reports/sales?from={today}&to={today}")),
            "getBookingsReport" => Call::get(format!("/reports/bookings?from={today}&to={today}")),

            "listReservations" => Call::get("/reservations"),
            "listReservations?scope=owned" => Call::get("/reservations?scope=owned"),
            "listReservations?scope=all" => Call::get(format!("/reservations?scope=all&date={today}")),
            "createReservation" => Call::post("/reservations", self.next_slot(&self.resource)).once(),
            "getReservation" => Call::get(format!("/reservations/{}", self.booking)),
            "cancelReservation" => {
                let booking = self.booking_of(self.cora()).await?;
                Call::post(format!("/reservations/{booking}/cancel"), json!({}))
            }
            "checkInReservation" => {
                let booking = self.confirmed_today().await?;
                Call::post(format!("/reservations/{booking}/check-in"), json!({}))
            }
            "createResource" => Call::post("/resources", room_open_all_week("A new room", "UTC", 60, 2500)),
            "updateResource" => {
                Call::new(Method::PATCH, format!("/resources/{}", self.resource)).json(json!({ "name": "Matrix room" }))
            }
            other => anyhow::bail!("authorization.rs has no request for the row {other}: add one"),
        })
    }
}

fn product_body(name: &str) -> Value {
    json!({
        "name": name, "description": "for the matrix", "category": "tests",
        "price": { "amount_minor": 1000, "currency": "EUR" }, "stock": 1000,
    })
}

impl Principal {
    /// A new user whose roles become `customer` (what registration gives) plus `grant`
    /// minus `revoke`, with an access token that carries exactly those roles.
    async fn with_roles(api: &Api, admin: &str, grant: &[&str], revoke: &[&str]) -> Principal {
        let email = format!("m-{}@example.com", uuid::Uuid::new_v4().simple());
        let registered = api.post("/auth/register", None, &json!({ "email": email, "password": PASSWORD })).await;
        ok(&registered.expect("register"), "register").expect("registered");
        let access = api.login(&email, PASSWORD).await.expect("login");
        let id = api.get("/auth/me", Some(&access)).await.expect("me").body["id"].as_str().expect("id").to_owned();
        let mut roles: BTreeSet<&str> = BTreeSet::from(["customer"]);
        for (method, role) in grant.iter().map(|r| (Method::PUT, *r)).chain(revoke.iter().map(|r| (Method::DELETE, *r)))
        {
            let path = format!("/users/{id}/roles/{role}");
            // The permissions service learns of the user from UserRegistered, asynchronously.
            eventually(SETTLE, &format!("{method} {path}"), || async {
                let reply = api.send(method.clone(), &path, Some(admin), None, &[]).await?;
                match reply.status {
                    StatusCode::OK => Ok(Some(())),
                    StatusCode::NOT_FOUND => Ok(None),
                    other => anyhow::bail!("{other} {}", reply.body),
                }
            })
            .await
            .expect("role changed");
            if method == Method::PUT {
                roles.insert(role);
            } else {
                roles.remove(role);
            }
        }
        // Auth learns of the change through UserRolesChanged: log in until the token has it.
        let want: Vec<&str> = roles.into_iter().collect();
        let access = eventually(SETTLE, &format!("a token with roles {want:?}"), || async {
            let access = api.login(&email, PASSWORD).await?;
            let held: Vec<String> = serde_json::from_value(claims(&access)?["roles"].clone()).unwrap_or_default();
            let mut held: Vec<&str> = held.iter().map(String::as_str).collect();
            held.sort_unstable();
            Ok((held == want).then_some(access))
        })
        .await
        .expect("token");
        Principal { email, id, access }
    }
}

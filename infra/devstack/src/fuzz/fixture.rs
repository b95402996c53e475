//! The fuzz run's [`Fixture`], seeded through the API as the admin before schemathesis starts.

use anyhow::{Context as _, bail};
use chrono::{DateTime, Duration, FixedOffset, TimeZone as _, Timelike as _, Utc};
use serde_json::{Value, json};

use super::Fixture;

pub async fn seed(http: &reqwest::Client, api: &str, token: &str) -> anyhow::Result<Fixture> {
    let user_email = format!("fuzz-{}@bazaar.local", uuid::Uuid::new_v4().simple());
    let user_password = format!("fuzz-{}-7", uuid::Uuid::new_v4().simple());
    let account = json!({ "email": user_email, "password": user_password });
    call(http.post(format!("{api}/auth/register")).json(&account), "registering the fuzz account").await?;
    let user_token = crate::seed::login(http, api, &user_email, &user_password).await?;
    let product_id = product(http, api, token).await?;
    let [open_order, to_complete, to_cancel] = orders(http, api, token, &product_id).await?;
    let payments_wait = open_order.status == "AWAITING_PAYMENT";
    let (resource_id, offset) = resource(http, api, token).await?;
    let now = Utc::now().with_timezone(&offset);
    let slot = offset
        .from_local_datetime(&(now.date_naive() + Duration::days(2)).and_hms_opt(0, 0, 0).context("midnight")?)
        .single()
        .context("a fixed offset is never ambiguous")?;
    let (slot_start, slot_end) = (slot.to_rfc3339(), (slot + Duration::hours(1)).to_rfc3339());

    // Later today, in hours of its own: a payment the simulated provider declines ends a
    // reservation, so the next hour is tried.
    let next_hour = now.date_naive().and_hms_opt(now.hour() + 1, 0, 0).context("an hour")?;
    let mut start = offset.from_local_datetime(&next_hour).single().context("a fixed offset")?;
    let mut confirmed = Vec::new();
    for _ in 0..6 {
        confirmed.extend(confirmed_reservation(http, api, token, &resource_id, start).await?);
        if let [check_in, cancel] = &confirmed[..] {
            let (check_in, cancel) = (check_in.clone(), cancel.clone());
            return Ok(Fixture {
                user_email,
                user_password,
                user_token,
                product_id,
                open_order: open_order.id,
                payment_to_complete: to_complete.payment_id,
                payment_to_cancel: to_cancel.payment_id,
                payments_wait,
                resource_id,
                slot_start,
                slot_end,
                check_in,
                cancel,
            });
        }
        start += Duration::hours(1);
    }
    bail!("fewer than two reservations of the fuzz resource were confirmed in six tries")
}

/// A product with all the stock there is, once orders know it: an order of it is placed
/// (and cancelled) as soon as its `ProductChanged` reached them.
async fn product(http: &reqwest::Client, api: &str, token: &str) -> anyhow::Result<String> {
    let product = json!({
        "name": "Fuzz stock", "category": "fuzz", "stock": 1_000_000_000,
        "price": { "amount_minor": 100, "currency": "EUR" },
    });
    let product = call(admin(http.post(format!("{api}/products")), token).json(&product), "creating the fuzz product");
    let id = string(&product.await?, "id")?;
    let order = json!({ "lines": [{ "product_id": id, "quantity": 1 }] });
    for _ in 0..60 {
        let key = uuid::Uuid::new_v4().to_string();
        let request = admin(http.post(format!("{api}/orders")), token).header("idempotency-key", key).json(&order);
        let placed = request.send().await.context("ordering the fuzz product")?;
        if placed.status() == reqwest::StatusCode::CREATED {
            let order: Value = placed.json().await.context("reading the order")?;
            let cancel = admin(http.post(format!("{api}/orders/{}/cancel", string(&order, "id")?)), token);
            let _ = cancel.send().await.context("cancelling the fuzz product's order")?;
            return Ok(id);
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    bail!("orders did not learn of the fuzz product {id} within 15 s")
}

/// An order as the fixture needs it.
struct Placed {
    id: String,
    payment_id: String,
    /// Where the saga left it: `AWAITING_PAYMENT` with a provider that leaves payments
    /// PENDING, `PAID` (or `CANCELLED`, declined) with the simulated one.
    status: String,
}

/// Three orders of the fuzz product, each once the saga is done with it, and (where it waits
/// for its payment) once its payment exists.
async fn orders(http: &reqwest::Client, api: &str, token: &str, product_id: &str) -> anyhow::Result<[Placed; 3]> {
    let body = json!({ "lines": [{ "product_id": product_id, "quantity": 1 }] });
    let mut placed = Vec::new();
    for _ in 0..3 {
        let key = uuid::Uuid::new_v4().to_string();
        let request = admin(http.post(format!("{api}/orders")), token).header("idempotency-key", key).json(&body);
        let order = call(request, "ordering the fuzz product").await?;
        let (id, payment_id) = (string(&order, "id")?, string(&order, "payment_id")?);
        let mut status = string(&order, "status")?;
        for _ in 0..60 {
            if status != "PENDING" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            status = string(
                &call(admin(http.get(format!("{api}/orders/{id}")), token), "reading an order").await?,
                "status",
            )?;
        }
        if status == "AWAITING_PAYMENT" {
            for _ in 0..60 {
                let payment = admin(http.get(format!("{api}/payments/{payment_id}")), token).send().await;
                if payment.context("reading a payment")?.status().is_success() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        }
        placed.push(Placed { id, payment_id, status });
    }
    placed.try_into().map_err(|_| anyhow::anyhow!("three orders"))
}

/// A resource open all day every day, in the zone where it is about noon now (so that a
/// slot later today always exists), and that zone's offset.
async fn resource(http: &reqwest::Client, api: &str, token: &str) -> anyhow::Result<(String, FixedOffset)> {
    let offset_hours = 12 - i32::try_from(Utc::now().hour()).unwrap_or(12);
    let zone = match offset_hours {
        0 => "Etc/GMT".to_owned(),
        // Etc/GMT's signs are POSIX's: Etc/GMT-5 is five hours ahead of UTC.
        h if h > 0 => format!("Etc/GMT-{h}"),
        h => format!("Etc/GMT+{}", -h),
    };
    let all_day = json!([{ "open": "00:00", "close": "24:00" }]);
    let resource = json!({
        "name": "Fuzz room", "kind": "room", "time_zone": zone, "slot_minutes": 60,
        "opening_hours": { "mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day,
                           "fri": all_day, "sat": all_day, "sun": all_day },
        "price_per_slot": { "amount_minor": 1000, "currency": "EUR" },
    });
    let created =
        call(admin(http.post(format!("{api}/resources")), token).json(&resource), "creating the fuzz resource");
    let id = string(&created.await?, "id")?;
    Ok((id, FixedOffset::east_opt(offset_hours * 3600).context("an offset within a day")?))
}

/// Books `[start, start + 1 h)` and waits for it to be CONFIRMED (paying it where the
/// provider leaves payments PENDING); `None` when its payment failed.
async fn confirmed_reservation(
    http: &reqwest::Client,
    api: &str,
    token: &str,
    resource_id: &str,
    start: DateTime<FixedOffset>,
) -> anyhow::Result<Option<String>> {
    let end = start + Duration::hours(1);
    let body = json!({ "resource_id": resource_id, "start": start.to_rfc3339(), "end": end.to_rfc3339() });
    let key = uuid::Uuid::new_v4().to_string();
    let request = admin(http.post(format!("{api}/reservations")), token).header("idempotency-key", key).json(&body);
    let reservation = call(request, "booking a reservation of the fuzz resource").await?;
    let id = string(&reservation, "id")?;
    let payment = string(&reservation, "payment_id")?;
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let now = call(admin(http.get(format!("{api}/reservations/{id}")), token), "reading the reservation").await?;
        match now["status"].as_str() {
            Some("CONFIRMED") => return Ok(Some(id)),
            Some("PENDING") => {
                // Sandbox and manual providers leave the payment to the payer or an operator;
                // until the payment exists this is a 404, and a settled one a 409.
                let pay = admin(http.post(format!("{api}/payments/{payment}/complete")), token);
                let _ = pay.send().await.context("paying the reservation")?;
            }
            _ => return Ok(None),
        }
    }
    bail!("the reservation {id} was not confirmed within 15 s")
}

fn admin(request: reqwest::RequestBuilder, token: &str) -> reqwest::RequestBuilder {
    request.bearer_auth(token)
}

async fn call(request: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
    crate::web::json(request, what).await
}

fn string(value: &Value, field: &str) -> anyhow::Result<String> {
    value[field].as_str().map(str::to_owned).with_context(|| format!("no {field} in {value}"))
}

//! The orders use cases, one function each, over the store. Handlers parse the request or
//! the message, call one of these, and render the result.

use bazaar_aws::cursor::CursorKey;
use bazaar_aws::quota::Admission;
use bazaar_aws::table::Write;
use bazaar_events::Envelope;
use bazaar_events::orders::{OrderCancelled, OrderPaid, OrderPlaced};
use bazaar_events::payments::payment_id_for_order;
use bazaar_runtime::metrics::{self, Metric};
use bazaar_runtime::{Action, Identity, Owner};
use chrono::Utc;
use serde::Serialize;

use crate::machine::{Trigger, next_status};
use crate::model::{IdempotencyRecord, timestamp};
use crate::place::{self, PlaceLimits, PlaceRequest};
use crate::store::{Scope, StatusChange, Transition};
use crate::{Order, OrderStatus, OrderView, OrdersError, OrdersStore};

/// Seeing an order: its customer, or a holder of `orders:read_all`.
pub const READ: Action = Action::read(Owner::Allowed, "orders:read_all");
/// Cancelling an open order: its customer, or a holder of `orders:cancel_any` (reading every
/// order is not enough).
pub const CANCEL: Action = Action::act(Owner::Allowed, "orders:cancel_any");
/// Who may list every order.
pub const READ_ALL: &str = READ.any;

/// How often a status change (or a placement) is retried when a concurrent change got there first.
const TRANSITION_ATTEMPTS: usize = 5;

/// Whether `identity` may see `order` ([`READ`]). Everyone else is told the order does not exist.
pub fn visible(order: &Order, identity: &Identity) -> bool {
    identity.may(&READ, &order.customer_id)
}

/// The result of `POST /orders`: the order, and whether it was replayed from an earlier
/// request with the same key.
#[derive(Debug)]
pub struct Placed {
    pub order: Order,
    pub replayed: bool,
}

/// Places an order once per `(caller, key)`. The same key with the same body answers with
/// the order it created; with another body it is refused. An order within `limits` (422
/// otherwise) takes one of the customer's open-order slots in the same transaction (429 when
/// they hold as many open orders as they may).
pub async fn place_order(
    store: &OrdersStore,
    limits: &PlaceLimits,
    identity: &Identity,
    key: &str,
    req: &PlaceRequest,
    correlation_id: &str,
) -> Result<Placed, OrdersError> {
    let hash = bazaar_aws::idempotency::body_hash(req);
    // Concurrent orders of one customer may pick the same free open-order slot: the loser
    // tries again at once, with another one.
    let attempts = TRANSITION_ATTEMPTS + 2 * limits.open_orders as usize;
    for _ in 0..attempts {
        if let Some(placed) = replay(store, identity, key, &hash).await? {
            return Ok(placed);
        }
        let lines = place::validate(req)?;
        limits.check(&lines)?;
        let ids: Vec<String> = lines.iter().map(|l| l.product_id.clone()).collect();
        let products = store.products(&ids).await?;
        let (lines, total) = place::price(&lines, &products)?;
        let (order, record, event) = new_order(identity, lines, total, &hash, correlation_id);
        let now = Utc::now().timestamp();
        let slot = match store
            .open_orders(limits.open_orders)
            .admit(&identity.sub, &order.id, now + limits.open_seconds, now)
            .await?
        {
            Admission::Slot(slot) => *slot,
            Admission::Full { retry_after } => {
                return Err(OrdersError::TooManyOpen { open: limits.open_orders, retry_after });
            }
        };
        if store.place(&order, key, &record, store.event(&event)?, slot).await? {
            metrics::count(Metric::OrdersPlaced, 1);
            tracing::info!(order_id = %order.id, lines = order.lines.len(), "order placed");
            return Ok(Placed { order, replayed: false });
        }
        // A concurrent request with the same key won (or got in the way): answer as it did.
    }
    Err(OrdersError::Conflict("a concurrent request with this Idempotency-Key is in progress; retry".into()))
}

fn new_order(
    identity: &Identity,
    lines: Vec<bazaar_events::orders::OrderLine>,
    total: bazaar_events::Money,
    hash: &str,
    correlation_id: &str,
) -> (Order, IdempotencyRecord, Envelope<OrderPlaced>) {
    let now = Utc::now();
    let id = uuid::Uuid::new_v4().to_string();
    let order = Order {
        payment_id: payment_id_for_order(&id),
        id,
        status: OrderStatus::Pending,
        customer_id: identity.sub.clone(),
        customer_email: identity.email.clone(),
        lines,
        total,
        created_at: timestamp(now),
        updated_at: timestamp(now),
        status_reason: None,
    };
    let record = IdempotencyRecord {
        body_hash: hash.to_owned(),
        order_id: order.id.clone(),
        expires_at: now.timestamp() + place::KEY_RETENTION_SECONDS,
    };
    let event = Envelope::new(
        OrderPlaced {
            order_id: order.id.clone(),
            customer_id: order.customer_id.clone(),
            customer_email: order.customer_email.clone(),
            lines: order.lines.clone(),
            total: order.total.clone(),
            placed_at: now,
        },
        correlation_id,
    );
    (order, record, event)
}

async fn replay(
    store: &OrdersStore,
    identity: &Identity,
    key: &str,
    hash: &str,
) -> Result<Option<Placed>, OrdersError> {
    let Some(record) = store.idempotency(&identity.sub, key).await? else {
        return Ok(None);
    };
    if record.body_hash != hash {
        return Err(OrdersError::IdempotencyKeyReused);
    }
    let order = store
        .order(&record.order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("idempotency record points at a missing order {}", record.order_id))?;
    tracing::info!(order_id = %order.id, "order replayed for a repeated idempotency key");
    Ok(Some(Placed { order, replayed: true }))
}

/// The order `id` if `identity` may see it, else `NotFound`.
pub async fn get_order(store: &OrdersStore, identity: &Identity, id: &str) -> Result<Order, OrdersError> {
    store.order(id).await?.filter(|o| visible(o, identity)).ok_or(OrdersError::NotFound)
}

/// Cancels an order on the request of whoever [`CANCEL`] lets (404 for whoever may not see
/// it, 403 for a reader who may not cancel it): only while it is PENDING
/// or AWAITING_PAYMENT (409 otherwise: a PAID order is kept, never refunded here); emits
/// `OrderCancelled(customer_request)`, on which payments fails or refunds the payment, so a
/// cancelled order is never charged.
pub async fn cancel_order(
    store: &OrdersStore,
    identity: &Identity,
    id: &str,
    correlation_id: &str,
) -> Result<Order, OrdersError> {
    for _ in 0..TRANSITION_ATTEMPTS {
        let order = store.order(id).await?.ok_or(OrdersError::NotFound)?;
        if !identity.may(&CANCEL, &order.customer_id) {
            return Err(if visible(&order, identity) { OrdersError::Forbidden } else { OrdersError::NotFound });
        }
        let Some(to) = next_status(order.status, Trigger::CustomerCancel) else {
            return Err(OrdersError::Conflict(match order.status {
                OrderStatus::Paid => "a PAID order cannot be cancelled: it is paid for and being fulfilled".into(),
                status => format!("an order that is {} cannot be cancelled", status.as_str()),
            }));
        };
        match move_order(store, &order, to, Trigger::CustomerCancel, None, correlation_id).await? {
            (Transition::Applied, Some(updated)) => {
                tracing::info!(order_id = %id, "order cancelled by request");
                return Ok(updated);
            }
            _ => continue,
        }
    }
    Err(OrdersError::Conflict("the order changed concurrently; try again".into()))
}

/// What a consumer did with an event for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The order moved to this status.
    Moved(OrderStatus),
    /// The event does not apply to the order's current status (or the order is unknown).
    Ignored,
    /// This event was applied before (redelivery).
    AlreadyProcessed,
}

/// Applies a saga event to an order exactly once: a conditional status change, the inbox
/// marker of (`consumer`, `event_id`) and the resulting event in one transaction. Events
/// that do not apply are acknowledged without effect.
pub async fn apply_event(
    store: &OrdersStore,
    consumer: &str,
    order_id: &str,
    trigger: Trigger,
    event_id: &str,
    correlation_id: &str,
) -> anyhow::Result<Applied> {
    for _ in 0..TRANSITION_ATTEMPTS {
        let Some(order) = store.order(order_id).await? else {
            tracing::info!(order_id, ?trigger, "event for an unknown order ignored");
            return Ok(Applied::Ignored);
        };
        let Some(to) = next_status(order.status, trigger) else {
            tracing::info!(order_id, ?trigger, status = order.status.as_str(), "event does not apply; ignored");
            return Ok(Applied::Ignored);
        };
        let marker = store.inbox_mark(consumer, event_id)?;
        match move_order(store, &order, to, trigger, Some(marker), correlation_id).await?.0 {
            Transition::Applied => {
                tracing::info!(order_id, from = order.status.as_str(), to = to.as_str(), "order moved");
                return Ok(Applied::Moved(to));
            }
            Transition::AlreadyProcessed => {
                tracing::info!(order_id, "event already processed");
                return Ok(Applied::AlreadyProcessed);
            }
            Transition::StatusChanged => continue,
        }
    }
    anyhow::bail!("order {order_id} kept changing concurrently; the message will be retried")
}

/// One conditional move of `order` to `to` with the event it causes; the moved order when applied.
async fn move_order(
    store: &OrdersStore,
    order: &Order,
    to: OrderStatus,
    trigger: Trigger,
    marker: Option<Write>,
    correlation_id: &str,
) -> anyhow::Result<(Transition, Option<Order>)> {
    let now = timestamp(Utc::now());
    let mut moved = order.clone();
    moved.status = to;
    moved.updated_at = now.clone();
    let reason = trigger.status_reason();
    if reason.is_some() {
        moved.status_reason = reason.clone();
    }
    let event = resulting_event(store, &moved, trigger, correlation_id)?;
    let change =
        StatusChange { order_id: &order.id, from: order.status, to, reason: reason.as_deref(), updated_at: &now };
    let outcome = store.transition(&change, marker, event).await?;
    if outcome == Transition::Applied && !to.is_open() && order.status.is_open() {
        // Best effort: a slot not given back frees itself when the order's hold would have expired.
        if let Err(e) = store.release_open(&order.customer_id, &order.id).await {
            tracing::warn!(order_id = %order.id, error = format!("{e:#}"), "open-order slot not released");
        }
    }
    if outcome == Transition::Applied {
        match to {
            OrderStatus::Paid => metrics::count(Metric::OrdersPaid, 1),
            OrderStatus::Cancelled => metrics::count(Metric::OrdersCancelled, 1),
            OrderStatus::Rejected => metrics::count(Metric::OrdersRejected, 1),
            OrderStatus::Pending | OrderStatus::AwaitingPayment => {}
        }
    }
    Ok((outcome, (outcome == Transition::Applied).then_some(moved)))
}

/// The event a move announces: `OrderPaid` on PAID, `OrderCancelled` when the order ends
/// unpaid, nothing for AWAITING_PAYMENT.
fn resulting_event(
    store: &OrdersStore,
    order: &Order,
    trigger: Trigger,
    correlation_id: &str,
) -> anyhow::Result<Option<Write>> {
    let item = match (order.status, trigger.cancel_reason()) {
        (OrderStatus::Paid, _) => store.event(&Envelope::new(
            OrderPaid {
                order_id: order.id.clone(),
                customer_id: order.customer_id.clone(),
                customer_email: order.customer_email.clone(),
                payment_id: order.payment_id.clone(),
                lines: order.lines.clone(),
                total: order.total.clone(),
            },
            correlation_id,
        ))?,
        (OrderStatus::Cancelled | OrderStatus::Rejected, Some(reason)) => store.event(&Envelope::new(
            OrderCancelled {
                order_id: order.id.clone(),
                customer_id: order.customer_id.clone(),
                customer_email: order.customer_email.clone(),
                reason,
                total: order.total.clone(),
            },
            correlation_id,
        ))?,
        _ => return Ok(None),
    };
    Ok(Some(item))
}

/// A page of orders, newest first; `next_cursor` is null on the last page.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "OrderPage")]
pub struct Page {
    pub items: Vec<OrderView>,
    pub next_cursor: Option<String>,
}

/// Lists `scope`'s orders, newest first. A cursor that was not sealed by `cursors`, or was
/// sealed for another listing, is a 400.
pub async fn list_orders(
    store: &OrdersStore,
    cursors: &CursorKey,
    scope: &Scope,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page, OrdersError> {
    let (attr, value) = scope.partition();
    let start = cursors
        .open_scoped(cursor, |key| bazaar_aws::dynamo::string(key, attr) == Some(value.as_str()))
        .map_err(|e| OrdersError::BadRequest(e.to_string()))?;
    let (orders, last) = store.list(scope, limit, start).await?;
    let next_cursor = last.map(|k| cursors.seal(&k)).transpose()?;
    Ok(Page { items: orders.iter().map(OrderView::from).collect(), next_cursor })
}

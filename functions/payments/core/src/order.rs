//! Payments of orders that end unpaid. `OrderCancelled` (whatever its reason) settles the
//! order's payment as every cancellation is settled ([`crate::cancellation`]): a PENDING
//! payment fails, a SUCCEEDED one is always refunded (a cancelled order is never kept paid),
//! and when `StockReserved` has not reached payments yet a tombstone makes sure it never
//! creates a payment. Each event applies exactly once.

use bazaar_events::Envelope;
use bazaar_events::orders::OrderCancelled;
use bazaar_events::payments::Cancellation;
use chrono::{DateTime, Utc};

use crate::PaymentsStore;
use crate::cancellation::{self, CancelRequest, Cancelled};

/// The inbox name of `payments-on-order`.
pub const ON_ORDER_CONSUMER: &str = "payments-on-order";

/// `OrderCancelled` → the order's payment ends with nothing charged or everything refunded,
/// and `CancellationSettled` tells the customer which.
pub async fn on_order_cancelled(
    store: &PaymentsStore,
    event: &Envelope<OrderCancelled>,
    now: DateTime<Utc>,
) -> anyhow::Result<Cancelled> {
    let order = &event.data;
    let request = CancelRequest::new(
        ON_ORDER_CONSUMER,
        event,
        &order.customer_id,
        &order.total,
        true,
        Cancellation::Order(order.clone()),
    );
    cancellation::settle_cancellation(store, &request, now).await
}

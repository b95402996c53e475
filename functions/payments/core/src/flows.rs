//! The payments use cases, one function each, over the store. Handlers parse the request
//! or message, call one of these, and render the result.

use bazaar_aws::table::Write;
use bazaar_events::catalog::StockReserved;
use bazaar_events::payments::{PaymentFailed, PaymentSucceeded, Subject};
use bazaar_events::{Envelope, Money};
use bazaar_runtime::metrics::{self, Metric};
use bazaar_runtime::{Action, Identity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{CANCEL, COMPLETE, COMPLETE_IN_SANDBOX, Settlement, reasons};
use crate::settings::{ProviderMode, ProviderSettings};
use crate::store::{SettleWrite, WEBHOOK_RETENTION_SECONDS, WebhookRecord};
use crate::{Payment, PaymentError, PaymentStatus, PaymentsStore, simulate};

/// The inbox name of `payments-on-stock`.
pub const ON_STOCK_CONSUMER: &str = "payments-on-stock";

/// Payment, order and reservation ids are uuids; anything much longer cannot exist (and
/// would be an invalid key).
pub(crate) const MAX_ID_LEN: usize = 128;

/// The longest webhook `event_id` and `provider_ref` accepted, and the longest `reason`.
const MAX_TOKEN_LEN: usize = 200;
const MAX_REASON_LEN: usize = 64;

/// The event a settlement emits, as an outbox transaction item.
fn settlement_event(
    store: &PaymentsStore,
    payment: &Payment,
    settlement: &Settlement,
    correlation_id: &str,
) -> anyhow::Result<Write> {
    match settlement {
        Settlement::Succeeded { provider_ref } => store.event(&Envelope::new(
            PaymentSucceeded {
                payment_id: payment.payment_id.clone(),
                subject: payment.subject.clone(),
                customer_id: payment.payer.clone(),
                amount: payment.amount.clone(),
                provider_ref: provider_ref.clone(),
            },
            correlation_id,
        )),
        Settlement::Failed { reason } => store.event(&Envelope::new(
            PaymentFailed {
                payment_id: payment.payment_id.clone(),
                subject: payment.subject.clone(),
                customer_id: payment.payer.clone(),
                amount: payment.amount.clone(),
                reason: reason.clone(),
            },
            correlation_id,
        )),
    }
}

/// Counts a payment that reached `status` (a created PENDING one counts nothing yet).
pub(crate) fn count_status(status: PaymentStatus) {
    match status {
        PaymentStatus::Succeeded => metrics::count(Metric::PaymentsSucceeded, 1),
        PaymentStatus::Failed => metrics::count(Metric::PaymentsFailed, 1),
        PaymentStatus::Refunded => metrics::count(Metric::PaymentsRefunded, 1),
        PaymentStatus::Pending => {}
    }
}

/// What handling one `StockReserved` or `ReservationRequested` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// The subject's payment was created (and, when simulated, settled).
    Created(Box<Payment>),
    /// The event, or the subject's payment (or its tombstone), was seen before: nothing changed.
    AlreadyProcessed,
}

/// A payment to create for an order or a reservation, from the event that asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub subject: Subject,
    pub payer: String,
    pub amount: Money,
    pub hold_expires_at: DateTime<Utc>,
}

/// The subject's payment, created once per subject (its id is `subject.payment_id()`), with
/// `consumer`'s inbox marker of `event`. Simulated mode settles it in the same transaction
/// (with its event); manual mode leaves it PENDING. When the hold expired already (the
/// event was in flight too long) the payment fails at once with reason `expired`, so it can
/// never succeed for something that is no longer held.
pub async fn create_payment<T: bazaar_events::Event>(
    store: &PaymentsStore,
    settings: &ProviderSettings,
    consumer: &str,
    event: &Envelope<T>,
    new: NewPayment,
    now: DateTime<Utc>,
) -> anyhow::Result<Created> {
    let subject = &new.subject;
    anyhow::ensure!(!subject.id.is_empty() && subject.id.len() <= MAX_ID_LEN, "invalid {} id", subject.kind.as_str());
    anyhow::ensure!(new.amount.amount_minor >= 0, "negative amount for {} {}", subject.kind.as_str(), subject.id);
    let payment = Payment {
        payment_id: subject.payment_id(),
        subject: new.subject.clone(),
        payer: new.payer,
        status: PaymentStatus::Pending,
        amount: new.amount,
        created_at: now,
        updated_at: now,
        hold_expires_at: new.hold_expires_at,
        provider_ref: None,
        failure_reason: None,
        refund_ref: None,
    };
    let settlement = if now >= payment.hold_expires_at {
        Some(Settlement::Failed { reason: reasons::EXPIRED.to_owned() })
    } else {
        match settings.mode {
            ProviderMode::Sandbox | ProviderMode::Manual => None,
            ProviderMode::Simulated => {
                Some(if simulate::succeeds(settings.success_rate, settings.seed.as_deref(), &simulate::key(subject)) {
                    Settlement::Succeeded { provider_ref: simulate::provider_ref(&payment.payment_id) }
                } else {
                    Settlement::Failed { reason: reasons::DECLINED.to_owned() }
                })
            }
        }
    };
    let correlation_id = &event.metadata.correlation_id;
    let (payment, outbox) = match settlement {
        Some(settlement) => {
            let settled = settlement.apply(&payment, now);
            let item = settlement_event(store, &settled, &settlement, correlation_id)?;
            (settled, Some(item))
        }
        None => (payment, None),
    };
    let marker = store.inbox_mark(consumer, &event.metadata.event_id.to_string())?;
    if store.create(&payment, Some(marker), outbox.into_iter().collect()).await? {
        count_status(payment.status);
        tracing::info!(
            payment_id = %payment.payment_id,
            subject_kind = payment.subject.kind.as_str(),
            subject_id = %payment.subject.id,
            status = %payment.status,
            "payment created"
        );
        Ok(Created::Created(Box::new(payment)))
    } else {
        tracing::info!(subject_kind = subject.kind.as_str(), subject_id = %subject.id, "payment exists already; nothing to do");
        Ok(Created::AlreadyProcessed)
    }
}

/// `StockReserved` → the order's payment; its hold expiry is the stock hold's.
pub async fn on_stock_reserved(
    store: &PaymentsStore,
    settings: &ProviderSettings,
    event: &Envelope<StockReserved>,
    now: DateTime<Utc>,
) -> anyhow::Result<Created> {
    let data = &event.data;
    let new = NewPayment {
        subject: Subject::order(data.order_id.clone()),
        payer: data.customer_id.clone(),
        amount: data.total.clone(),
        hold_expires_at: data.hold_expires_at,
    };
    create_payment(store, settings, ON_STOCK_CONSUMER, event, new, now).await
}

/// The payment `payment_id` if `identity` may see it; NotFound otherwise.
pub async fn visible_payment(
    store: &PaymentsStore,
    payment_id: &str,
    identity: &Identity,
) -> Result<Payment, PaymentError> {
    if payment_id.is_empty() || payment_id.len() > MAX_ID_LEN {
        return Err(PaymentError::NotFound);
    }
    store.payment(payment_id).await?.filter(|p| p.visible_to(identity)).ok_or(PaymentError::NotFound)
}

/// What settling a PENDING payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Applied(Payment),
    /// A success came after the window closed: the payment was failed as `expired`.
    Expired(Payment),
    NotPending(PaymentStatus),
    /// The marker given was recorded before: this change was applied already.
    Duplicate,
}

/// Applies `settlement` to a PENDING payment, conditionally, with its event and `extra`
/// events (and, for a webhook or a consumer, the marker of what caused it). A success after
/// the window closed becomes a failure `expired`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn settle(
    store: &PaymentsStore,
    payment: &Payment,
    settlement: Settlement,
    marker: Option<Write>,
    extra: Vec<Write>,
    correlation_id: &str,
    now: DateTime<Utc>,
    window_seconds: Option<i64>,
) -> Result<Settled, PaymentError> {
    if payment.status != PaymentStatus::Pending {
        return Ok(Settled::NotPending(payment.status));
    }
    let expired = matches!(settlement, Settlement::Succeeded { .. })
        && window_seconds.is_some_and(|window| payment.window_closed(now, window));
    let settlement = if expired { Settlement::Failed { reason: reasons::EXPIRED.to_owned() } } else { settlement };
    let next = settlement.apply(payment, now);
    let mut events = vec![settlement_event(store, &next, &settlement, correlation_id)?];
    events.extend(extra);
    match store.transition(&next, PaymentStatus::Pending, events, marker).await? {
        SettleWrite::Applied if expired => {
            count_status(next.status);
            tracing::info!(payment_id = %next.payment_id, "payment window closed: payment failed as expired");
            Ok(Settled::Expired(next))
        }
        SettleWrite::Applied => {
            count_status(next.status);
            tracing::info!(payment_id = %next.payment_id, status = %next.status, "payment settled");
            Ok(Settled::Applied(next))
        }
        SettleWrite::Duplicate => Ok(Settled::Duplicate),
        SettleWrite::NotPending => {
            let status = store.payment(&payment.payment_id).await?.map_or(PaymentStatus::Failed, |p| p.status);
            Ok(Settled::NotPending(status))
        }
    }
}

/// Who may complete a pending payment in provider `mode`: [`COMPLETE_IN_SANDBOX`] (its payer
/// too) in a sandbox mode, [`COMPLETE`] (operators only) with a real provider.
pub fn complete_action(mode: ProviderMode) -> Action {
    if mode.is_sandbox() { COMPLETE_IN_SANDBOX } else { COMPLETE }
}

/// `POST /payments/{id}/complete`: whoever [`complete_action`] lets in provider `mode` pays a
/// PENDING payment. 409 when not PENDING, and 409 `payment-expired` after the window closed.
#[allow(clippy::too_many_arguments)]
pub async fn complete(
    store: &PaymentsStore,
    mode: ProviderMode,
    window_seconds: i64,
    payment_id: &str,
    identity: &Identity,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> Result<Payment, PaymentError> {
    let paid = |p: &Payment| {
        let by = if identity.sub == p.payer && mode.is_sandbox() { "sandbox" } else { "operator" };
        Settlement::Succeeded { provider_ref: format!("{by}_{}", p.payment_id.replace('-', "")) }
    };
    let action = complete_action(mode);
    settle_by_caller(store, payment_id, identity, &action, paid, correlation_id, now, Some(window_seconds)).await
}

/// `POST /payments/{id}/cancel`: the payer (or an operator, [`CANCEL`]) gives up; PENDING →
/// FAILED `cancelled_by_payer`.
pub async fn cancel(
    store: &PaymentsStore,
    payment_id: &str,
    identity: &Identity,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> Result<Payment, PaymentError> {
    let given_up = |_: &Payment| Settlement::Failed { reason: reasons::CANCELLED_BY_PAYER.to_owned() };
    // A failure is never turned into `expired`: the window does not matter here.
    settle_by_caller(store, payment_id, identity, &CANCEL, given_up, correlation_id, now, None).await
}

/// Settles the payment `payment_id` on the request of one `action` lets (so without a
/// marker): 404 for whoever may not see it, 403 for whoever sees it but may not do this, 409
/// when it is not PENDING, and 409 `payment-expired` when a success came after the window (of
/// `window_seconds`, when given) closed.
#[allow(clippy::too_many_arguments)]
async fn settle_by_caller(
    store: &PaymentsStore,
    payment_id: &str,
    identity: &Identity,
    action: &Action,
    settlement: impl FnOnce(&Payment) -> Settlement,
    correlation_id: &str,
    now: DateTime<Utc>,
    window_seconds: Option<i64>,
) -> Result<Payment, PaymentError> {
    if payment_id.is_empty() || payment_id.len() > MAX_ID_LEN {
        return Err(PaymentError::NotFound);
    }
    let payment = store.payment(payment_id).await?.ok_or(PaymentError::NotFound)?;
    if !identity.may(action, &payment.payer) {
        return Err(if payment.visible_to(identity) { PaymentError::Forbidden } else { PaymentError::NotFound });
    }
    let settlement = settlement(&payment);
    match settle(store, &payment, settlement, None, vec![], correlation_id, now, window_seconds).await? {
        Settled::Applied(p) => Ok(p),
        Settled::Expired(_) => Err(PaymentError::Expired),
        Settled::NotPending(status) => Err(PaymentError::NotPending(status)),
        Settled::Duplicate => Err(anyhow::anyhow!("a duplicate without a marker").into()),
    }
}

/// What the provider reports about a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "PaymentWebhookOutcome")]
pub enum WebhookOutcome {
    Succeeded,
    Failed,
}

/// The body the provider posts to `POST /payments/webhook` (unknown fields are ignored:
/// providers add fields over time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "PaymentWebhookNotice")]
pub struct WebhookNotice {
    /// The provider's id of this notification: applied once, a repeat is a `duplicate`.
    #[schemars(pattern(format!("^[!-~]{{1,{MAX_TOKEN_LEN}}}$")))]
    pub event_id: String,
    #[schemars(pattern(format!("^[!-~]{{1,{MAX_ID_LEN}}}$")))]
    pub payment_id: String,
    pub outcome: WebhookOutcome,
    /// The provider's reference of the charge (the `event_id` when absent).
    #[serde(default)]
    #[schemars(pattern(format!("^[!-~]{{1,{MAX_TOKEN_LEN}}}$")))]
    pub provider_ref: Option<String>,
    /// Why it failed, a snake_case code (`declined` when absent).
    #[serde(default)]
    #[schemars(pattern(format!("^[a-z0-9_]{{1,{MAX_REASON_LEN}}}$")))]
    pub reason: Option<String>,
}

impl WebhookNotice {
    fn validate(&self) -> Result<(), PaymentError> {
        let invalid = |field, message: &str| PaymentError::Invalid { field, message: message.to_owned() };
        let token = |v: &str, max: usize| !v.is_empty() && v.len() <= max && v.chars().all(|c| c.is_ascii_graphic());
        if !token(&self.event_id, MAX_TOKEN_LEN) {
            return Err(invalid("event_id", "must be 1 to 200 visible ASCII characters"));
        }
        if !token(&self.payment_id, MAX_ID_LEN) {
            return Err(invalid("payment_id", "must be a payment id"));
        }
        if self.provider_ref.as_deref().is_some_and(|r| !token(r, MAX_TOKEN_LEN)) {
            return Err(invalid("provider_ref", "must be 1 to 200 visible ASCII characters"));
        }
        let slug = |r: &str| {
            !r.is_empty()
                && r.len() <= MAX_REASON_LEN
                && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if self.reason.as_deref().is_some_and(|r| !slug(r)) {
            return Err(invalid("reason", "must be a snake_case code of at most 64 characters"));
        }
        Ok(())
    }

    fn settlement(&self) -> Settlement {
        match self.outcome {
            WebhookOutcome::Succeeded => Settlement::Succeeded {
                provider_ref: self.provider_ref.clone().unwrap_or_else(|| self.event_id.clone()),
            },
            WebhookOutcome::Failed => {
                Settlement::Failed { reason: self.reason.clone().unwrap_or_else(|| reasons::DECLINED.to_owned()) }
            }
        }
    }
}

/// What the webhook answers (always 200: the provider must stop retrying).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
#[schemars(rename = "PaymentWebhookReply")]
pub enum WebhookReply {
    /// The notification settled the payment.
    Applied { payment_status: PaymentStatus },
    /// This event id was applied before; nothing changed.
    Duplicate,
    /// The payment was no longer PENDING (settled by the payer, another notification or
    /// the window); nothing changed.
    Ignored { payment_status: PaymentStatus },
    /// A success after the payment window closed: the payment was failed as `expired`.
    Expired,
}

/// Applies a verified provider notification once per event id.
pub async fn webhook(
    store: &PaymentsStore,
    window_seconds: i64,
    notice: &WebhookNotice,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> Result<WebhookReply, PaymentError> {
    notice.validate()?;
    if store.webhook_seen(&notice.event_id).await? {
        tracing::info!(webhook_event_id = %notice.event_id, "webhook redelivered; already applied");
        return Ok(WebhookReply::Duplicate);
    }
    let payment = store.payment(&notice.payment_id).await?.ok_or(PaymentError::NotFound)?;
    let record = WebhookRecord {
        event_id: notice.event_id.clone(),
        payment_id: payment.payment_id.clone(),
        outcome: serde_json::to_value(notice.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        received_at: now,
        expires_at: now.timestamp() + WEBHOOK_RETENTION_SECONDS,
    };
    Ok(
        match settle(
            store,
            &payment,
            notice.settlement(),
            Some(store.webhook_marker(&record)?),
            vec![],
            correlation_id,
            now,
            Some(window_seconds),
        )
        .await?
        {
            Settled::Applied(p) => WebhookReply::Applied { payment_status: p.status },
            Settled::Expired(_) => WebhookReply::Expired,
            Settled::NotPending(status) => {
                tracing::info!(payment_id = %payment.payment_id, %status, "webhook for a settled payment ignored");
                WebhookReply::Ignored { payment_status: status }
            }
            Settled::Duplicate => WebhookReply::Duplicate,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(json: serde_json::Value) -> WebhookNotice {
        serde_json::from_value(json).expect("notice")
    }

    #[test]
    fn a_notice_validates_its_fields() {
        let ok =
            notice(serde_json::json!({"event_id": "evt_1", "payment_id": "p", "outcome": "succeeded", "extra": 1}));
        assert!(ok.validate().is_ok());
        assert_eq!(ok.settlement(), Settlement::Succeeded { provider_ref: "evt_1".into() });
        let failed = notice(serde_json::json!({"event_id": "e", "payment_id": "p", "outcome": "failed"}));
        assert_eq!(failed.settlement(), Settlement::Failed { reason: "declined".into() });
        for bad in [
            serde_json::json!({"event_id": "", "payment_id": "p", "outcome": "failed"}),
            serde_json::json!({"event_id": "e e", "payment_id": "p", "outcome": "failed"}),
            serde_json::json!({"event_id": "e", "payment_id": "x".repeat(200), "outcome": "failed"}),
            serde_json::json!({"event_id": "e", "payment_id": "p", "outcome": "failed", "reason": "Card Declined"}),
        ] {
            assert!(matches!(notice(bad.clone()).validate(), Err(PaymentError::Invalid { .. })), "{bad}");
        }
        assert!(
            serde_json::from_value::<WebhookNotice>(
                serde_json::json!({"event_id": "e", "payment_id": "p", "outcome": "maybe"})
            )
            .is_err()
        );
    }

    #[test]
    fn webhook_replies_have_a_status_tag() {
        let applied =
            serde_json::to_value(WebhookReply::Applied { payment_status: PaymentStatus::Succeeded }).expect("json");
        assert_eq!(applied, serde_json::json!({"status": "applied", "payment_status": "SUCCEEDED"}));
        assert_eq!(
            serde_json::to_value(WebhookReply::Duplicate).expect("json"),
            serde_json::json!({"status": "duplicate"})
        );
        assert_eq!(
            serde_json::to_value(WebhookReply::Expired).expect("json"),
            serde_json::json!({"status": "expired"})
        );
    }
}

//! A payment (one per order or reservation) and its wire shape.

use bazaar_events::Money;
use bazaar_events::payments::{Subject, SubjectKind};
use bazaar_runtime::{Action, Identity, Owner};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who may read any payment (and change none).
pub const READ_ALL: &str = "payments:read_all";
/// Who may settle any pending payment by hand, completing or failing it: an operator
/// reconciling with the provider. Only admins hold it among the built-in roles.
pub const SETTLE: &str = "payments:settle";

/// Seeing a payment: its payer, or a holder of `payments:read_all`.
pub const READ: Action = Action::read(Owner::Allowed, READ_ALL);
/// Abandoning a pending payment: its payer, or an operator holding `payments:settle`.
pub const CANCEL: Action = Action::act(Owner::Allowed, SETTLE);
/// Completing a pending payment in a sandbox provider mode: its payer (a simulated checkout),
/// or an operator.
pub const COMPLETE_IN_SANDBOX: Action = Action::act(Owner::Allowed, SETTLE);
/// Completing a pending payment with a real provider: only an operator. The payer pays at the
/// provider, whose signed webhook settles the payment; nobody pays by saying so.
pub const COMPLETE: Action = Action::act(Owner::Never, SETTLE);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    /// Waiting for the provider's webhook (or, in the sandbox mode, the payer).
    Pending,
    Succeeded,
    Failed,
    /// It had succeeded and was refunded in full (a paid reservation was cancelled).
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "PENDING",
            PaymentStatus::Succeeded => "SUCCEEDED",
            PaymentStatus::Failed => "FAILED",
            PaymentStatus::Refunded => "REFUNDED",
        }
    }
}

impl std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The transaction of one order or reservation, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Always `subject.payment_id()`.
    pub payment_id: String,
    /// What the payment pays for.
    pub subject: Subject,
    /// The customer who placed the order or booked the reservation.
    pub payer: String,
    pub status: PaymentStatus,
    pub amount: Money,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When what is paid for stops being held: the order's stock hold (`StockReserved`)
    /// or the pending reservation (`ReservationRequested.expires_at`). No success after it.
    pub hold_expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The provider's reference of the refund, once REFUNDED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_ref: Option<String>,
}

impl Payment {
    /// [`READ`]: the payer, or a holder of `payments:read_all`. Anyone else must not learn
    /// that the payment exists (404).
    pub fn visible_to(&self, identity: &Identity) -> bool {
        identity.may(&READ, &self.payer)
    }

    /// The instant after which this payment can no longer succeed. An order's: `window_seconds`
    /// (`PAYMENT_WINDOW_SECONDS`, the stock hold TTL) after creation, and never after the stock
    /// hold itself expires (the event may have reached payments late). A reservation's: when
    /// the reservation expires; the reservations service sets that deadline, not this window.
    pub fn pay_by(&self, window_seconds: i64) -> DateTime<Utc> {
        if self.subject.kind == SubjectKind::Reservation {
            return self.hold_expires_at;
        }
        chrono::Duration::try_seconds(window_seconds)
            .and_then(|window| self.created_at.checked_add_signed(window))
            .map_or(self.hold_expires_at, |end| end.min(self.hold_expires_at))
    }

    /// Whether the payment window has closed at `now`.
    pub fn window_closed(&self, now: DateTime<Utc>, window_seconds: i64) -> bool {
        now >= self.pay_by(window_seconds)
    }
}

/// `GET /payments/{id}` and friends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Payment")]
pub struct PaymentView {
    pub id: String,
    /// `{"kind": "order" | "reservation", "id": …}`.
    pub subject: Subject,
    pub status: PaymentStatus,
    pub amount: Money,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_ref: Option<String>,
}

impl From<&Payment> for PaymentView {
    fn from(p: &Payment) -> Self {
        PaymentView {
            id: p.payment_id.clone(),
            subject: p.subject.clone(),
            status: p.status,
            amount: p.amount.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            provider_ref: p.provider_ref.clone(),
            failure_reason: p.failure_reason.clone(),
            refund_ref: p.refund_ref.clone(),
        }
    }
}

/// How a PENDING payment ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Succeeded { provider_ref: String },
    Failed { reason: String },
}

impl Settlement {
    pub fn status(&self) -> PaymentStatus {
        match self {
            Settlement::Succeeded { .. } => PaymentStatus::Succeeded,
            Settlement::Failed { .. } => PaymentStatus::Failed,
        }
    }

    /// The payment after this settlement (the store writes the same change conditionally).
    pub fn apply(&self, payment: &Payment, now: DateTime<Utc>) -> Payment {
        let mut next = payment.clone();
        next.status = self.status();
        next.updated_at = now;
        match self {
            Settlement::Succeeded { provider_ref } => next.provider_ref = Some(provider_ref.clone()),
            Settlement::Failed { reason } => next.failure_reason = Some(reason.clone()),
        }
        next
    }
}

/// Machine-readable failure reasons.
pub mod reasons {
    pub const DECLINED: &str = "declined";
    pub const CANCELLED_BY_PAYER: &str = "cancelled_by_payer";
    pub const EXPIRED: &str = "expired";
    /// What was paid for was cancelled while the payment was PENDING (or before it existed).
    pub const CANCELLED: &str = "cancelled";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment() -> Payment {
        let now = Utc::now();
        Payment {
            payment_id: "p1".into(),
            subject: Subject::order("o1"),
            payer: "u1".into(),
            status: PaymentStatus::Pending,
            amount: Money::new(1250, "EUR"),
            created_at: now,
            updated_at: now,
            hold_expires_at: now + chrono::Duration::seconds(600),
            provider_ref: None,
            failure_reason: None,
            refund_ref: None,
        }
    }

    fn identity(sub: &str, permissions: &[&str]) -> Identity {
        Identity {
            sub: sub.into(),
            email: String::new(),
            roles: vec![],
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn only_the_payer_or_a_reader_of_all_payments_sees_a_payment() {
        let p = payment();
        assert!(p.visible_to(&identity("u1", &[])));
        assert!(p.visible_to(&identity("admin", &[READ_ALL])));
        assert!(!p.visible_to(&identity("u2", &["orders:read_all"])));
    }

    #[test]
    fn the_window_closes_after_the_window_or_at_the_hold_expiry_whichever_is_first() {
        let p = payment();
        let at = |s: i64| p.created_at + chrono::Duration::seconds(s);
        assert!(!p.window_closed(at(299), 300));
        assert!(p.window_closed(at(300), 300));
        assert!(!p.window_closed(at(599), 900));
        assert!(p.window_closed(at(600), 900), "the hold expired first");
    }

    #[test]
    fn a_reservation_payment_may_succeed_until_the_reservation_expires() {
        let p = Payment { subject: Subject::reservation("r1"), ..payment() };
        let at = |s: i64| p.created_at + chrono::Duration::seconds(s);
        assert!(!p.window_closed(at(599), 300), "the order window does not apply");
        assert!(p.window_closed(at(600), 300));
    }

    #[test]
    fn a_settlement_sets_status_and_its_detail() {
        let p = payment();
        let later = p.created_at + chrono::Duration::seconds(5);
        let ok = Settlement::Succeeded { provider_ref: "ref".into() }.apply(&p, later);
        assert_eq!(
            (ok.status, ok.provider_ref.as_deref(), ok.updated_at),
            (PaymentStatus::Succeeded, Some("ref"), later)
        );
        let failed = Settlement::Failed { reason: reasons::DECLINED.into() }.apply(&p, later);
        assert_eq!((failed.status, failed.failure_reason.as_deref()), (PaymentStatus::Failed, Some("declined")));
    }

    #[test]
    fn the_view_has_the_documented_fields() {
        let json = serde_json::to_value(PaymentView::from(&payment())).expect("json");
        assert_eq!(json["id"], "p1");
        assert_eq!(json["subject"], serde_json::json!({"kind": "order", "id": "o1"}));
        assert!(json.get("order_id").is_none());
        assert_eq!(json["status"], "PENDING");
        assert_eq!(json["amount"]["amount_minor"], 1250);
        assert!(json.get("provider_ref").is_none());
        assert!(json.get("payer").is_none());
        assert!(json["created_at"].is_string());
    }
}

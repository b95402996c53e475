//! The payments table (single-table design). Items:
//! `PAYMENT#<payment_id>/PAYMENT` the transaction of one order or reservation (a
//! reservation cancelled before its payment existed leaves a FAILED one, its tombstone) ·
//! `WEBHOOK#<event_id>/WEBHOOK`
//! a provider notification already applied · `PROCESSED#…` inbox markers ·
//! `OUTBOX#<event_id>/EVENT` events for the publisher.

use bazaar_aws::dynamo::{keyed, s};
use bazaar_aws::table::Write;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Payment, PaymentStatus};

/// Webhook markers outlive any provider's redelivery schedule (days, not weeks).
pub const WEBHOOK_RETENTION_SECONDS: i64 = 30 * 24 * 3600;

fn payment_pk(payment_id: &str) -> String {
    format!("PAYMENT#{payment_id}")
}

fn webhook_pk(event_id: &str) -> String {
    format!("WEBHOOK#{event_id}")
}

/// A provider notification that changed a payment, kept so a redelivery is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRecord {
    pub event_id: String,
    pub payment_id: String,
    pub outcome: String,
    pub received_at: DateTime<Utc>,
    pub expires_at: i64,
}

/// What a conditional status change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleWrite {
    Applied,
    /// The payment was no longer in the expected status when written (a concurrent change
    /// won, or it is gone).
    NotPending,
    /// The change's marker (a webhook's event id, or a consumer's inbox marker) was already
    /// recorded: this notification or event was applied before.
    Duplicate,
}

bazaar_aws::store!(
    /// The payments table, holding the items this module lists.
    pub PaymentsStore = "PAYMENTS_TABLE", outbox, table_deps
);

impl PaymentsStore {
    pub async fn payment(&self, payment_id: &str) -> anyhow::Result<Option<Payment>> {
        self.table.get_keyed(payment_pk(payment_id), "PAYMENT").await
    }

    pub async fn webhook_seen(&self, event_id: &str) -> anyhow::Result<bool> {
        Ok(self.table.get_keyed::<WebhookRecord>(webhook_pk(event_id), "WEBHOOK").await?.is_some())
    }

    /// Stores a new payment (only if its id is new) with, when given, the inbox marker of
    /// the event that caused it and its own events, in one transaction. `false`: the payment
    /// or the marker existed already, so nothing was written.
    pub async fn create(
        &self,
        payment: &Payment,
        inbox_marker: Option<Write>,
        events: Vec<Write>,
    ) -> anyhow::Result<bool> {
        let item = keyed(payment_pk(&payment.payment_id), "PAYMENT", payment)?;
        let mut items = vec![self.table.put_new(item)?];
        let guarded = if inbox_marker.is_some() { 2 } else { 1 };
        items.extend(inbox_marker);
        items.extend(events);
        match self.table.commit(items).await {
            Ok(()) => Ok(true),
            Err(e) if (0..guarded).any(|i| e.condition_failed_at(i)) => Ok(false),
            Err(e) => Err(e.context("creating payment")),
        }
    }

    /// The marker that records a provider notification as applied (fails the transaction
    /// when it was applied before).
    pub fn webhook_marker(&self, record: &WebhookRecord) -> anyhow::Result<Write> {
        self.table.put_new(keyed(webhook_pk(&record.event_id), "WEBHOOK", record)?)
    }

    /// Writes `next` only if the stored payment is still in status `from`, with its events
    /// and, when given, the marker of what caused the change (a webhook's or an inbox
    /// marker), in one transaction.
    pub async fn transition(
        &self,
        next: &Payment,
        from: PaymentStatus,
        events: Vec<Write>,
        marker: Option<Write>,
    ) -> anyhow::Result<SettleWrite> {
        let put = self
            .table
            .put_with(keyed(payment_pk(&next.payment_id), "PAYMENT", next)?)
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(from.as_str()))
            .build()?;
        self.guarded(Write::from(put), marker, events).await
    }

    /// Records `marker` with `events` while the payment `payment_id` is still in `status`,
    /// changing nothing else: an event acted on a payment that had ended already.
    pub async fn acknowledge(
        &self,
        payment_id: &str,
        status: PaymentStatus,
        marker: Write,
        events: Vec<Write>,
    ) -> anyhow::Result<SettleWrite> {
        let check = self
            .table
            .check(payment_pk(payment_id), "PAYMENT")
            .condition_expression("#status = :status")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status.as_str()))
            .build()?;
        self.guarded(Write::from(check), Some(marker), events).await
    }

    /// One transaction of `guard` (a status condition on the payment), the marker and the
    /// events, read back as what a conditional status change did.
    async fn guarded(&self, guard: Write, marker: Option<Write>, events: Vec<Write>) -> anyhow::Result<SettleWrite> {
        let marked = marker.is_some();
        let mut items = vec![guard];
        items.extend(marker);
        items.extend(events);
        match self.table.commit(items).await {
            Ok(()) => Ok(SettleWrite::Applied),
            Err(e) if marked && e.condition_failed_at(1) => Ok(SettleWrite::Duplicate),
            Err(e) if e.condition_failed_at(0) => Ok(SettleWrite::NotPending),
            Err(e) => Err(e.context("changing payment")),
        }
    }
}

/// What a consumer that creates payments depends on: the table, the provider's settings and
/// when a failed message comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
/// payments-on-stock and payments-on-reservation re-export this as their `Deps`.
pub struct ProviderDeps {
    pub store: PaymentsStore,
    pub settings: crate::settings::ProviderSettings,
    pub retries: bazaar_aws::consumer::Retries,
}

impl ProviderDeps {
    pub fn new(config: &aws_types::SdkConfig, env: &bazaar_runtime::config::Env) -> anyhow::Result<ProviderDeps> {
        Ok(ProviderDeps {
            store: PaymentsStore::from_env(config, env)?,
            settings: crate::settings::ProviderSettings::from_env(env)?,
            retries: bazaar_aws::consumer::Retries::from_env(config, env)?,
        })
    }
}

//! The notifications table (single-table design). Items:
//! `TEMPLATE#<name>/TEMPLATE` a custom template · `PREFS#<user>/PREFS` preferences ·
//! `SENT#<event_id>#<channel>/SENT` the once-only marker of one send ·
//! `USER#<user>/DELIVERY#<occurred_at>#<event_id>#<channel>` the delivery log ·
//! `VERIFIED#<user>/EMAIL#<email>` an address the user verified (from `EmailVerified`) ·
//! `CAP#<user>#<channel>#<day>/CAP` the count of a user's sends of a day ([`crate::caps`]) ·
//! `PHONE#<user>/CODE` the code last texted to the user's number ([`crate::phone`]).
//!
//! Once-only sending: a send first claims its marker (a conditional put, status SENDING,
//! with a random claim token), sends, then in one transaction marks it SENT (or FAILED) and
//! appends the delivery log. A redelivered event finds SENT/FAILED and is skipped. A
//! transient send failure deletes the claim so a retry can take it at once. If the process
//! dies between the provider accepting a message and the marker update, the claim stays
//! SENDING: after [`STALE_CLAIM_SECONDS`] a redelivery may take it over and send again.
//! That is a deliberate at-least-once choice for this narrow window (a lost password-reset
//! email is worse than a rare duplicate); everywhere else delivery is exactly once.

use anyhow::Context as _;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use bazaar_aws::dynamo::{self, Item, applied, from_item, keyed, n, s, to_item};
use bazaar_aws::table::Write;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::caps::SkipReason;
use crate::phone::{MAX_ATTEMPTS, PendingCode};
use crate::prefs::Preferences;
use crate::templates::{Template, TemplateName};

/// A SENDING claim older than this may be taken over by a redelivery (see the module doc).
/// Longer than any send takes (the function times out after 10 s), shorter than the time a
/// message's five receives span under the stage's default backoff (`RetryBaseSeconds` 10:
/// the fifth comes 150 s after the first, or 200 s when the first crashed and the message
/// waited out the queue's 60 s visibility timeout), so a crashed send is retried before the
/// DLQ.
pub const STALE_CLAIM_SECONDS: i64 = 120;
/// Markers outlive any redelivery (SQS keeps a message at most 14 days).
pub const MARKER_RETENTION_SECONDS: i64 = 15 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "NotificationChannel")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "NotificationDeliveryStatus")]
pub enum DeliveryStatus {
    Sending,
    Sent,
    Failed,
    /// Not sent, on purpose and for good (the delivery's `reason` says why): never retried.
    Skipped,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sending => "SENDING",
            DeliveryStatus::Sent => "SENT",
            DeliveryStatus::Failed => "FAILED",
            DeliveryStatus::Skipped => "SKIPPED",
        }
    }
}

/// One line of a user's delivery log, as stored and as `GET /notifications` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "NotificationDelivery")]
pub struct Delivery {
    pub event_id: String,
    pub channel: Channel,
    pub template: TemplateName,
    /// Masked recipient.
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub status: DeliveryStatus,
    /// Why a `SKIPPED` delivery was not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<SkipReason>,
    pub sent_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
}

/// A page of the delivery log, newest first; `next_cursor` is null on the last page.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "NotificationPage")]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub next_cursor: Option<String>,
}

/// A custom template as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTemplate {
    #[serde(flatten)]
    pub template: Template,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredPrefs {
    #[serde(flatten)]
    prefs: Preferences,
    updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Marker {
    pk: String,
    sk: String,
    status: DeliveryStatus,
    claim_token: String,
    claimed_at: i64,
    expires_at: i64,
}

/// The right to send one (event, channel), held by whoever wrote the claim token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken {
    pk: String,
    token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Send now, then [`NotificationsStore::finish`] or [`NotificationsStore::release`].
    Acquired(ClaimToken),
    /// Already sent (or permanently failed): nothing to do.
    Done(DeliveryStatus),
    /// Another delivery of the same event is sending right now: retry later.
    Busy,
}

/// Keys and the delivery log's time format (sortable text, millisecond precision).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn template_pk(name: TemplateName) -> String {
    format!("TEMPLATE#{}", name.as_str())
}
fn prefs_pk(user_id: &str) -> String {
    format!("PREFS#{user_id}")
}
fn phone_pk(user_id: &str) -> String {
    format!("PHONE#{user_id}")
}
fn verified_pk(user_id: &str) -> String {
    format!("VERIFIED#{user_id}")
}
fn verified_sk(email: &str) -> String {
    format!("EMAIL#{email}")
}
fn marker_pk(event_id: &str, channel: Channel) -> String {
    format!("SENT#{event_id}#{}", channel.as_str())
}
/// The partition of `user_id`'s delivery log.
pub fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}
fn delivery_sk(occurred_at: DateTime<Utc>, event_id: &str, channel: Channel) -> String {
    format!("DELIVERY#{}#{event_id}#{}", timestamp(occurred_at), channel.as_str())
}

bazaar_aws::store!(
    /// The notifications table, holding the items this module lists.
    pub NotificationsStore = "NOTIFICATIONS_TABLE", table_deps
);

impl NotificationsStore {
    async fn put(&self, item: Item) -> anyhow::Result<()> {
        self.table.put_item(item).send().await.context("writing")?;
        Ok(())
    }

    pub async fn template(&self, name: TemplateName) -> anyhow::Result<Option<StoredTemplate>> {
        self.table.get(template_pk(name), "TEMPLATE").await
    }

    pub async fn put_template(
        &self,
        name: TemplateName,
        template: &Template,
        now: DateTime<Utc>,
    ) -> anyhow::Result<StoredTemplate> {
        let stored = StoredTemplate { template: template.clone(), updated_at: timestamp(now) };
        self.put(keyed(template_pk(name), "TEMPLATE", &stored)?).await?;
        Ok(stored)
    }

    /// The user's preferences, the defaults when they never set any.
    pub async fn preferences(&self, user_id: &str) -> anyhow::Result<Preferences> {
        let stored: Option<StoredPrefs> = self.table.get(prefs_pk(user_id), "PREFS").await?;
        Ok(stored.map(|p| p.prefs).unwrap_or_default())
    }

    pub async fn put_preferences(&self, user_id: &str, prefs: &Preferences, now: DateTime<Utc>) -> anyhow::Result<()> {
        let stored = StoredPrefs { prefs: prefs.clone(), updated_at: timestamp(now) };
        self.put(keyed(prefs_pk(user_id), "PREFS", &stored)?).await
    }

    /// The code last texted to `user_id`'s number, if any.
    pub async fn pending_code(&self, user_id: &str) -> anyhow::Result<Option<PendingCode>> {
        self.table.get(phone_pk(user_id), "CODE").await
    }

    /// Stores `prefs` (a number not verified yet) and the code just texted to it, at once.
    pub async fn put_preferences_with_code(
        &self,
        user_id: &str,
        prefs: &Preferences,
        code: &PendingCode,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let stored = StoredPrefs { prefs: prefs.clone(), updated_at: timestamp(now) };
        let items = vec![
            Write::from(self.table.put_with(keyed(prefs_pk(user_id), "PREFS", &stored)?).build()?),
            Write::from(self.table.put_with(keyed(phone_pk(user_id), "CODE", code)?).build()?),
        ];
        self.table.commit(items).await.map_err(|e| e.context("storing the phone number and its code"))
    }

    /// Counts an attempt at `code` (the code stored now, with attempts left): false when
    /// none is left or the code was replaced. Counted before the code is compared, so
    /// concurrent guesses never get more than [`MAX_ATTEMPTS`] between them.
    pub async fn count_code_attempt(&self, user_id: &str, code: &PendingCode) -> anyhow::Result<bool> {
        let result = self
            .table
            .update_item(phone_pk(user_id), "CODE")
            .update_expression("ADD attempts :one")
            .condition_expression("code_hash = :hash AND (attribute_not_exists(attempts) OR attempts < :max)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":hash", s(&code.code_hash))
            .expression_attribute_values(":max", n(MAX_ATTEMPTS))
            .send()
            .await;
        Ok(applied(result, "counting a code attempt")?.is_some())
    }

    /// Marks the code's number verified (while it is still the user's number) and uses up
    /// the code, at once. False when the number or the code changed meanwhile.
    pub async fn verify_phone(&self, user_id: &str, code: &PendingCode) -> anyhow::Result<bool> {
        let verify = self
            .table
            .update(prefs_pk(user_id), "PREFS")
            .update_expression("SET phone_verified = :yes")
            .condition_expression("phone_number = :number")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":number", s(&code.number))
            .build()?;
        let used = self
            .table
            .delete(phone_pk(user_id), "CODE")
            .condition_expression("code_hash = :hash")
            .expression_attribute_values(":hash", s(&code.code_hash))
            .build()?;
        match self.table.commit(vec![Write::from(verify), Write::from(used)]).await {
            Ok(()) => Ok(true),
            Err(e) if e.cancelled() => Ok(false),
            Err(e) => Err(e.context("verifying a phone number")),
        }
    }

    /// Records that `user_id` verified `email` (idempotent: the same item every time).
    pub async fn record_verified_email(&self, user_id: &str, email: &str, at: DateTime<Utc>) -> anyhow::Result<()> {
        #[derive(Serialize)]
        struct Verified<'a> {
            email: &'a str,
            verified_at: String,
        }
        let item = Verified { email, verified_at: timestamp(at) };
        self.put(keyed(verified_pk(user_id), verified_sk(email), &item)?).await
    }

    /// Whether `user_id` verified `email`.
    pub async fn is_email_verified(&self, user_id: &str, email: &str) -> anyhow::Result<bool> {
        let found: Option<serde_json::Value> = self.table.get(verified_pk(user_id), verified_sk(email)).await?;
        Ok(found.is_some())
    }

    /// Claims the send of `event_id` on `channel` (see the module doc).
    pub async fn claim(&self, event_id: &str, channel: Channel, now: DateTime<Utc>) -> anyhow::Result<Claim> {
        let pk = marker_pk(event_id, channel);
        let marker = Marker {
            pk: pk.clone(),
            sk: "SENT".to_owned(),
            status: DeliveryStatus::Sending,
            claim_token: uuid::Uuid::new_v4().to_string(),
            claimed_at: now.timestamp(),
            expires_at: now.timestamp() + MARKER_RETENTION_SECONDS,
        };
        let result = self
            .table
            .put_item(to_item(&marker)?)
            .condition_expression("attribute_not_exists(pk) OR (#status = :sending AND claimed_at < :stale)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s(DeliveryStatus::Sending.as_str()))
            .expression_attribute_values(":stale", n(now.timestamp() - STALE_CLAIM_SECONDS))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired(ClaimToken { pk, token: marker.claim_token })),
            Err(e) if dynamo::is_condition_failure(&e) => {
                let old = match e.as_service_error() {
                    Some(PutItemError::ConditionalCheckFailedException(c)) => c.item().cloned(),
                    _ => None,
                };
                let old: Option<Marker> = match old {
                    Some(item) => Some(from_item(item)?),
                    None => self.table.get(pk.clone(), "SENT").await?,
                };
                // Our own claim: the SDK retried a put whose answer was lost, and the first
                // attempt wrote it. Ours to send, not another delivery's.
                if old.as_ref().is_some_and(|m| m.claim_token == marker.claim_token) {
                    return Ok(Claim::Acquired(ClaimToken { pk, token: marker.claim_token }));
                }
                let status = old.map(|m| m.status);
                Ok(match status {
                    Some(DeliveryStatus::Sending) | None => Claim::Busy,
                    Some(done) => Claim::Done(done),
                })
            }
            // The put may have been applied with its answer lost (a timeout, the SDK's
            // retries spent): had it been, the marker is ours, and nobody else could take it
            // over for STALE_CLAIM_SECONDS. A consistent read tells.
            Err(e) => match self.table.get::<Marker>(pk.clone(), "SENT").await {
                Ok(Some(m)) if m.claim_token == marker.claim_token => {
                    Ok(Claim::Acquired(ClaimToken { pk, token: marker.claim_token }))
                }
                _ => Err(anyhow::Error::from(e).context("claiming a send")),
            },
        }
    }

    /// Records the outcome of a claimed send: the marker becomes `delivery.status` and the
    /// delivery log gains its line, in one transaction (only while the claim is still ours).
    pub async fn finish(
        &self,
        claim: &ClaimToken,
        user_id: &str,
        occurred_at: DateTime<Utc>,
        delivery: &Delivery,
    ) -> anyhow::Result<()> {
        let update = self
            .table
            .update(&claim.pk, "SENT")
            .update_expression("SET #status = :status")
            .condition_expression("claim_token = :token")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(delivery.status.as_str()))
            .expression_attribute_values(":token", s(&claim.token))
            .build()?;
        let sk = delivery_sk(occurred_at, &delivery.event_id, delivery.channel);
        let put = self.table.put_with(keyed(user_pk(user_id), sk, delivery)?).build()?;
        self.table
            .commit(vec![Write::from(update), Write::from(put)])
            .await
            .map_err(|e| e.context("recording a delivery"))
    }

    /// Gives a claim back after a transient failure, so a retry can send at once.
    pub async fn release(&self, claim: &ClaimToken) -> anyhow::Result<()> {
        let result = self
            .table
            .delete_item(&claim.pk, "SENT")
            .condition_expression("claim_token = :token")
            .expression_attribute_values(":token", s(&claim.token))
            .send()
            .await;
        // The condition failed when the claim was taken over meanwhile: no longer ours to release.
        applied(result, "releasing a claim")?;
        Ok(())
    }

    /// A page of `user_id`'s delivery log, newest first, and the key to continue after.
    pub async fn deliveries(
        &self,
        user_id: &str,
        limit: i32,
        start: Option<Item>,
    ) -> anyhow::Result<(Vec<Delivery>, Option<Item>)> {
        let query = self
            .table
            .query()
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(user_pk(user_id)))
            .expression_attribute_values(":prefix", s("DELIVERY#"))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start);
        self.table.page(query, "querying the delivery log").await
    }
}

impl NotificationsStore {
    /// Takes one send of `user_id`'s day on `channel` if fewer than `cap` were taken; false
    /// (and nothing counted) when the cap is reached.
    pub async fn take_send(
        &self,
        user_id: &str,
        channel: Channel,
        cap: u64,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        self.take(crate::caps::cap_pk(user_id, channel.as_str(), at), cap, at).await
    }

    /// Takes one of the `cap` codes a day `user_id` may have texted to their numbers.
    pub async fn take_phone_code(&self, user_id: &str, cap: u64, at: DateTime<Utc>) -> anyhow::Result<bool> {
        self.take(crate::caps::cap_pk(user_id, "phone-code", at), cap, at).await
    }

    async fn take(&self, pk: String, cap: u64, at: DateTime<Utc>) -> anyhow::Result<bool> {
        let result = self
            .table
            .update_item(pk, "CAP")
            .update_expression("ADD #count :one SET expires_at = :expires")
            .condition_expression("attribute_not_exists(#count) OR #count < :cap")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cap", n(cap))
            .expression_attribute_values(":expires", n(crate::caps::cap_expiry(at)))
            .send()
            .await;
        Ok(applied(result, "counting a send")?.is_some())
    }

    /// Gives back a send taken at `at` that was not made (the provider failed for now: its
    /// retry takes it again).
    pub async fn give_back_send(&self, user_id: &str, channel: Channel, at: DateTime<Utc>) -> anyhow::Result<()> {
        let result = self
            .table
            .update_item(crate::caps::cap_pk(user_id, channel.as_str(), at), "CAP")
            .update_expression("ADD #count :minus_one")
            .condition_expression("#count > :zero")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .send()
            .await;
        applied(result, "giving back a send")?;
        Ok(())
    }
}

/// Whether a cursor's key belongs to `user_id`'s delivery log (a cursor from another
/// list or user must not steer the query).
pub fn key_belongs_to(key: &Item, user_id: &str) -> bool {
    let is = |name: &str, f: &dyn Fn(&str) -> bool| matches!(key.get(name), Some(AttributeValue::S(v)) if f(v));
    key.len() == 2 && is("pk", &|v| v == user_pk(user_id)) && is("sk", &|v| v.starts_with("DELIVERY#"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_keys_sort_by_time() {
        let t1 = DateTime::parse_from_rfc3339("2026-11-21T09:59:59.5Z").expect("t").with_timezone(&Utc);
        let t2 = DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z").expect("t").with_timezone(&Utc);
        assert!(delivery_sk(t1, "e", Channel::Email) < delivery_sk(t2, "a", Channel::Email));
        assert_eq!(delivery_sk(t2, "e1", Channel::Sms), "DELIVERY#2026-11-21T10:00:00.000Z#e1#sms");
    }

    #[test]
    fn only_own_delivery_keys_are_accepted_as_cursors() {
        let key = |pk: &str, sk: &str| Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))]);
        assert!(key_belongs_to(&key("USER#u1", "DELIVERY#x"), "u1"));
        assert!(!key_belongs_to(&key("USER#u2", "DELIVERY#x"), "u1"));
        assert!(!key_belongs_to(&key("USER#u1", "PREFS"), "u1"));
    }
}

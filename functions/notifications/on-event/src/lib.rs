//! Consumer of UserRegistered, PasswordResetRequested, EmailVerificationRequested, OrderPaid,
//! CancellationSettled (of an order or a reservation) and the reservation confirmations and
//! reminders (and of EmailVerified, which records a verified address): renders
//! the event's template and sends it by email (SESv2) and, when the user opted in with an
//! E.164 number, by SMS (SNS), exactly once per (event, channel) — see
//! `notifications_core::store` for the claim/mark protocol and its one at-least-once window.
//!
//! A password reset's event names the reset by id: the link (its page with a token derived
//! from the id under the link key) is made here, when the email is rendered, and exists
//! nowhere else. Logs name the template, channel, event and a masked recipient; never a
//! body, a subject or the context (the link is a credential).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use bazaar_aws::consumer;
use bazaar_aws::ssm::LinkSecret;
use bazaar_runtime::config::Env;
use chrono::Utc;
use lambda_runtime::LambdaEvent;
use notifications_core::caps::{SendCaps, SkipReason};
use notifications_core::message::{Inbound, LinkPages};
use notifications_core::store::{ClaimToken, timestamp};
use notifications_core::templates::Rendered;
use notifications_core::{Channel, Claim, Delivery, DeliveryStatus, Notification, NotificationsStore, mask};
use tracing::Instrument;

/// Messages of one batch handled at once (each is a few DynamoDB calls and one send).
const CONCURRENCY: usize = 4;

/// SES errors that no retry can fix: the delivery is logged FAILED and the message acked.
const PERMANENT_SES: [&str; 4] =
    ["MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException", "NotFoundException"];
/// SNS errors that no retry can fix (a number SNS refuses, an opted-out phone).
const PERMANENT_SNS: [&str; 3] = ["InvalidParameter", "InvalidParameterValue", "OptedOut"];

pub struct Deps {
    pub store: NotificationsStore,
    pub ses: aws_sdk_sesv2::Client,
    pub sns: aws_sdk_sns::Client,
    /// `NOTIFICATIONS_FROM_ADDRESS`: a verified SES identity.
    pub from: String,
    /// The key the tokens of emailed links are derived with (read only for a message that
    /// carries a link).
    pub links: LinkSecret,
    /// The pages those links open.
    pub pages: LinkPages,
    /// Each user's sends per channel and day.
    pub caps: SendCaps,
    /// When a failed message comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
    pub retries: consumer::Retries,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: notifications_core::NotificationsStore::from_env(config, env)?,
            ses: aws_sdk_sesv2::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            from: env.required("NOTIFICATIONS_FROM_ADDRESS")?,
            links: LinkSecret::from_env(config, env)?,
            pages: LinkPages::from_env(env)?,
            caps: SendCaps::from_env(env)?,
            retries: consumer::Retries::from_env(config, env)?,
        })
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, &deps.retries, CONCURRENCY, |message| async move {
        notify(deps, consumer::body(&message)?).await
    })
    .await)
}

/// Handles one delivered event: an error returns the message to the queue.
pub async fn notify(deps: &Deps, body: &str) -> anyhow::Result<()> {
    let mut n = match Inbound::from_body(body)? {
        Inbound::Notify(n) => n,
        Inbound::EmailVerified { user_id, email } => {
            deps.store.record_verified_email(&user_id, &email, Utc::now()).await?;
            tracing::info!(to = %mask::email(&email), "email address verified");
            return Ok(());
        }
    };
    if n.link.is_some() {
        // The link is made here, from the event's id, and exists only in the email sent.
        n.insert_link(&*deps.links.get().await?, &deps.pages);
    }
    let prefs = deps.store.preferences(&n.user_id).await?;
    let rendered = render(deps, &n).await?;
    let mut outgoing = Vec::new();
    if prefs.email || n.email_mandatory() {
        outgoing.push(Outgoing::Email { to: n.email.clone(), rendered: rendered.clone() });
    }
    if let (true, Some(number), Some(text)) = (n.sms_allowed(), prefs.sms_number(), rendered.sms.clone()) {
        // A number not verified yet is logged SKIPPED, not texted.
        outgoing.push(Outgoing::Sms { number: number.as_str().to_owned(), text, verified: prefs.phone_verified });
    }
    if outgoing.is_empty() {
        tracing::info!(template = n.template.as_str(), "the user turned every channel off; nothing sent");
    }
    // Every channel is tried even when one fails; the retry skips those already sent.
    let mut first_error = None;
    for out in &outgoing {
        if let Err(e) = send_once(deps, &n, out).await {
            tracing::warn!(channel = out.channel().as_str(), error = format!("{e:#}"), "send failed; will retry");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The custom template when one is stored and renders within the render limits (and, for a
/// security message, links only to its link's page), else the default: a broken or hostile
/// custom template costs its message nothing but the custom wording, and never stalls the
/// batch.
async fn render(deps: &Deps, n: &Notification) -> anyhow::Result<Rendered> {
    if let Some(custom) = deps.store.template(n.template).await? {
        let link =
            n.link.as_ref().and_then(|l| n.context[notifications_core::message::link_variable(l.purpose)].as_str());
        let checked = custom.template.render(&n.context).and_then(|rendered| match link {
            Some(link) => rendered.check_links(n.template, &deps.pages, link).map(|()| rendered),
            None => Ok(rendered),
        });
        match checked {
            Ok(rendered) => return Ok(rendered),
            Err(e) => tracing::warn!(
                template = n.template.as_str(),
                part = e.part,
                "the custom template does not render within its limits or links elsewhere; the default is used"
            ),
        }
    }
    Ok(n.template.default_template().render(&n.context)?)
}

#[derive(Debug, Clone)]
enum Outgoing {
    Email { to: String, rendered: Rendered },
    Sms { number: String, text: String, verified: bool },
}

impl Outgoing {
    fn channel(&self) -> Channel {
        match self {
            Outgoing::Email { .. } => Channel::Email,
            Outgoing::Sms { .. } => Channel::Sms,
        }
    }

    fn masked_to(&self) -> String {
        match self {
            Outgoing::Email { to, .. } => mask::email(to),
            Outgoing::Sms { number, .. } => mask::phone(number),
        }
    }

    fn subject(&self) -> Option<String> {
        match self {
            Outgoing::Email { rendered, .. } => Some(rendered.subject.clone()),
            Outgoing::Sms { .. } => None,
        }
    }
}

enum SendError {
    /// The provider refused this message for good (its error code).
    Permanent(String),
    Transient(anyhow::Error),
}

/// Claims, sends and records one (event, channel).
async fn send_once(deps: &Deps, n: &Notification, out: &Outgoing) -> anyhow::Result<()> {
    let span = tracing::info_span!(
        "send",
        template = n.template.as_str(),
        channel = out.channel().as_str(),
        to = %out.masked_to()
    );
    claim_and_send(deps, n, out).instrument(span).await
}

async fn claim_and_send(deps: &Deps, n: &Notification, out: &Outgoing) -> anyhow::Result<()> {
    let channel = out.channel();
    let now = Utc::now();
    let claim = match deps.store.claim(&n.event_id, channel, now).await? {
        Claim::Acquired(claim) => claim,
        Claim::Done(status) => {
            tracing::info!(?status, "already handled; redelivery skipped");
            return Ok(());
        }
        Claim::Busy => anyhow::bail!("another delivery of this event is sending on this channel"),
    };
    let result = send_claimed(deps, n, out, &claim, now).await;
    if let Err(e) = &result
        && !e.is::<Released>()
    {
        // Failed halfway (reading the caps, recording the outcome): give the claim back so
        // that the redelivery sends at once instead of waiting STALE_CLAIM_SECONDS for it.
        if let Err(release) = deps.store.release(&claim).await {
            tracing::warn!(error = format!("{release:#}"), "claim not released; a redelivery takes it over later");
        }
    }
    result.map_err(|e| match e.downcast::<Released>() {
        Ok(Released(inner)) => inner,
        Err(e) => e,
    })
}

/// `attempt` up to three times, pausing 100 then 200 ms (on top of the SDK's own retries of
/// each call), for a step whose failure would repeat a side effect.
async fn persistently<T, F, Fut>(what: &str, mut attempt: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut tries = 1u64;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if tries == 3 => return Err(e),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "{what} failed; trying again"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
        tries += 1;
    }
}

/// An error after which the claim was already given back.
#[derive(Debug)]
struct Released(anyhow::Error);

impl std::fmt::Display for Released {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for Released {}

/// Sends one (event, channel) whose claim is held, and records the outcome.
async fn send_claimed(
    deps: &Deps,
    n: &Notification,
    out: &Outgoing,
    claim: &ClaimToken,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    let channel = out.channel();
    if let Some(reason) = refused(deps, n, out, now).await? {
        // Logged, acknowledged and never retried: a redelivery finds the marker SKIPPED.
        record(deps, n, out, claim, Outcome::Skipped(reason)).await?;
        tracing::info!(?reason, "not sent; logged as SKIPPED");
        return Ok(());
    }
    match send(deps, out).await {
        Ok(message_id) => {
            // Sent: a failure to record it now would send it again on the redelivery.
            let sent = Outcome::Sent(message_id);
            persistently("recording a sent message", || record(deps, n, out, claim, sent.clone())).await?;
            tracing::info!("sent");
            Ok(())
        }
        Err(SendError::Permanent(code)) => {
            record(deps, n, out, claim, Outcome::Failed).await?;
            tracing::warn!(code, "the provider refused the message for good; logged as FAILED");
            Ok(())
        }
        Err(SendError::Transient(e)) => {
            if counted(n) {
                deps.store.give_back_send(&n.user_id, channel, now).await?;
            }
            deps.store.release(claim).await?;
            Err(Released(e).into())
        }
    }
}

/// Whether a send of `n` counts against the user's daily caps: every one but a security
/// message (a link the user asked for, capped by auth where it is asked for).
fn counted(n: &Notification) -> bool {
    !n.is_security()
}

/// Why `out` must not be sent, if it must not: an SMS to a number its user has not
/// verified, or the day's cap of its channel reached (taking its place in the cap otherwise).
async fn refused(
    deps: &Deps,
    n: &Notification,
    out: &Outgoing,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<Option<SkipReason>> {
    if let Outgoing::Sms { verified: false, .. } = out {
        return Ok(Some(SkipReason::PhoneUnverified));
    }
    if !counted(n) {
        return Ok(None);
    }
    let verified = match out {
        Outgoing::Email { to, .. } => deps.store.is_email_verified(&n.user_id, to).await?,
        Outgoing::Sms { .. } => true,
    };
    let (cap, reason) = deps.caps.of(out.channel(), verified);
    Ok((!deps.store.take_send(&n.user_id, out.channel(), cap, now).await?).then_some(reason))
}

/// How a claimed send ended.
#[derive(Clone)]
enum Outcome {
    Sent(String),
    Failed,
    Skipped(SkipReason),
}

async fn record(
    deps: &Deps,
    n: &Notification,
    out: &Outgoing,
    claim: &ClaimToken,
    outcome: Outcome,
) -> anyhow::Result<()> {
    let (status, provider_message_id, reason) = match outcome {
        Outcome::Sent(id) => (DeliveryStatus::Sent, Some(id), None),
        Outcome::Failed => (DeliveryStatus::Failed, None, None),
        Outcome::Skipped(reason) => (DeliveryStatus::Skipped, None, Some(reason)),
    };
    let delivery = Delivery {
        event_id: n.event_id.clone(),
        channel: out.channel(),
        template: n.template,
        to: out.masked_to(),
        subject: out.subject(),
        status,
        reason,
        sent_at: timestamp(Utc::now()),
        provider_message_id,
    };
    deps.store.finish(claim, &n.user_id, n.occurred_at, &delivery).await
}

/// The provider's error code when it is one of `permanent`.
fn classify<
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
>(
    err: SdkError<E, R>,
    permanent: &[&str],
) -> SendError {
    match err.as_service_error().and_then(|e| e.code()) {
        Some(code) if permanent.contains(&code) => SendError::Permanent(code.to_owned()),
        _ => SendError::Transient(anyhow::Error::from(err).context("sending")),
    }
}

fn content(text: &str) -> Result<Content, SendError> {
    Content::builder().data(text).charset("UTF-8").build().map_err(|e| SendError::Transient(e.into()))
}

/// Sends one message; the provider's message id on success.
async fn send(deps: &Deps, out: &Outgoing) -> Result<String, SendError> {
    match out {
        Outgoing::Email { to, rendered } => {
            let html = rendered.html.as_deref().map(content).transpose()?;
            let body = Body::builder().text(content(&rendered.text)?).set_html(html).build();
            let message = Message::builder().subject(content(&rendered.subject)?).body(body).build();
            let sent = deps
                .ses
                .send_email()
                .from_email_address(&deps.from)
                .destination(Destination::builder().to_addresses(to).build())
                .content(EmailContent::builder().simple(message).build())
                .send()
                .await
                .map_err(|e| classify(e, &PERMANENT_SES))?;
            Ok(sent.message_id.unwrap_or_default())
        }
        Outgoing::Sms { number, text, .. } => {
            let sent = deps
                .sns
                .publish()
                .phone_number(number)
                .message(text)
                .send()
                .await
                .map_err(|e| classify(e, &PERMANENT_SNS))?;
            Ok(sent.message_id.unwrap_or_default())
        }
    }
}

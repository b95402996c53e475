//! From a delivered event to the notification it asks for: which template, to whom, with
//! which variables. Pure: no I/O, so every event kind is unit-tested.

use bazaar_aws::consumer::Delivered;
use bazaar_events::auth::{EmailVerificationRequested, EmailVerified, LinkRef, PasswordResetRequested, UserRegistered};
use bazaar_events::orders::{CancelReason, OrderCancelled, OrderLine, OrderPaid};
use bazaar_events::payments::{Cancellation, CancellationSettled, MoneyOutcome};
use bazaar_events::reservations::{
    Booking, ReservationCancelReason, ReservationCancelled, ReservationConfirmed, ReservationReminderDue,
};
use bazaar_events::{Envelope, Event, Money};
use bazaar_runtime::links::{self, LinkKey, LinkPurpose};
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};

use crate::templates::TemplateName;

/// A single-use link a notification carries, by reference: its token is derived from the id
/// with the link key only when the message is rendered ([`Notification::insert_link`]), so
/// the link exists nowhere but in the email sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub purpose: LinkPurpose,
    pub id: String,
    pub expires_at: DateTime<Utc>,
}

impl Link {
    fn of(purpose: LinkPurpose, link: &LinkRef) -> Link {
        Link { purpose, id: link.id.clone(), expires_at: link.expires_at }
    }
}

/// A time as the templates show it: `2026-11-21 11:00 UTC`.
fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What a delivered event asks of the consumer.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A message to send.
    Notify(Notification),
    /// The user verified `email`: record it (the sends it unlocks, see `store`).
    EmailVerified { user_id: String, email: String },
}

impl Inbound {
    /// What `body` asks for; an error means the message is poison for this consumer.
    pub fn from_body(body: &str) -> anyhow::Result<Inbound> {
        let delivered = Delivered::parse(body)?;
        if delivered.is::<EmailVerified>() {
            let e = delivered.decode::<EmailVerified>()?;
            return Ok(Inbound::EmailVerified { user_id: e.data.user_id, email: e.data.email });
        }
        Notification::from_body(body).map(Inbound::Notify)
    }
}

/// The pages emailed links open (`PASSWORD_RESET_URL`, …): a link is its page with the token
/// as `?token=`, and a custom security template's links must point at them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPages {
    pub password_reset: String,
    pub email_verification: String,
}

impl LinkPages {
    pub fn from_env(env: &bazaar_runtime::config::Env) -> Result<LinkPages, bazaar_runtime::config::ConfigError> {
        Ok(LinkPages {
            password_reset: env.required("PASSWORD_RESET_URL")?,
            email_verification: env.required("EMAIL_VERIFICATION_URL")?,
        })
    }

    /// The page links of `purpose` open.
    pub fn page(&self, purpose: LinkPurpose) -> &str {
        match purpose {
            LinkPurpose::PasswordReset => &self.password_reset,
            LinkPurpose::EmailVerification => &self.email_verification,
        }
    }
}

/// The template variable holding the link of `purpose`.
pub fn link_variable(purpose: LinkPurpose) -> &'static str {
    match purpose {
        LinkPurpose::PasswordReset => "reset_url",
        LinkPurpose::EmailVerification => "verification_url",
    }
}

/// One notification to send, on every channel the recipient allows.
#[derive(Clone, PartialEq)]
pub struct Notification {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub template: TemplateName,
    pub user_id: String,
    pub email: String,
    /// The template's variables. Once [`Notification::insert_link`] ran, they hold a secret
    /// (the link): never log them.
    pub context: Value,
    /// The single-use link the message carries, if any: it makes the message a security
    /// message (see [`Notification::is_security`]).
    pub link: Option<Link>,
}

/// The context can hold a reset link: Debug shows everything else.
impl std::fmt::Debug for Notification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notification")
            .field("event_id", &self.event_id)
            .field("template", &self.template)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl Notification {
    /// Whether the message carries a single-use link (a password reset, an email
    /// verification): a credential.
    pub fn is_security(&self) -> bool {
        self.link.is_some()
    }

    /// Links are credentials: they go by email only, and always (the user just asked for
    /// one; turning email off must not lock them out of their account).
    pub fn email_mandatory(&self) -> bool {
        self.is_security()
    }

    pub fn sms_allowed(&self) -> bool {
        !self.is_security()
    }

    /// Adds the link's URL to the context, under its variable (`reset_url`): its page with
    /// the token derived from the link's id under `key`. From here on the context is secret.
    pub fn insert_link(&mut self, key: &LinkKey, pages: &LinkPages) {
        if let (Some(link), Some(context)) = (&self.link, self.context.as_object_mut()) {
            let url = links::url(pages.page(link.purpose), &key.token(link.purpose, &link.id));
            context.insert(link_variable(link.purpose).to_owned(), Value::String(url));
        }
    }

    /// The notification a delivered event asks for; an error means the message is poison
    /// for this consumer (not JSON, not an event it consumes, or a malformed one).
    pub fn from_body(body: &str) -> anyhow::Result<Notification> {
        let delivered = Delivered::parse(body)?;
        if delivered.is::<UserRegistered>() {
            Ok(Self::welcome(delivered.decode()?))
        } else if delivered.is::<PasswordResetRequested>() {
            Ok(Self::password_reset(delivered.decode()?))
        } else if delivered.is::<EmailVerificationRequested>() {
            Ok(Self::email_verification(delivered.decode()?))
        } else if delivered.is::<OrderPaid>() {
            Ok(Self::order_paid(delivered.decode()?))
        } else if delivered.is::<ReservationConfirmed>() {
            let e = delivered.decode::<ReservationConfirmed>()?;
            Ok(Self::reservation(&e, TemplateName::ReservationConfirmed, &e.data.reservation, json!({})))
        } else if delivered.is::<CancellationSettled>() {
            Ok(Self::cancellation_settled(delivered.decode()?))
        } else if delivered.is::<ReservationReminderDue>() {
            let e = delivered.decode::<ReservationReminderDue>()?;
            Ok(Self::reservation(&e, TemplateName::ReservationReminder, &e.data.reservation, json!({})))
        } else {
            anyhow::bail!("notifications does not consume {} from {}", delivered.detail_type, delivered.source)
        }
    }

    fn new<T: Event>(e: &Envelope<T>, template: TemplateName, user_id: &str, email: &str, extra: Value) -> Self {
        let mut context = json!({ "email": email, "user_id": user_id });
        if let (Some(c), Value::Object(extra)) = (context.as_object_mut(), extra) {
            c.extend(extra);
        }
        Notification {
            event_id: e.metadata.event_id.to_string(),
            occurred_at: e.metadata.occurred_at,
            template,
            user_id: user_id.to_owned(),
            email: email.to_owned(),
            context,
            link: None,
        }
    }

    /// The welcome email, with the address's verification link when the account has one.
    fn welcome(e: Envelope<UserRegistered>) -> Self {
        let mut n = Self::new(&e, TemplateName::Welcome, &e.data.user_id, &e.data.email, json!({}));
        n.link = e.data.verification.as_ref().map(|v| Link::of(LinkPurpose::EmailVerification, v));
        n
    }

    fn password_reset(e: Envelope<PasswordResetRequested>) -> Self {
        let extra = json!({ "expires_at": utc(e.data.reset.expires_at) });
        let mut n = Self::new(&e, TemplateName::PasswordReset, &e.data.user_id, &e.data.email, extra);
        n.link = Some(Link::of(LinkPurpose::PasswordReset, &e.data.reset));
        n
    }

    fn email_verification(e: Envelope<EmailVerificationRequested>) -> Self {
        let extra = json!({ "expires_at": utc(e.data.verification.expires_at) });
        let mut n = Self::new(&e, TemplateName::EmailVerification, &e.data.user_id, &e.data.email, extra);
        n.link = Some(Link::of(LinkPurpose::EmailVerification, &e.data.verification));
        n
    }

    fn order_paid(e: Envelope<OrderPaid>) -> Self {
        let d = &e.data;
        let extra = json!({
            "order_id": d.order_id, "payment_id": d.payment_id, "total": format_money(&d.total),
            "lines": d.lines.iter().map(line).collect::<Vec<_>>(),
        });
        Self::new(&e, TemplateName::OrderConfirmation, &d.customer_id, &d.customer_email, extra)
    }

    /// A cancellation is told once payments has settled its money, so the email says what
    /// really happened to it: nothing charged, refunded, or (a late cancellation) charged.
    fn cancellation_settled(e: Envelope<CancellationSettled>) -> Self {
        let money = money_name(e.data.money);
        match &e.data.cancellation {
            Cancellation::Order(order) => Self::order_cancelled(&e, order, money),
            Cancellation::Reservation(r) => Self::reservation_cancelled(&e, r, money),
        }
    }

    fn order_cancelled<T: Event>(e: &Envelope<T>, d: &OrderCancelled, money: &str) -> Self {
        let reason = match d.reason {
            CancelReason::CustomerRequest => "customer_request",
            CancelReason::PaymentFailed => "payment_failed",
            CancelReason::StockRejected => "stock_rejected",
        };
        let extra = json!({
            "order_id": d.order_id, "total": format_money(&d.total), "reason": reason,
            "apology": d.reason != CancelReason::CustomerRequest, "money": money,
        });
        Self::new(e, TemplateName::OrderCancelled, &d.customer_id, &d.customer_email, extra)
    }

    fn reservation_cancelled<T: Event>(e: &Envelope<T>, d: &ReservationCancelled, money: &str) -> Self {
        let reason = match d.reason {
            ReservationCancelReason::CustomerRequest => "customer_request",
            ReservationCancelReason::OwnerRequest => "owner_request",
            ReservationCancelReason::PaymentFailed => "payment_failed",
            ReservationCancelReason::Expired => "expired",
        };
        let extra = json!({
            "reason": reason, "refund": d.refund, "was_confirmed": d.was_confirmed, "money": money,
            "apology": d.reason != ReservationCancelReason::CustomerRequest,
        });
        Self::reservation(e, TemplateName::ReservationCancelled, &d.reservation, extra)
    }
}

/// How templates name a money outcome (`money` is one of these).
fn money_name(money: MoneyOutcome) -> &'static str {
    match money {
        MoneyOutcome::NothingCharged => "nothing_charged",
        MoneyOutcome::Refunded => "refunded",
        MoneyOutcome::Charged => "charged",
    }
}

impl Notification {
    /// A reservation notification: times are shown in the resource's time zone.
    fn reservation<T: Event>(e: &Envelope<T>, template: TemplateName, b: &Booking, extra: Value) -> Self {
        let (date, start_time) = local(b.local_start, b.start);
        let (_, end_time) = local(b.local_end, b.end);
        let mut context = json!({
            "reservation_id": b.reservation_id, "resource_name": b.resource_name, "date": date,
            "start_time": start_time, "end_time": end_time, "time_zone": b.time_zone, "slots": b.slots,
            "amount": format_money(&b.amount),
        });
        if let (Some(c), Value::Object(extra)) = (context.as_object_mut(), extra) {
            c.extend(extra);
        }
        Self::new(e, template, &b.customer_id, &b.customer_email, context)
    }
}

/// A local date and `HH:MM`: of `local`, the time on the resource's clock the event carries,
/// or of `utc` marked as UTC for an event published before events carried it. (The event
/// brings the local time, so this function links no zone database.)
fn local(local: Option<DateTime<FixedOffset>>, utc: DateTime<Utc>) -> (String, String) {
    match local {
        Some(t) => (t.format("%Y-%m-%d").to_string(), t.format("%H:%M").to_string()),
        None => (utc.format("%Y-%m-%d").to_string(), utc.format("%H:%M UTC").to_string()),
    }
}

fn line(l: &OrderLine) -> Value {
    json!({
        "product_id": l.product_id, "name": l.name, "quantity": l.quantity,
        "unit_price": format_money(&l.unit_price), "line_total": format_money(&l.line_total),
    })
}

/// Minor units of currencies without a minor unit (ISO 4217 exponent 0).
const ZERO_DECIMAL: [&str; 8] = ["JPY", "KRW", "ISK", "CLP", "VND", "XAF", "XOF", "UGX"];

/// `{2500, "EUR"}` → `25.00 EUR`; `{500, "JPY"}` → `500 JPY`.
pub fn format_money(m: &Money) -> String {
    if ZERO_DECIMAL.contains(&m.currency.as_str()) {
        return format!("{} {}", m.amount_minor, m.currency);
    }
    let sign = if m.amount_minor < 0 { "-" } else { "" };
    let abs = m.amount_minor.unsigned_abs();
    format!("{sign}{}.{:02} {}", abs / 100, abs % 100, m.currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body<T: Event>(e: &Envelope<T>) -> String {
        json!({
            "id": "1", "version": "0", "detail-type": T::DETAIL_TYPE, "source": T::SOURCE,
            "time": "2026-11-21T10:00:00Z", "region": "us-east-1", "resources": [], "detail": e,
        })
        .to_string()
    }

    fn money(minor: i64) -> Money {
        Money::new(minor, "EUR")
    }

    #[test]
    fn money_is_formatted_from_minor_units() {
        assert_eq!(format_money(&money(2500)), "25.00 EUR");
        assert_eq!(format_money(&money(7)), "0.07 EUR");
        assert_eq!(format_money(&money(-150)), "-1.50 EUR");
        assert_eq!(format_money(&Money::new(500, "JPY")), "500 JPY");
    }

    #[test]
    fn each_consumed_event_picks_its_template_and_recipient() {
        let e = Envelope::new(
            UserRegistered { user_id: "u1".into(), email: "a@b.co".into(), roles: vec![], verification: None },
            "c",
        );
        let n = Notification::from_body(&body(&e)).expect("welcome");
        assert_eq!((n.template, n.user_id.as_str(), n.email.as_str()), (TemplateName::Welcome, "u1", "a@b.co"));
        assert_eq!(n.event_id, e.metadata.event_id.to_string());

        let reset = bazaar_events::auth::LinkRef { id: "r-1".into(), expires_at: Utc::now() };
        let e = Envelope::new(
            PasswordResetRequested { user_id: "u1".into(), email: "a@b.co".into(), reset: reset.clone() },
            "c",
        );
        let mut n = Notification::from_body(&body(&e)).expect("reset");
        assert_eq!(n.template, TemplateName::PasswordReset);
        assert!(n.email_mandatory() && !n.sms_allowed());
        assert!(n.context.get("reset_url").is_none(), "the link is made when the message is sent");
        let key = LinkKey::parse("0123456789abcdef0123456789abcdef").expect("key");
        let pages = LinkPages {
            password_reset: "https://shop.example/reset".into(),
            email_verification: "https://shop.example/verify".into(),
        };
        n.insert_link(&key, &pages);
        let url = n.context["reset_url"].as_str().expect("the link").to_owned();
        let token = url.strip_prefix("https://shop.example/reset?token=").expect("the page with the token");
        assert_eq!(key.open(LinkPurpose::PasswordReset, token), Some("r-1"));
        assert!(!format!("{n:?}").contains(token), "Debug must not show the reset link");

        let paid = OrderPaid {
            order_id: "o1".into(),
            customer_id: "u2".into(),
            customer_email: "c@d.co".into(),
            payment_id: "p1".into(),
            lines: vec![OrderLine {
                product_id: "pr".into(),
                owner_id: "own".into(),
                name: "Lamp".into(),
                quantity: 2,
                unit_price: money(1250),
                line_total: money(2500),
            }],
            total: money(2500),
        };
        let n = Notification::from_body(&body(&Envelope::new(paid, "c"))).expect("paid");
        assert_eq!((n.template, n.user_id.as_str()), (TemplateName::OrderConfirmation, "u2"));
        assert_eq!(n.context["lines"][0]["line_total"], "25.00 EUR");

        let cancelled = OrderCancelled {
            order_id: "o1".into(),
            customer_id: "u2".into(),
            customer_email: "c@d.co".into(),
            reason: CancelReason::StockRejected,
            total: money(2500),
        };
        let n = Notification::from_body(&body(&settled(Cancellation::Order(cancelled), MoneyOutcome::NothingCharged)))
            .expect("cancelled");
        assert_eq!((n.template, n.user_id.as_str(), n.email.as_str()), (TemplateName::OrderCancelled, "u2", "c@d.co"));
        assert_eq!(n.context["reason"], "stock_rejected");
        assert_eq!(n.context["apology"], true);
        // Every default template renders with the context its event builds.
        n.template.default_template().render(&n.context).expect("renders");
    }

    /// What payments announces once it settled `cancellation`.
    fn settled(cancellation: Cancellation, money: MoneyOutcome) -> Envelope<CancellationSettled> {
        let subject = cancellation.subject();
        Envelope::new(
            CancellationSettled {
                payment_id: subject.payment_id(),
                subject,
                customer_id: "u2".into(),
                amount: self::money(2500),
                money,
                cancellation,
            },
            "c",
        )
    }

    fn order_cancelled(reason: CancelReason) -> Cancellation {
        Cancellation::Order(OrderCancelled {
            order_id: "o1".into(),
            customer_id: "u2".into(),
            customer_email: "c@d.co".into(),
            reason,
            total: money(2500),
        })
    }

    /// The text and SMS of the order cancellation for `reason` settled as `money`.
    fn cancellation_texts(reason: CancelReason, money: MoneyOutcome) -> (String, String) {
        let n = Notification::from_body(&body(&settled(order_cancelled(reason), money))).expect("settled");
        let rendered = n.template.default_template().render(&n.context).expect("renders");
        (rendered.text, rendered.sms.expect("an sms"))
    }

    #[test]
    fn an_order_cancellation_tells_where_the_money_is() {
        let (text, sms) = cancellation_texts(CancelReason::CustomerRequest, MoneyOutcome::NothingCharged);
        assert!(text.contains("as you asked") && text.contains("Nothing was charged"), "{text}");
        assert!(sms.contains("Nothing was charged"), "{sms}");
        let (text, sms) = cancellation_texts(CancelReason::CustomerRequest, MoneyOutcome::Refunded);
        assert!(text.contains("refunded in full") && !text.contains("Nothing was charged"), "{text}");
        assert!(sms.contains("25.00 EUR has been refunded") && !sms.contains("Nothing"), "{sms}");
        let (text, _) = cancellation_texts(CancelReason::PaymentFailed, MoneyOutcome::NothingCharged);
        assert!(text.contains("did not go through") && text.contains("Nothing was charged"), "{text}");
        let (text, _) = cancellation_texts(CancelReason::StockRejected, MoneyOutcome::NothingCharged);
        assert!(text.contains("no longer in stock") && text.contains("Nothing was charged"), "{text}");
    }

    fn booking() -> Booking {
        Booking {
            reservation_id: "r1".into(),
            resource_id: "res".into(),
            resource_name: "Studio A".into(),
            owner_id: "own".into(),
            customer_id: "u3".into(),
            customer_email: "e@f.co".into(),
            start: "2026-07-01T08:00:00Z".parse().expect("start"),
            end: "2026-07-01T10:00:00Z".parse().expect("end"),
            time_zone: "Europe/Berlin".into(),
            local_date: "2026-07-01".into(),
            local_start: Some("2026-07-01T10:00:00+02:00".parse().expect("local start")),
            local_end: Some("2026-07-01T12:00:00+02:00".parse().expect("local end")),
            slots: 2,
            amount: money(5000),
        }
    }

    #[test]
    fn reservation_events_show_local_times_and_render_every_default_template() {
        let e = Envelope::new(ReservationConfirmed { reservation: booking(), payment_id: "p".into() }, "c");
        let n = Notification::from_body(&body(&e)).expect("confirmed");
        assert_eq!(
            (n.template, n.user_id.as_str(), n.email.as_str()),
            (TemplateName::ReservationConfirmed, "u3", "e@f.co")
        );
        // 08:00 UTC is 10:00 in Berlin in summer.
        assert_eq!((n.context["start_time"].as_str(), n.context["end_time"].as_str()), (Some("10:00"), Some("12:00")));
        let text = n.template.default_template().render(&n.context).expect("renders").text;
        assert!(text.contains("Studio A") && text.contains("10:00–12:00") && text.contains("50.00 EUR"), "{text}");

        let cancelled = |reason, was_confirmed, refund| {
            Cancellation::Reservation(ReservationCancelled { reservation: booking(), reason, was_confirmed, refund })
        };
        let text_of = |cancellation, money| {
            let n = Notification::from_body(&body(&settled(cancellation, money))).expect("cancelled");
            assert_eq!((n.template, n.email.as_str()), (TemplateName::ReservationCancelled, "e@f.co"));
            n.template.default_template().render(&n.context).expect("renders").text
        };
        let text = text_of(cancelled(ReservationCancelReason::OwnerRequest, true, true), MoneyOutcome::Refunded);
        assert!(text.contains("cancelled by the venue") && text.contains("refunded in full"), "{text}");
        let late = text_of(cancelled(ReservationCancelReason::CustomerRequest, true, false), MoneyOutcome::Charged);
        assert!(late.contains("is kept") && !late.contains("Nothing was charged"), "{late}");
        // Never confirmed, but its payment raced the expiry and was refunded: not "nothing charged".
        let raced = text_of(cancelled(ReservationCancelReason::Expired, false, false), MoneyOutcome::Refunded);
        assert!(raced.contains("refunded in full") && !raced.contains("Nothing was charged"), "{raced}");
        let unpaid = text_of(cancelled(ReservationCancelReason::Expired, false, false), MoneyOutcome::NothingCharged);
        assert!(unpaid.contains("not paid in time") && unpaid.contains("Nothing was charged"), "{unpaid}");

        let e = Envelope::new(ReservationReminderDue { reservation: booking() }, "c");
        let n = Notification::from_body(&body(&e)).expect("reminder");
        assert_eq!(n.template, TemplateName::ReservationReminder);
        let subject = n.template.default_template().render(&n.context).expect("renders").subject;
        assert_eq!(subject, "Reminder: Studio A tomorrow at 10:00");
    }

    #[test]
    fn a_reservation_event_without_local_times_shows_utc() {
        // Published before events carried the resource's clock: UTC, and it says so.
        let old = Booking { local_start: None, local_end: None, ..booking() };
        let e = Envelope::new(ReservationConfirmed { reservation: old, payment_id: "p".into() }, "c");
        let wire = body(&e);
        assert!(!wire.contains("local_start"), "{wire}");
        let n = Notification::from_body(&wire).expect("confirmed");
        assert_eq!(
            (n.context["start_time"].as_str(), n.context["end_time"].as_str()),
            (Some("08:00 UTC"), Some("10:00 UTC"))
        );
        assert_eq!(n.context["date"].as_str(), Some("2026-07-01"));
    }

    #[test]
    fn a_welcome_carries_the_verification_link_when_the_account_has_one() {
        let verification = LinkRef { id: "v-1".into(), expires_at: Utc::now() };
        let registered = |verification| {
            Envelope::new(
                UserRegistered { user_id: "u1".into(), email: "a@b.co".into(), roles: vec![], verification },
                "c",
            )
        };
        let plain = Notification::from_body(&body(&registered(None))).expect("welcome");
        assert!(!plain.is_security() && plain.sms_allowed());
        let mut linked = Notification::from_body(&body(&registered(Some(verification.clone())))).expect("welcome");
        assert!(linked.is_security() && linked.email_mandatory() && !linked.sms_allowed());
        let key = LinkKey::parse("0123456789abcdef0123456789abcdef").expect("key");
        let pages =
            LinkPages { password_reset: "https://s/reset".into(), email_verification: "https://s/verify".into() };
        linked.insert_link(&key, &pages);
        let url = linked.context["verification_url"].as_str().expect("the link");
        let token = url.strip_prefix("https://s/verify?token=").expect("the verification page");
        assert_eq!(key.open(LinkPurpose::EmailVerification, token), Some("v-1"));
        let rendered = TemplateName::Welcome.default_template().render(&linked.context).expect("renders");
        assert!(rendered.text.contains(url), "{}", rendered.text);
        let without = TemplateName::Welcome.default_template().render(&plain.context).expect("renders");
        assert!(!without.text.contains("confirm"), "{}", without.text);

        let asked = Envelope::new(
            EmailVerificationRequested { user_id: "u1".into(), email: "a@b.co".into(), verification },
            "c",
        );
        let n = Notification::from_body(&body(&asked)).expect("verification");
        assert_eq!((n.template, n.is_security()), (TemplateName::EmailVerification, true));

        let verified = Envelope::new(EmailVerified { user_id: "u1".into(), email: "a@b.co".into() }, "c");
        assert_eq!(
            Inbound::from_body(&body(&verified)).expect("verified"),
            Inbound::EmailVerified { user_id: "u1".into(), email: "a@b.co".into() }
        );
        assert!(matches!(Inbound::from_body(&body(&asked)), Ok(Inbound::Notify(_))));
    }

    #[test]
    fn anything_else_is_poison() {
        assert!(Notification::from_body("{not json").is_err());
        let e = Envelope::new(
            UserRegistered { user_id: "u".into(), email: "e".into(), roles: vec![], verification: None },
            "c",
        );
        assert!(Notification::from_body(&body(&e).replace("UserRegistered", "OrderPlaced")).is_err());
        // Cancellations are told from payments' CancellationSettled, never from the bare event.
        let cancelled = match order_cancelled(CancelReason::CustomerRequest) {
            Cancellation::Order(o) => Envelope::new(o, "c"),
            Cancellation::Reservation(_) => unreachable!(),
        };
        assert!(Notification::from_body(&body(&cancelled)).is_err());
        assert!(Notification::from_body(&body(&e).replace("\"email\"", "\"mail\"")).is_err());
    }
}

//! Message templates: the known names, the defaults shipped in `templates/`, validation of
//! custom ones, and rendering with minijinja (strict undefined: a misspelt variable is an
//! error, never an empty string in a customer's inbox) within the limits of [`guard`].
//! A security template (one whose message carries a single-use link) may link only to its
//! link's page.

use bazaar_runtime::links::{self, LinkPurpose};
use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

use crate::guard::{self, Bounded};
use crate::message::{LinkPages, link_variable};

/// The templates the service knows; no other name can be read or stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "NotificationTemplateName")]
pub enum TemplateName {
    Welcome,
    PasswordReset,
    EmailVerification,
    OrderConfirmation,
    OrderCancelled,
    ReservationConfirmed,
    ReservationCancelled,
    ReservationReminder,
}

/// The parts of the template `templates/<name>.*` shipped with the service: subject, text,
/// html and (unless `without_sms`) sms.
macro_rules! shipped {
    ($name:literal) => {{
        let (subject, text, html, _) = shipped!($name, without_sms);
        (subject, text, html, Some(include_str!(concat!("../templates/", $name, ".sms"))))
    }};
    ($name:literal, without_sms) => {
        (
            include_str!(concat!("../templates/", $name, ".subject")),
            include_str!(concat!("../templates/", $name, ".txt")),
            include_str!(concat!("../templates/", $name, ".html")),
            None::<&'static str>,
        )
    };
}

impl TemplateName {
    pub const ALL: [TemplateName; 8] = [
        TemplateName::Welcome,
        TemplateName::PasswordReset,
        TemplateName::EmailVerification,
        TemplateName::OrderConfirmation,
        TemplateName::OrderCancelled,
        TemplateName::ReservationConfirmed,
        TemplateName::ReservationCancelled,
        TemplateName::ReservationReminder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateName::Welcome => "welcome",
            TemplateName::PasswordReset => "password_reset",
            TemplateName::EmailVerification => "email_verification",
            TemplateName::OrderConfirmation => "order_confirmation",
            TemplateName::OrderCancelled => "order_cancelled",
            TemplateName::ReservationConfirmed => "reservation_confirmed",
            TemplateName::ReservationCancelled => "reservation_cancelled",
            TemplateName::ReservationReminder => "reservation_reminder",
        }
    }

    /// The `{name}` of the template routes, as the API documents it.
    pub fn param_description() -> String {
        let names: Vec<String> = TemplateName::ALL.iter().map(|n| format!("`{}`", n.as_str())).collect();
        format!("The template: one of {}; any other name is a 404.", names.join(", "))
    }

    /// A known name, or `None` (the routes answer 404).
    pub fn parse(name: &str) -> Option<TemplateName> {
        TemplateName::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The single-use link a message of this template carries, if any: the welcome email
    /// carries the address's verification link (but for accounts that need none, see
    /// [`TemplateName::link_optional`]).
    pub fn link_purpose(self) -> Option<LinkPurpose> {
        match self {
            TemplateName::PasswordReset => Some(LinkPurpose::PasswordReset),
            TemplateName::EmailVerification | TemplateName::Welcome => Some(LinkPurpose::EmailVerification),
            _ => None,
        }
    }

    /// Whether some messages of this template carry no link (a seeded admin's welcome): the
    /// template must render without its link variable too.
    pub fn link_optional(self) -> bool {
        self == TemplateName::Welcome
    }

    /// Whether its messages carry a credential: only `notifications:security_templates`
    /// changes such a template, and its links must point at the link's page.
    pub fn is_security(self) -> bool {
        self.link_purpose().is_some()
    }

    /// The template shipped with the service.
    pub fn default_template(self) -> Template {
        let (subject, text, html, sms) = match self {
            TemplateName::Welcome => shipped!("welcome"),
            TemplateName::PasswordReset => shipped!("password_reset", without_sms),
            TemplateName::EmailVerification => shipped!("email_verification", without_sms),
            TemplateName::OrderConfirmation => shipped!("order_confirmation"),
            TemplateName::OrderCancelled => shipped!("order_cancelled"),
            TemplateName::ReservationConfirmed => shipped!("reservation_confirmed"),
            TemplateName::ReservationCancelled => shipped!("reservation_cancelled"),
            TemplateName::ReservationReminder => shipped!("reservation_reminder"),
        };
        Template {
            subject: subject.trim_end().to_owned(),
            text: text.to_owned(),
            html: Some(html.to_owned()),
            sms: sms.map(|s| s.trim_end().to_owned()),
        }
    }

    /// Variables a template of this name can use, with plausible values: custom templates
    /// must render against it, so a misspelt variable is refused at PUT, not at send time.
    pub fn sample_context(self) -> serde_json::Value {
        use serde_json::json;
        let common = json!({ "email": "ana@example.com", "user_id": "00000000-0000-4000-8000-000000000001" });
        let specific = match self {
            TemplateName::Welcome => json!({ "verification_url": "https://example.com/verify-email?token=sample" }),
            TemplateName::PasswordReset => json!({
                "reset_url": "https://example.com/reset-password?token=sample",
                "expires_at": "2026-11-21 11:00 UTC",
            }),
            TemplateName::EmailVerification => json!({
                "verification_url": "https://example.com/verify-email?token=sample",
                "expires_at": "2026-11-28 10:00 UTC",
            }),
            TemplateName::OrderConfirmation => json!({
                "order_id": "ord-sample", "payment_id": "pay-sample", "total": "25.00 EUR",
                "lines": [{ "product_id": "p1", "name": "Lamp", "quantity": 2, "unit_price": "12.50 EUR", "line_total": "25.00 EUR" }],
            }),
            TemplateName::OrderCancelled => json!({
                "order_id": "ord-sample", "total": "25.00 EUR", "reason": "payment_failed", "apology": true,
                "money": "nothing_charged",
            }),
            TemplateName::ReservationConfirmed | TemplateName::ReservationReminder => reservation_sample(),
            TemplateName::ReservationCancelled => merge(
                reservation_sample(),
                json!({
                    "reason": "owner_request", "refund": true, "was_confirmed": true, "apology": true,
                    "money": "refunded",
                }),
            ),
        };
        merge(common, specific)
    }
}

/// The variables every reservation template gets.
fn reservation_sample() -> serde_json::Value {
    serde_json::json!({
        "reservation_id": "res-sample", "resource_name": "Studio A", "date": "2026-11-22",
        "start_time": "10:00", "end_time": "12:00", "time_zone": "Europe/Berlin", "slots": 2, "amount": "50.00 EUR",
    })
}

fn merge(mut base: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    if let (Some(b), serde_json::Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

/// A template: minijinja sources of each part. Without `html` an email is text-only;
/// without `sms` no SMS is sent for it (a custom template replaces the default whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
}

/// A template rendered for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub sms: Option<String>,
}

/// Why a template could not be used; `part` is the field name (`subject`, `text`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct TemplateError {
    pub part: &'static str,
    pub message: String,
}

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 20_000;
pub const MAX_SMS_CHARS: usize = 480;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(guard::FUEL));
    env
}

/// Renders one part within the fuel and size limits.
fn render_part(
    env: &Environment<'_>,
    part: &'static str,
    file: &str,
    source: &str,
    ctx: &serde_json::Value,
) -> Result<String, TemplateError> {
    let error = |message: String| TemplateError { part, message };
    let template = env.template_from_named_str(file, source).map_err(|e| error(describe(&e)))?;
    let max = guard::max_rendered_bytes(part);
    let mut out = Bounded::new(max);
    match template.render_captured_to(ctx, &mut out) {
        Ok(_) => String::from_utf8(out.bytes).map_err(|_| error("renders invalid UTF-8".into())),
        Err(_) if out.overflowed => Err(error(format!("renders more than {max} bytes"))),
        Err(e) => Err(error(describe(&e))),
    }
}

/// The file name decides auto-escaping: only the `.html` part escapes its values.
fn parts(t: &Template) -> Vec<(&'static str, &'static str, &str)> {
    let mut parts = vec![("subject", "subject.txt", t.subject.as_str()), ("text", "text.txt", t.text.as_str())];
    if let Some(html) = &t.html {
        parts.push(("html", "body.html", html.as_str()));
    }
    if let Some(sms) = &t.sms {
        parts.push(("sms", "sms.txt", sms.as_str()));
    }
    parts
}

impl Template {
    /// Checks sizes, compiles every part (syntax) and renders it against the name's sample
    /// context (unknown variables) within the render limits, and for a security template
    /// checks its links against `pages`; returns every problem found.
    pub fn validate(&self, name: TemplateName, pages: &LinkPages) -> Result<(), Vec<TemplateError>> {
        let mut errors = Vec::new();
        let limits = [
            ("subject", Some(&self.subject), MAX_SUBJECT_CHARS),
            ("text", Some(&self.text), MAX_BODY_CHARS),
            ("html", self.html.as_ref(), MAX_BODY_CHARS),
            ("sms", self.sms.as_ref(), MAX_SMS_CHARS),
        ];
        for (part, value, max) in limits {
            match value {
                Some(v) if v.trim().is_empty() => {
                    errors.push(TemplateError { part, message: "must not be empty".into() })
                }
                Some(v) if v.chars().count() > max => {
                    errors.push(TemplateError { part, message: format!("must be at most {max} characters") })
                }
                _ => {}
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let env = environment();
        let mut ctx = name.sample_context();
        let sample_link = name.link_purpose().map(|purpose| {
            let url = links::url(pages.page(purpose), "sample-link.token");
            ctx[link_variable(purpose)] = serde_json::Value::String(url.clone());
            url
        });
        for (part, file, source) in parts(self) {
            if let Err(e) = render_part(&env, part, file, source, &ctx) {
                errors.push(e);
            }
        }
        if errors.is_empty()
            && let Some(purpose) = name.link_purpose().filter(|_| name.link_optional())
        {
            // It must also render for a message without a link.
            let mut without = ctx.clone();
            if let Some(c) = without.as_object_mut() {
                c.remove(link_variable(purpose));
            }
            for (part, file, source) in parts(self) {
                if let Err(e) = render_part(&env, part, file, source, &without) {
                    let message = format!(
                        "{} (without {}, as for an account that needs no link)",
                        e.message,
                        link_variable(purpose)
                    );
                    errors.push(TemplateError { part, message });
                }
            }
        }
        if errors.is_empty()
            && let Some(link) = &sample_link
            && let Err(e) = self.render(&ctx).and_then(|r| r.check_links(name, pages, link))
        {
            errors.push(e);
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Renders every part with `ctx`, within the render limits.
    pub fn render(&self, ctx: &serde_json::Value) -> Result<Rendered, TemplateError> {
        let env = environment();
        let render = |part: &'static str, file: &str, source: &str| render_part(&env, part, file, source, ctx);
        let subject = render("subject", "subject.txt", &self.subject)?;
        Ok(Rendered {
            // A header is one line.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: render("text", "text.txt", &self.text)?,
            html: self.html.as_deref().map(|h| render("html", "body.html", h)).transpose()?,
            sms: self.sms.as_deref().map(|s| render("sms", "sms.txt", s).map(|t| t.trim().to_owned())).transpose()?,
        })
    }
}

impl Rendered {
    /// For a message of security template `name` carrying `link`: every link in every part
    /// points at the link's page, and the text or the HTML holds `link` itself. Other
    /// templates pass as they are.
    pub fn check_links(&self, name: TemplateName, pages: &LinkPages, link: &str) -> Result<(), TemplateError> {
        let Some(purpose) = name.link_purpose() else { return Ok(()) };
        let page = pages.page(purpose);
        let mut parts = vec![("subject", self.subject.as_str(), false), ("text", self.text.as_str(), false)];
        parts.extend(self.html.as_deref().map(|h| ("html", h, true)));
        parts.extend(self.sms.as_deref().map(|s| ("sms", s, false)));
        for (part, text, html) in parts {
            guard::check_links(text, html, page).map_err(|e| TemplateError { part, message: e.to_string() })?;
        }
        // The delivery log keeps subjects: a link there would outlive the email.
        let token = link.split_once("token=").map_or(link, |(_, t)| t);
        if self.subject.contains(token) {
            return Err(TemplateError { part: "subject", message: "must not carry the link".into() });
        }
        let carries =
            self.text.contains(link) || self.html.as_deref().is_some_and(|h| guard::decode_entities(h).contains(link));
        if !carries {
            let missing = guard::LinkError::Missing { variable: link_variable(purpose) };
            return Err(TemplateError { part: "text", message: missing.to_string() });
        }
        Ok(())
    }
}

/// minijinja's description (kind, detail, part and line), never the template source.
fn describe(e: &minijinja::Error) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pages() -> LinkPages {
        LinkPages {
            password_reset: "https://shop.example/reset".into(),
            email_verification: "https://shop.example/verify".into(),
        }
    }

    /// `name`'s default template with `text` and `html` as given.
    fn with_body(name: TemplateName, text: &str, html: Option<&str>) -> Template {
        Template { text: text.into(), html: html.map(Into::into), ..name.default_template() }
    }

    const LOOP: &str = "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}";

    #[test]
    fn a_template_that_runs_too_long_is_refused_and_stops_at_its_fuel() {
        let t = with_body(TemplateName::Welcome, LOOP, None);
        let errors = t.validate(TemplateName::Welcome, &pages()).expect_err("out of fuel");
        assert_eq!(errors[0].part, "text");
        assert!(errors[0].message.contains("fuel"), "{}", errors[0].message);
        // Written straight into the table, it still stops rendering at its fuel.
        let endless = with_body(TemplateName::Welcome, "{% for i in range(100000) %}{{ LOOP }}{% endfor %}", None);
        let endless = Template { text: endless.text.replace("{{ LOOP }}", LOOP), ..endless };
        assert!(endless.render(&TemplateName::Welcome.sample_context()).is_err());
    }

    #[test]
    fn the_largest_order_renders_within_a_tenth_of_the_fuel() {
        let mut ctx = TemplateName::OrderConfirmation.sample_context();
        let line = ctx["lines"][0].clone();
        ctx["lines"] = json!(vec![line; 25]);
        let mut env = environment();
        env.set_fuel(Some(guard::FUEL / 10));
        for (part, file, source) in parts(&TemplateName::OrderConfirmation.default_template()) {
            render_part(&env, part, file, source, &ctx).expect(part);
        }
    }

    #[test]
    fn a_template_that_renders_too_much_is_refused() {
        let t = with_body(TemplateName::Welcome, "{{ 'x' * 300000 }}", None);
        let errors = t.validate(TemplateName::Welcome, &pages()).expect_err("too long");
        assert!(errors[0].message.contains("renders more than 200000 bytes"), "{}", errors[0].message);
        let sms = Template { sms: Some("{% for i in range(1000) %}0123456789{% endfor %}".into()), ..t };
        let sms = Template { text: "ok".into(), ..sms };
        assert_eq!(sms.validate(TemplateName::Welcome, &pages()).expect_err("sms too long")[0].part, "sms");
    }

    #[test]
    fn a_security_template_links_only_to_its_page_and_must_carry_the_link() {
        let name = TemplateName::PasswordReset;
        let ok = with_body(name, "Reset: {{ reset_url }}", Some("<a href=\"{{ reset_url }}\">Reset</a>"));
        assert_eq!(ok.validate(name, &pages()), Ok(()));
        for (text, html, part) in [
            ("Reset: https://evil.example/?t={{ reset_url }}", None, "text"),
            ("Reset: {{ reset_url | replace('shop.example', 'evil.example') }}", None, "text"),
            ("{{ reset_url }}", Some("<a href=\"//evil.example/?{{ reset_url }}\">x</a>"), "html"),
            ("{{ reset_url }}", Some("<img src=\"https://evil.example/p.gif\">"), "html"),
            ("Reset your password on our site.", None, "text"),
        ] {
            let t = with_body(name, text, html);
            let errors = t.validate(name, &pages()).expect_err(text);
            assert_eq!(errors[0].part, part, "{text} {html:?}: {errors:?}");
        }
        // The delivery log keeps subjects: the link stays out of it.
        let in_subject = Template { subject: "Reset: {{ reset_url }}".into(), ..ok };
        assert_eq!(in_subject.validate(name, &pages()).expect_err("subject")[0].part, "subject");
        // Other templates may link anywhere.
        let elsewhere = with_body(TemplateName::OrderConfirmation, "See https://blog.example/", None);
        assert_eq!(elsewhere.validate(TemplateName::OrderConfirmation, &pages()), Ok(()));
    }

    #[test]
    fn a_rendered_security_message_is_checked_against_its_real_link() {
        let name = TemplateName::PasswordReset;
        // Only the sample's address gets the real link: the check at send time catches it.
        let sneaky = with_body(
            name,
            "{% if email == 'ana@example.com' %}{{ reset_url }}{% else %}https://evil.example/?{{ reset_url }}{% endif %}",
            None,
        );
        assert_eq!(sneaky.validate(name, &pages()), Ok(()));
        let link = "https://shop.example/reset?token=r-1.mac";
        let ctx = json!({ "email": "bob@example.com", "user_id": "u", "reset_url": link, "expires_at": "x" });
        let rendered = sneaky.render(&ctx).expect("renders");
        assert!(rendered.check_links(name, &pages(), link).is_err());
        let honest = name.default_template().render(&ctx).expect("renders");
        assert_eq!(honest.check_links(name, &pages(), link), Ok(()));
    }

    #[test]
    fn names_parse_only_when_known() {
        for name in TemplateName::ALL {
            assert_eq!(TemplateName::parse(name.as_str()), Some(name));
        }
        assert_eq!(TemplateName::parse("newsletter"), None);
        assert_eq!(TemplateName::parse("Welcome"), None);
    }

    #[test]
    fn every_default_template_is_valid_and_renders_its_sample() {
        for name in TemplateName::ALL {
            let t = name.default_template();
            assert_eq!(t.validate(name, &pages()), Ok(()), "{name:?}");
            let r = t.render(&name.sample_context()).expect("renders");
            assert!(!r.subject.is_empty() && !r.subject.contains('\n'), "{name:?}: {}", r.subject);
            assert!(r.html.is_some());
        }
    }

    #[test]
    fn password_reset_has_no_sms_and_carries_the_link() {
        let t = TemplateName::PasswordReset.default_template();
        assert!(t.sms.is_none());
        let r = t.render(&TemplateName::PasswordReset.sample_context()).expect("renders");
        assert!(r.text.contains("https://example.com/reset-password?token=sample"));
    }

    #[test]
    fn cancellation_text_depends_on_the_reason() {
        let t = TemplateName::OrderCancelled.default_template();
        let ctx = |reason: &str| {
            json!({ "email": "a@b.co", "user_id": "u", "order_id": "o1", "total": "1.00 EUR", "reason": reason,
                     "apology": reason != "customer_request", "money": "nothing_charged" })
        };
        let sorry = t.render(&ctx("payment_failed")).expect("renders");
        assert!(sorry.subject.starts_with("Sorry"), "{}", sorry.subject);
        assert!(sorry.text.contains("did not go through"));
        let stock = t.render(&ctx("stock_rejected")).expect("renders");
        assert!(stock.text.contains("no longer in stock"));
        let asked = t.render(&ctx("customer_request")).expect("renders");
        assert!(!asked.subject.contains("Sorry"));
        assert!(asked.text.contains("as you asked"));
    }

    #[test]
    fn html_escapes_values_and_text_does_not() {
        let t = Template {
            subject: "Hi {{ email }}".into(),
            text: "{{ email }}".into(),
            html: Some("<b>{{ email }}</b>".into()),
            sms: None,
        };
        let r = t.render(&json!({ "email": "<a&b>" })).expect("renders");
        assert_eq!(r.text, "<a&b>");
        assert_eq!(r.html.as_deref(), Some("<b>&lt;a&amp;b&gt;</b>"));
    }

    #[test]
    fn syntax_errors_and_unknown_variables_are_refused_with_the_part() {
        let mut t = TemplateName::Welcome.default_template();
        t.text = "Hello {{ email ".into();
        let errors = t.validate(TemplateName::Welcome, &pages()).expect_err("syntax");
        assert_eq!(errors[0].part, "text");
        t.text = "Hello {{ emial }}".into();
        let errors = t.validate(TemplateName::Welcome, &pages()).expect_err("undefined");
        assert_eq!(errors[0].part, "text");
        assert!(errors[0].message.contains("undefined"), "{}", errors[0].message);
        t.text = "ok".into();
        t.subject = " ".into();
        assert_eq!(t.validate(TemplateName::Welcome, &pages()).expect_err("empty")[0].part, "subject");
    }

    #[test]
    fn strict_undefined_fails_rendering() {
        let t = Template { subject: "{{ nope }}".into(), text: "x".into(), html: None, sms: None };
        assert_eq!(t.render(&json!({})).expect_err("strict").part, "subject");
    }
}

/// Whether a template is the built-in default or a stored custom one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "NotificationTemplateSource")]
pub enum TemplateSource {
    Custom,
    Default,
}

/// A template as `GET`/`PUT /notifications/templates/{name}` answer it (fields in
/// alphabetical order, as the JSON has always been written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "NotificationTemplate")]
pub struct TemplateView {
    pub html: Option<String>,
    pub name: TemplateName,
    pub sms: Option<String>,
    pub source: TemplateSource,
    pub subject: String,
    pub text: String,
    /// When the custom template was stored; null for the default.
    pub updated_at: Option<String>,
}

impl TemplateView {
    pub fn new(
        name: TemplateName,
        source: TemplateSource,
        template: Template,
        updated_at: Option<String>,
    ) -> TemplateView {
        TemplateView {
            html: template.html,
            name,
            sms: template.sms,
            source,
            subject: template.subject,
            text: template.text,
            updated_at,
        }
    }
}

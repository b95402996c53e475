//! What the functions "sent": the email (SES) and SMS (SNS) moto recorded, read from its
//! `GET /moto-api/data.json?services=ses,sns` (infra/moto/server.py serializes only those
//! two; a plain moto_server ignores the query and sends everything) and shaped for people and tests. Served by the gateway at
//! `GET /_local/outbox` and printed by `devstack outbox`.
//!
//! moto 5.2.5 keeps, in data.json:
//! - `ses.Message[]`: `{id, source, destinations: {ToAddresses, CcAddresses?, BccAddresses?},
//!   subject, body}` for SES v1/v2 simple sends (only the HTML part when both are sent);
//! - `ses.RawMessage[]`: `{id, source, destinations: [addr...], raw_data}` for raw sends;
//! - `sns.SMS[]`: `{message_id, phone_number, message}`.

use serde::Serialize;
use serde_json::Value;

/// Everything sent so far, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outbox {
    pub emails: Vec<Email>,
    pub sms: Vec<Sms>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Email {
    /// Every recipient (To, Cc, Bcc), comma-separated as in a mail header.
    pub to: String,
    pub from: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sms {
    pub phone_number: String,
    pub message: String,
}

/// Fetches moto's data.json from `moto_endpoint` (e.g. `http://127.0.0.1:4566`) and shapes it.
pub async fn fetch(client: &reqwest::Client, moto_endpoint: &str) -> anyhow::Result<Outbox> {
    let url = format!("{}/moto-api/data.json?services=ses,sns", moto_endpoint.trim_end_matches('/'));
    let data = crate::web::json(client.get(&url), &format!("GET {url}")).await?;
    Ok(from_moto_data(&data))
}

/// Shapes moto's data.json; unknown or missing parts are skipped, never an error.
pub fn from_moto_data(data: &Value) -> Outbox {
    let list = |service: &str, kind: &str| -> Vec<Value> {
        data.pointer(&format!("/{service}/{kind}")).and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let mut emails: Vec<Email> = list("ses", "Message").iter().map(simple_email).collect();
    emails.extend(list("ses", "RawMessage").iter().map(raw_email));
    let sms = list("sns", "SMS")
        .iter()
        .map(|m| Sms { phone_number: text(m, "phone_number"), message: text(m, "message") })
        .collect();
    Outbox { emails, sms }
}

fn simple_email(message: &Value) -> Email {
    let destinations = message.get("destinations").cloned().unwrap_or(Value::Null);
    let to: Vec<String> = ["ToAddresses", "CcAddresses", "BccAddresses"]
        .iter()
        .filter_map(|kind| destinations.get(kind).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    Email {
        to: to.join(", "),
        from: text(message, "source"),
        subject: text(message, "subject"),
        body: text(message, "body"),
    }
}

/// A raw MIME message: the subject comes from its headers, the body is what follows them.
fn raw_email(message: &Value) -> Email {
    let raw = text(message, "raw_data");
    let (head, body) = raw.split_once("\r\n\r\n").or_else(|| raw.split_once("\n\n")).unwrap_or((raw.as_str(), ""));
    let subject = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("subject").then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    // moto lists a raw message's recipients once per header it found them in.
    let mut to: Vec<String> = message
        .get("destinations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    to.dedup();
    Email { to: to.join(", "), from: text(message, "source"), subject, body: body.to_owned() }
}

fn text(value: &Value, key: &str) -> String {
    value.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_moto_data_json() {
        // Trimmed from a real moto 5.2.5 data.json after one sesv2 simple send, one raw send
        // and one SNS SMS publish.
        let data = json!({
            "ses": {
                "Message": [{
                    "body": "<p>html</p>",
                    "destinations": {"ToAddresses": ["a@x.com"]},
                    "id": "x", "source": "noreply@bazaar.local", "subject": "Hello"
                }],
                "RawMessage": [{
                    "destinations": ["d@x.com", "d@x.com"], "id": "y",
                    "raw_data": "From: noreply@bazaar.local\r\nTo: d@x.com\r\nSubject: Raw one\r\n\r\nraw body",
                    "source": "noreply@bazaar.local"
                }]
            },
            "sns": {"SMS": [{"message": "Your code is 123", "message_id": "m", "phone_number": "+15555550100"}]}
        });
        let outbox = from_moto_data(&data);
        assert_eq!(
            outbox.emails,
            vec![
                Email {
                    to: "a@x.com".into(),
                    from: "noreply@bazaar.local".into(),
                    subject: "Hello".into(),
                    body: "<p>html</p>".into()
                },
                Email {
                    to: "d@x.com".into(),
                    from: "noreply@bazaar.local".into(),
                    subject: "Raw one".into(),
                    body: "raw body".into()
                },
            ]
        );
        assert_eq!(outbox.sms, vec![Sms { phone_number: "+15555550100".into(), message: "Your code is 123".into() }]);
    }

    #[test]
    fn empty_data_is_an_empty_outbox() {
        assert_eq!(from_moto_data(&json!({})), Outbox::default());
    }
}

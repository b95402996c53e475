//! When a consumer's failed message comes back: later after every receive. Lambda leaves a
//! message its function reported failed in flight until the queue's visibility timeout
//! ends, the same wait every time; [`Retries`] hides it instead for a delay that doubles
//! with its receive count ([`Backoff`]), as SQS's ChangeMessageVisibility allows. After
//! the queue's maxReceiveCount receives it goes to the DLQ as before.

use bazaar_runtime::config::{ConfigError, Env};

/// The longest SQS hides a message: a visibility timeout of 12 hours.
pub const MAX_DELAY_SECONDS: u32 = 43_200;

/// How long a failed message stays hidden before its next receive: `base_seconds` after
/// its first receive, twice that after the second, four times after the third, … never
/// longer than `cap_seconds` (nor SQS's 12 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base_seconds: u32,
    pub cap_seconds: u32,
}

impl Backoff {
    /// The root template's defaults, `RetryBaseSeconds` and `RetryCapSeconds` (README
    /// "Dead letters" says why these).
    pub const DEFAULT: Backoff = Backoff { base_seconds: 10, cap_seconds: 300 };

    /// `RETRY_BASE_SECONDS` and `RETRY_CAP_SECONDS`, [`Backoff::DEFAULT`]'s where unset.
    pub fn from_env(env: &Env) -> Result<Backoff, ConfigError> {
        Ok(Backoff {
            base_seconds: env.parsed_or("RETRY_BASE_SECONDS", Backoff::DEFAULT.base_seconds)?,
            cap_seconds: env.parsed_or("RETRY_CAP_SECONDS", Backoff::DEFAULT.cap_seconds)?,
        })
    }

    /// The delay after a message's `receive_count`th receive (SQS's
    /// `ApproximateReceiveCount`, 1 on the first): min(cap, base · 2^(count − 1)), without
    /// overflow, and at most 12 hours. A count of 0 (unknown) is taken as 1.
    pub fn delay_seconds(self, receive_count: u32) -> u32 {
        let factor = 1u32.checked_shl(receive_count.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base_seconds.saturating_mul(factor).min(self.cap_seconds).min(MAX_DELAY_SECONDS)
    }
}

/// The URL of the queue `arn` names (`arn:aws:sqs:us-east-1:123456789012:orders` →
/// `https://sqs.us-east-1.amazonaws.com/123456789012/orders`), what SQS's calls take: a
/// Lambda SQS record names its queue by ARN only, and working the URL out spares a
/// GetQueueUrl per message (which the consumers' roles do not grant). SQS reads the account
/// and the name from it, so it serves the same queue through an endpoint of its own
/// (`AWS_ENDPOINT_URL`, the local cloud's). `None` for anything but an SQS ARN.
pub fn queue_url(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("sqs"), Some(region), Some(account), Some(name)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if [partition, region, account, name].iter().any(|p| p.is_empty()) || name.contains([':', '/']) {
        return None;
    }
    let domain = if partition == "aws-cn" { "amazonaws.com.cn" } else { "amazonaws.com" };
    Some(format!("https://sqs.{region}.{domain}/{account}/{name}"))
}

/// Where a failed record goes back to, and when: what [`Retries::back_off`] needs of it,
/// taken before the handler consumes the record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    queue_arn: Option<String>,
    receipt_handle: Option<String>,
    receive_count: u32,
}

impl Receipt {
    pub fn of(message: &aws_lambda_events::sqs::SqsMessage) -> Receipt {
        Receipt {
            queue_arn: message.event_source_arn.clone(),
            receipt_handle: message.receipt_handle.clone(),
            receive_count: message.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(0),
        }
    }
}

/// Hides a consumer's failed messages for their [`Backoff`] delay (SQS
/// ChangeMessageVisibility on the record's queue; the function's role grants
/// `sqs:ChangeMessageVisibility` on its queue).
#[cfg(feature = "sqs")]
#[derive(Debug, Clone)]
pub struct Retries {
    sqs: aws_sdk_sqs::Client,
    backoff: Backoff,
}

#[cfg(feature = "sqs")]
impl Retries {
    pub fn new(sqs: aws_sdk_sqs::Client, backoff: Backoff) -> Retries {
        Retries { sqs, backoff }
    }

    /// An SQS client of `config` and the backoff of `env` ([`Backoff::from_env`]).
    pub fn from_env(config: &aws_types::SdkConfig, env: &Env) -> Result<Retries, ConfigError> {
        Ok(Retries::new(aws_sdk_sqs::Client::new(config), Backoff::from_env(env)?))
    }

    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// Hides the failed record of `receipt` for its delay. Never fails: when SQS refuses or
    /// cannot be reached, the message comes back after the queue's visibility timeout, as
    /// it would without a backoff, and a warning says so. A record without a queue or a
    /// receipt handle (a hand-made event; Lambda's always have both) is left as it is.
    pub async fn back_off(&self, receipt: &Receipt) {
        let (Some(arn), Some(handle)) = (receipt.queue_arn.as_deref(), receipt.receipt_handle.as_deref()) else {
            tracing::debug!("the record names no queue or receipt handle; it returns after the queue's timeout");
            return;
        };
        let Some(url) = queue_url(arn) else {
            tracing::warn!(queue = arn, "not an SQS queue's ARN; the message returns after the queue's timeout");
            return;
        };
        let delay = self.backoff.delay_seconds(receipt.receive_count);
        let changed = self
            .sqs
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(handle)
            .visibility_timeout(i32::try_from(delay).unwrap_or(i32::MAX))
            .send()
            .await;
        match changed {
            Ok(_) => {
                tracing::debug!(receive_count = receipt.receive_count, delay, "the message returns after its delay")
            }
            // The error names the call and SQS's code; it carries no credential.
            Err(e) => tracing::warn!(
                queue = arn,
                error = %aws_sdk_sqs::error::DisplayErrorContext(&e),
                "could not delay the failed message; it returns after the queue's timeout"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_with_every_receive_up_to_the_cap() {
        let backoff = Backoff { base_seconds: 1, cap_seconds: 60 };
        let delays: Vec<u32> = (1..=8).map(|n| backoff.delay_seconds(n)).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff.delay_seconds(0), 1, "an unknown count is the first receive");
        let defaults: Vec<u32> = (1..=5).map(|n| Backoff::DEFAULT.delay_seconds(n)).collect();
        assert_eq!(defaults, [10, 20, 40, 80, 160]);
    }

    #[test]
    fn the_delay_never_overflows_nor_passes_twelve_hours() {
        let huge = Backoff { base_seconds: u32::MAX, cap_seconds: u32::MAX };
        assert_eq!(huge.delay_seconds(1), MAX_DELAY_SECONDS);
        assert_eq!(huge.delay_seconds(u32::MAX), MAX_DELAY_SECONDS);
        let small = Backoff { base_seconds: 3, cap_seconds: 100_000 };
        assert_eq!(small.delay_seconds(33), MAX_DELAY_SECONDS, "2^32 saturates");
        assert_eq!(small.delay_seconds(u32::MAX), MAX_DELAY_SECONDS);
    }

    #[test]
    fn a_cap_below_the_base_wins_and_a_zero_base_returns_at_once() {
        assert_eq!(Backoff { base_seconds: 30, cap_seconds: 5 }.delay_seconds(1), 5);
        assert_eq!(Backoff { base_seconds: 0, cap_seconds: 60 }.delay_seconds(4), 0);
    }

    #[test]
    fn the_backoff_is_read_from_the_environment() {
        let env = |pairs: &[(&str, &str)]| {
            Env::from_map(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
        };
        assert_eq!(Backoff::from_env(&env(&[])).expect("defaults"), Backoff::DEFAULT);
        let set = env(&[("RETRY_BASE_SECONDS", "2"), ("RETRY_CAP_SECONDS", "30")]);
        assert_eq!(Backoff::from_env(&set).expect("set"), Backoff { base_seconds: 2, cap_seconds: 30 });
        let bad = Backoff::from_env(&env(&[("RETRY_CAP_SECONDS", "-1")])).expect_err("negative");
        assert!(bad.to_string().contains("RETRY_CAP_SECONDS"), "{bad}");
    }

    #[test]
    fn a_queue_arn_becomes_its_url() {
        assert_eq!(
            queue_url("arn:aws:sqs:us-east-1:123456789012:bazaar-dev-orders-on-stock").as_deref(),
            Some("https://sqs.us-east-1.amazonaws.com/123456789012/bazaar-dev-orders-on-stock")
        );
        assert_eq!(
            queue_url("arn:aws-cn:sqs:cn-north-1:123456789012:q.fifo").as_deref(),
            Some("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q.fifo")
        );
        for not_a_queue in [
            "",
            "arn:aws:sns:us-east-1:123456789012:topic",
            "arn:aws:sqs:us-east-1:123456789012",
            "arn:aws:sqs::123456789012:q",
            "arn:aws:sqs:us-east-1:123456789012:a/b",
            "arn:aws:sqs:us-east-1:123456789012:a:b",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        ] {
            assert_eq!(queue_url(not_a_queue), None, "{not_a_queue}");
        }
    }

    #[test]
    fn a_receipt_reads_the_records_queue_handle_and_receive_count() {
        let mut message = aws_lambda_events::sqs::SqsMessage::default();
        assert_eq!(Receipt::of(&message), Receipt::default());
        message.event_source_arn = Some("arn:aws:sqs:us-east-1:1:q".into());
        message.receipt_handle = Some("h".into());
        message.attributes.insert("ApproximateReceiveCount".into(), "3".into());
        let receipt = Receipt::of(&message);
        assert_eq!(
            (receipt.queue_arn.as_deref(), receipt.receipt_handle.as_deref()),
            (Some("arn:aws:sqs:us-east-1:1:q"), Some("h"))
        );
        assert_eq!(receipt.receive_count, 3);
        message.attributes.insert("ApproximateReceiveCount".into(), "many".into());
        assert_eq!(Receipt::of(&message).receive_count, 0);
    }
}

//! Daily send caps: every user's sends are counted per channel and UTC day, in one counter
//! item each (`CAP#<user>#<channel>#<day>/CAP`), taken by a conditional update, so
//! concurrent sends never exceed a cap. Until a user verified their address, its email
//! cap is the lower `unverified_emails_per_day`. A security message (a link the user asked
//! for) is never counted here: auth caps those where they are asked for.

use bazaar_runtime::config::{ConfigError, Env};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::Channel;

/// The caps, from the template's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendCaps {
    /// `EMAILS_PER_USER_PER_DAY`.
    pub emails_per_day: u64,
    /// `UNVERIFIED_EMAILS_PER_DAY`: emails a day to an address not verified yet.
    pub unverified_emails_per_day: u64,
    /// `SMS_PER_USER_PER_DAY`.
    pub sms_per_day: u64,
}

impl SendCaps {
    pub fn from_env(env: &Env) -> Result<SendCaps, ConfigError> {
        Ok(SendCaps {
            emails_per_day: env.parsed_or("EMAILS_PER_USER_PER_DAY", 50)?,
            unverified_emails_per_day: env.parsed_or("UNVERIFIED_EMAILS_PER_DAY", 3)?,
            sms_per_day: env.parsed_or("SMS_PER_USER_PER_DAY", 10)?,
        })
    }

    /// The cap of `channel` for a user whose address is (or is not) `verified`, and the
    /// reason a send over it is skipped.
    pub fn of(&self, channel: Channel, verified: bool) -> (u64, SkipReason) {
        match channel {
            Channel::Sms => (self.sms_per_day, SkipReason::DailyCap),
            Channel::Email if verified => (self.emails_per_day, SkipReason::DailyCap),
            Channel::Email => {
                (self.unverified_emails_per_day.min(self.emails_per_day), SkipReason::UnverifiedAddressCap)
            }
        }
    }
}

/// Why a send was skipped (never retried), as the delivery log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "NotificationSkipReason")]
pub enum SkipReason {
    /// The user's sends on this channel reached the day's cap.
    DailyCap,
    /// The address is not verified yet and received the few emails a day it may.
    UnverifiedAddressCap,
    /// The phone number is not verified: no SMS goes to it.
    PhoneUnverified,
}

/// The counter of `user_id`'s sends of `kind` (a channel, `phone-code`) on the UTC day of `at`.
pub(crate) fn cap_pk(user_id: &str, kind: &str, at: DateTime<Utc>) -> String {
    format!("CAP#{user_id}#{kind}#{}", at.format("%Y-%m-%d"))
}

/// Counters are kept two days past their day (DynamoDB's TTL deletes them).
pub(crate) fn cap_expiry(at: DateTime<Utc>) -> i64 {
    at.date_naive().and_hms_opt(0, 0, 0).map_or(at.timestamp(), |midnight| midnight.and_utc().timestamp())
        + 3 * 24 * 3600
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unverified_address_gets_the_lower_cap() {
        let caps = SendCaps { emails_per_day: 50, unverified_emails_per_day: 3, sms_per_day: 10 };
        assert_eq!(caps.of(Channel::Email, true), (50, SkipReason::DailyCap));
        assert_eq!(caps.of(Channel::Email, false), (3, SkipReason::UnverifiedAddressCap));
        assert_eq!(caps.of(Channel::Sms, false), (10, SkipReason::DailyCap));
        let tight = SendCaps { emails_per_day: 2, ..caps };
        assert_eq!(tight.of(Channel::Email, false).0, 2, "never more than the verified cap");
    }

    #[test]
    fn a_days_counter_is_named_by_its_utc_date() {
        let at = DateTime::parse_from_rfc3339("2026-11-21T23:59:59Z").expect("t").with_timezone(&Utc);
        assert_eq!(cap_pk("u1", Channel::Sms.as_str(), at), "CAP#u1#sms#2026-11-21");
        assert_eq!(cap_expiry(at), at.timestamp() + 1 + 2 * 24 * 3600);
    }
}

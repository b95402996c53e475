//! The webhook's HMAC secret: an SSM SecureString, read on first use and cached, so an
//! unreachable parameter store fails a request with 503 rather than the cold start, and a
//! rotated secret is picked up without a redeploy.

use std::sync::Arc;
use std::time::Duration;

use bazaar_aws::ssm::CachedParameter;
use bazaar_runtime::config::{ConfigError, Env};

use crate::PaymentError;

/// How long the secret read from SSM is trusted before it is read again.
pub const SECRET_CACHE_TTL: Duration = Duration::from_secs(300);

/// The secret's bytes. Never logged: `Debug` is redacted.
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn parse(text: &str) -> anyhow::Result<Secret> {
    let text = text.trim();
    anyhow::ensure!(text.len() >= 16, "the webhook secret must be at least 16 characters");
    Ok(Secret(text.as_bytes().to_vec()))
}

pub struct WebhookSecret {
    param: CachedParameter<Secret>,
}

impl WebhookSecret {
    pub fn new(client: aws_sdk_ssm::Client, parameter: impl Into<String>) -> Self {
        WebhookSecret { param: CachedParameter::new(client, parameter, true, SECRET_CACHE_TTL, parse) }
    }

    /// The parameter named by `PAYMENTS_WEBHOOK_SECRET_PARAMETER`.
    pub fn from_env(config: &aws_types::SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self::new(aws_sdk_ssm::Client::new(config), env.required("PAYMENTS_WEBHOOK_SECRET_PARAMETER")?))
    }

    pub async fn get(&self) -> Result<Arc<Secret>, PaymentError> {
        self.param.get().await.map_err(PaymentError::SecretUnavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_secret_is_refused_and_a_secret_never_prints() {
        assert!(parse("short").is_err());
        let secret = parse(" whsec_0123456789abcdef \n").expect("parses");
        assert_eq!(secret.expose(), b"whsec_0123456789abcdef");
        assert_eq!(format!("{secret:?}"), "Secret(..)");
    }
}

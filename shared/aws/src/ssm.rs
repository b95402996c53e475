//! SSM parameters read lazily and cached for a while: keys are fetched on first use (an
//! unreachable parameter store fails one request with 503, not the whole cold start) and
//! re-read after the TTL so a key rotation is picked up without a redeploy.

use std::time::{Duration, Instant};

use aws_sdk_ssm::Client;
use tokio::sync::RwLock;

pub struct CachedParameter {
    client: Client,
    name: String,
    decrypt: bool,
    ttl: Duration,
    cache: RwLock<Option<(Instant, String)>>,
}

impl CachedParameter {
    pub fn new(client: Client, name: impl Into<String>, decrypt: bool, ttl: Duration) -> Self {
        CachedParameter { client, name: name.into(), decrypt, ttl, cache: RwLock::new(None) }
    }

    /// The value, from cache while fresh.
    pub async fn get(&self) -> anyhow::Result<String> {
        if let Some((at, value)) = self.cache.read().await.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(value.clone());
        }
        self.refresh().await
    }

    /// Reads the parameter now (e.g. when a token names a key id not yet cached).
    pub async fn refresh(&self) -> anyhow::Result<String> {
        let out =
            self.client.get_parameter().name(&self.name).with_decryption(self.decrypt).send().await.map_err(|e| {
                anyhow::anyhow!("reading SSM parameter {}: {}", self.name, aws_sdk_ssm::error::DisplayErrorContext(e))
            })?;
        let value = out
            .parameter()
            .and_then(|p| p.value())
            .ok_or_else(|| anyhow::anyhow!("SSM parameter {} has no value", self.name))?
            .to_owned();
        *self.cache.write().await = Some((Instant::now(), value.clone()));
        Ok(value)
    }

    /// When the cached value was read, if any (lets callers rate-limit forced refreshes).
    pub async fn age(&self) -> Option<Duration> {
        self.cache.read().await.as_ref().map(|(at, _)| at.elapsed())
    }
}

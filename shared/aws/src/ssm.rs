//! SSM parameters read lazily and cached, parsed, for a while: keys are fetched on first
//! use (an unreachable parameter store fails one request with 503, not the whole cold
//! start), parsed once per read rather than once per request, and re-read after the TTL so
//! a key rotation is picked up without a redeploy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_ssm::Client;
use tokio::sync::RwLock;

pub struct CachedParameter<T> {
    client: Client,
    name: String,
    decrypt: bool,
    ttl: Duration,
    parse: fn(&str) -> anyhow::Result<T>,
    cache: RwLock<Option<(Instant, Arc<T>)>>,
}

impl<T> CachedParameter<T> {
    /// `parse` turns the stored text into the value handed out; a value that does not
    /// parse is an error and is not cached.
    pub fn new(
        client: Client,
        name: impl Into<String>,
        decrypt: bool,
        ttl: Duration,
        parse: fn(&str) -> anyhow::Result<T>,
    ) -> Self {
        CachedParameter { client, name: name.into(), decrypt, ttl, parse, cache: RwLock::new(None) }
    }

    /// The parsed value, from cache while fresh.
    pub async fn get(&self) -> anyhow::Result<Arc<T>> {
        if let Some((at, value)) = self.cache.read().await.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(Arc::clone(value));
        }
        self.refresh().await
    }

    /// Reads and parses the parameter now (e.g. when a token names a key id not yet cached).
    pub async fn refresh(&self) -> anyhow::Result<Arc<T>> {
        let out =
            self.client.get_parameter().name(&self.name).with_decryption(self.decrypt).send().await.map_err(|e| {
                anyhow::anyhow!("reading SSM parameter {}: {}", self.name, aws_sdk_ssm::error::DisplayErrorContext(e))
            })?;
        let text = out
            .parameter()
            .and_then(|p| p.value())
            .ok_or_else(|| anyhow::anyhow!("SSM parameter {} has no value", self.name))?;
        let value =
            Arc::new((self.parse)(text).map_err(|e| e.context(format!("parsing SSM parameter {}", self.name)))?);
        *self.cache.write().await = Some((Instant::now(), Arc::clone(&value)));
        Ok(value)
    }

    /// When the cached value was read, if any (lets callers rate-limit forced refreshes).
    pub async fn age(&self) -> Option<Duration> {
        self.cache.read().await.as_ref().map(|(at, _)| at.elapsed())
    }
}

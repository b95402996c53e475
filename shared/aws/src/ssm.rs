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

/// A stage's link key (`bazaar_runtime::links`): the SSM SecureString named by
/// `LINK_KEY_PARAMETER`, read on first use and cached like the other secrets. Auth opens
/// the tokens of the links notifications mails; only those two services read it.
pub struct LinkSecret(CachedParameter<bazaar_runtime::links::LinkKey>);

impl LinkSecret {
    /// How long the key read from SSM is trusted before it is read again.
    pub const TTL: Duration = Duration::from_secs(300);

    pub fn new(ssm: Client, parameter: impl Into<String>) -> LinkSecret {
        LinkSecret(CachedParameter::new(ssm, parameter, true, Self::TTL, bazaar_runtime::links::LinkKey::parse))
    }

    /// The parameter named by `LINK_KEY_PARAMETER`, read with a client built from `config`.
    pub fn from_env(
        config: &aws_types::SdkConfig,
        env: &bazaar_runtime::config::Env,
    ) -> Result<LinkSecret, bazaar_runtime::config::ConfigError> {
        Ok(LinkSecret::new(Client::new(config), env.required("LINK_KEY_PARAMETER")?))
    }

    /// The key, or why it cannot be read now.
    pub async fn get(&self) -> anyhow::Result<Arc<bazaar_runtime::links::LinkKey>> {
        self.0.get().await
    }

    /// The key, or a 503 problem when it cannot be read now (the cause is logged, not sent).
    pub async fn key(&self) -> Result<Arc<bazaar_runtime::links::LinkKey>, bazaar_runtime::Problem> {
        self.get().await.map_err(|e| {
            tracing::error!(error = format!("{e:#}"), "the link key cannot be read");
            bazaar_runtime::Problem::unavailable()
        })
    }
}

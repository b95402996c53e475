//! Runtime glue shared by every Bazaar function: configuration from the environment, AWS
//! SDK configuration, JSON logs, EMF metrics, `application/problem+json` errors, the caller's identity
//! from the authorizer context, correlation ids, and single-use link tokens.

pub mod config;
pub mod correlation;
pub mod http;
pub mod identity;
pub mod links;
pub mod logging;
pub mod metrics;
pub mod patch;
pub mod problem;
pub mod testing;
pub mod text;

pub use correlation::CorrelationId;
pub use http::{ApiError, RequestCx};
pub use identity::{Action, Identity, Owner};
pub use problem::Problem;

// For the `main` macros, so that a function crate needs no runtime dependency of its own for them.
#[doc(hidden)]
pub use lambda_runtime;

/// The `main` of an event function crate (a consumer, publisher, schedule or the authorizer)
/// whose library exposes `Deps::new(&SdkConfig, &Env)` and `handler(&Deps, LambdaEvent<E>)`:
/// the twin of [`http_main!`]. Logging, dependencies built once at init, then the runtime.
#[macro_export]
macro_rules! event_main {
    ($krate:ident $(, $without_aws:ident)?) => {
        $crate::lambda_main!($krate $(, $without_aws)?; |deps| {
            $crate::lambda_runtime::run($crate::lambda_runtime::service_fn(|event| $krate::handler(&deps, event)))
        });
    };
}

/// The `main` that [`event_main!`] and [`http_main!`] share: JSON logs, the function's
/// `Deps` built once at init (bound to `$deps`), then `$serve` until the runtime stops.
#[doc(hidden)]
#[macro_export]
macro_rules! lambda_main {
    ($krate:ident $(, $without_aws:ident)?; |$deps:ident| $serve:expr) => {
        // One thread: Lambda hands a function one event at a time, and a worker pool is only
        // threads to start at init.
        #[tokio::main(flavor = "current_thread")]
        async fn main() -> Result<(), $crate::lambda_runtime::Error> {
            $crate::logging::init();
            let $deps = $crate::init_deps!($krate $(, $without_aws)?)?;
            $serve.await
        }
    };
}

/// A function's `Deps`, built at init from the SDK configuration and the process's
/// environment (the template's variables). `without_aws`, for a function that calls no AWS
/// service, skips loading the SDK configuration (credentials, TLS roots): `new` gets an
/// empty one.
#[doc(hidden)]
#[macro_export]
macro_rules! init_deps {
    ($krate:ident) => {
        $krate::Deps::new(&$crate::sdk_config().await, &$crate::config::Env::process())
    };
    ($krate:ident, without_aws) => {
        $krate::Deps::new(&$crate::no_sdk_config(), &$crate::config::Env::process())
    };
}

/// The `Deps` of a function that needs nothing built at init (`pub use
/// bazaar_runtime::NoDeps as Deps;`, with `http_main!(krate, without_aws)`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDeps;

impl NoDeps {
    pub fn new(_config: &aws_types::SdkConfig, _env: &config::Env) -> anyhow::Result<NoDeps> {
        Ok(NoDeps)
    }
}

/// An empty SDK configuration, for the `Deps::new` of a function that calls no AWS service.
pub fn no_sdk_config() -> aws_types::SdkConfig {
    aws_types::SdkConfig::builder().build()
}

/// The AWS SDK configuration every function builds its clients from, once, at init: what
/// Lambda puts in a function's environment, [`sdk_config_from`] the process's.
pub async fn sdk_config() -> aws_types::SdkConfig {
    sdk_config_from(|name| std::env::var(name).ok())
}

/// The SDK configuration of a Lambda function from its environment `var`: the region
/// (`AWS_REGION`, else `AWS_DEFAULT_REGION`), the execution role's credentials
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, read when a client
/// first signs) and, set only locally, `AWS_ENDPOINT_URL` (every client at the emulator).
/// The SDK's default chains (profiles, SSO, web identity through STS, IMDS) cannot apply in
/// Lambda: not building them keeps them out of init and, with LTO, out of the binary. Tools
/// on a developer's machine (devstack) load the full default chain instead.
pub fn sdk_config_from(var: impl Fn(&str) -> Option<String>) -> aws_types::SdkConfig {
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_credential_types::provider::SharedCredentialsProvider;
    let mut config = aws_types::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
        // What the default loader sets too: three attempts, connects given 3.1 s.
        .retry_config(RetryConfig::standard())
        .timeout_config(TimeoutConfig::builder().connect_timeout(std::time::Duration::from_millis(3100)).build());
    config.set_region(var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).map(aws_types::region::Region::new));
    config.set_endpoint_url(var("AWS_ENDPOINT_URL").filter(|url| !url.is_empty()));
    config.build()
}

/// The roots every AWS endpoint's certificate chains to (Amazon Trust Services: Amazon Root
/// CA 1 to 4 and the Starfield Services G2 cross-sign), as Debian's ca-certificates ships
/// them (certs/amazon-trust-services.pem).
pub const AMAZON_TRUST_SERVICES: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// `BAZAAR_TLS_ROOTS=system` trusts the system's certificate store instead of
/// [`AMAZON_TRUST_SERVICES`] (an HTTPS endpoint that is not AWS's, such as an emulator's).
pub const TLS_ROOTS_VAR: &str = "BAZAAR_TLS_ROOTS";

/// The HTTP(S) client of every SDK client: hyper with rustls on ring. The SDK crates are built
/// without a default client (Cargo.toml), so this is the only TLS stack a function links; the
/// SDK's default would add aws-lc (about a third of a function's zip). It trusts only the
/// embedded Amazon roots: the default trust store parses all of /etc/ssl/certs when a client
/// is built, about half of a function's init.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = match std::env::var(TLS_ROOTS_VAR).as_deref() {
        Ok("system") => TrustStore::default(),
        _ => TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES),
    };
    // Building a TlsContext cannot fail today; were it to, the SDK's default context stands in.
    let tls = TlsContext::builder().with_trust_store(trust).build().unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls)
        .build_https()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};

    /// The SHA-256 fingerprints Amazon Trust Services publishes (amazontrust.com/repository)
    /// for Amazon Root CA 1, 2, 3, 4 and Starfield Services Root Certificate Authority - G2.
    const PUBLISHED: [&str; 5] = [
        "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
        "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
        "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
        "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
        "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
    ];

    #[test]
    fn the_sdk_configuration_is_lambdas_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        let local = super::sdk_config_from(env(&[
            ("AWS_REGION", "eu-central-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ]));
        assert_eq!(local.region().map(|r| r.as_ref()), Some("eu-central-1"));
        assert_eq!(local.endpoint_url(), Some("http://127.0.0.1:4566"));
        assert!(local.credentials_provider().is_some());
        assert!(local.http_client().is_some());
        assert_eq!(local.retry_config().map(|r| r.max_attempts()), Some(3));

        let deployed = super::sdk_config_from(env(&[("AWS_DEFAULT_REGION", "us-west-2"), ("AWS_ENDPOINT_URL", "")]));
        assert_eq!(deployed.region().map(|r| r.as_ref()), Some("us-west-2"));
        assert_eq!(deployed.endpoint_url(), None);
    }

    #[test]
    fn the_embedded_roots_are_exactly_the_amazon_trust_services_ones() {
        let pem = std::str::from_utf8(super::AMAZON_TRUST_SERVICES).expect("PEM is text");
        let fingerprints: Vec<String> = pem
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|block| {
                let body = block.split("-----END CERTIFICATE-----").next().expect("an END line");
                let b64: String = body.split_whitespace().collect();
                let der = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
                Sha256::digest(der).iter().map(|b| format!("{b:02x}")).collect()
            })
            .collect();
        assert_eq!(fingerprints, PUBLISHED);
    }
}

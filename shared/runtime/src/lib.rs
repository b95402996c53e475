//! Runtime glue shared by every Bazaar function: configuration from the environment, AWS
//! SDK configuration, JSON logs, EMF metrics, `application/problem+json` errors, the caller's identity
//! from the authorizer context, and correlation ids.

pub mod config;
pub mod correlation;
pub mod http;
pub mod identity;
pub mod logging;
pub mod metrics;
pub mod patch;
pub mod problem;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use correlation::CorrelationId;
pub use http::{ApiError, RequestCx};
pub use identity::Identity;
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
        #[tokio::main]
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

/// The AWS SDK configuration every function builds its clients from, once, at init.
/// `AWS_ENDPOINT_URL` (set only locally) points every client at the emulator.
pub async fn sdk_config() -> aws_types::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client()).load().await
}

/// The HTTP(S) client of every SDK client: hyper with rustls on ring. The SDK crates are built
/// without a default client (Cargo.toml), so this is the only TLS stack a function links; the
/// SDK's default would add aws-lc (about a third of a function's zip).
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

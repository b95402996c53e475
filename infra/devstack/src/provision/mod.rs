//! Creates a planned [`Stack`] in moto through the real AWS SDK. Every step tolerates
//! "already exists", so provisioning twice into the same moto is harmless. A service's
//! tests start from a [`ServiceStack`]: one stage of the template with that service's part
//! provisioned.

mod dynamodb;
mod events;
pub mod iam;
pub mod received;
mod sqs;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::ParameterType;
use aws_types::SdkConfig;

use crate::model::Stack;
use crate::secrets::StageSecrets;
use crate::template::PlanOptions;

/// What only exists once created: queue URLs/ARNs and the tables' real stream ARNs.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    /// By queue logical id.
    pub queue_urls: BTreeMap<String, String>,
    /// By queue logical id.
    pub queue_arns: BTreeMap<String, String>,
    /// By table logical id (tables with a stream only).
    pub stream_arns: BTreeMap<String, String>,
    /// The credentials of each function's own role, by binary ([`iam`]).
    pub credentials: BTreeMap<String, aws_credential_types::Credentials>,
}

impl Provisioned {
    /// The SDK configuration of each function: `config` with its role's credentials.
    pub fn function_configs(&self, config: &SdkConfig) -> iam::FunctionConfigs {
        iam::FunctionConfigs::new(config.clone(), self.credentials.clone())
    }
}

/// Provisions tables, queues, buses and rules, topics, email identities and every
/// function's role (assumed: [`Provisioned::credentials`]). `config` is the administrator's.
pub async fn provision(stack: &Stack, config: &SdkConfig) -> anyhow::Result<Provisioned> {
    let mut out = Provisioned::default();
    let stage = stack.parameters.get("Stage").map_or("dev", String::as_str);
    out.credentials = iam::ensure_roles(&stack.functions, stage, config).await.context("roles")?;
    let ddb = aws_sdk_dynamodb::Client::new(config);
    for table in &stack.tables {
        if let Some(arn) =
            dynamodb::ensure_table(&ddb, table).await.with_context(|| format!("table {}", table.logical_id))?
        {
            out.stream_arns.insert(table.logical_id.clone(), arn);
        }
    }
    sqs::ensure_queues(&aws_sdk_sqs::Client::new(config), stack, &mut out).await?;
    events::ensure_buses_and_rules(&aws_sdk_eventbridge::Client::new(config), stack, &out).await?;
    let sns = aws_sdk_sns::Client::new(config);
    for topic in &stack.topics {
        // CreateTopic is idempotent for an unchanged name.
        sns.create_topic().name(&topic.name).send().await.with_context(|| format!("topic {}", topic.logical_id))?;
    }
    let ses = aws_sdk_sesv2::Client::new(config);
    for identity in &stack.email_identities {
        let created = ses.create_email_identity().email_identity(identity).send().await;
        tolerate_existing(created).with_context(|| format!("email identity {identity}"))?;
    }
    Ok(out)
}

/// What a service's tests run against: template.yaml planned for a stage of their own, and
/// the part of it the service's functions use ([`Stack::of_service`]) provisioned into moto.
#[derive(Debug, Clone)]
pub struct ServiceStack {
    /// SDK configuration for moto.
    pub config: SdkConfig,
    /// The whole plan: the functions' environments are read from it.
    pub stack: Stack,
    /// moto's endpoint.
    pub endpoint: String,
    /// The name of the service's own table, `<Service>Table` (`OrdersTable`).
    pub table: String,
    /// The name of the event bus.
    pub bus: String,
    /// The SDK configuration each of the service's functions runs with (its own role's
    /// credentials): what [`deps!`] and `registry!` build functions from.
    pub roles: iam::FunctionConfigs,
    /// The service's queues as created ([`ServiceStack::received`] delivers through them).
    pub provisioned: Provisioned,
}

impl ServiceStack {
    /// Plans `template` for `stage` with `parameters` overridden, and provisions `service`'s
    /// part into the moto `config` points at. The secrets' SSM parameters are the stage's
    /// own ([`StageSecrets::for_stage`]) unless `parameters` say otherwise, so stages never
    /// share a secret; when the service's functions read the cursor secret or the link key,
    /// a random one is stored.
    pub async fn provision(
        template: &Path,
        service: &str,
        stage: &str,
        parameters: &[(&str, &str)],
        config: SdkConfig,
    ) -> anyhow::Result<ServiceStack> {
        let endpoint = config.endpoint_url().context("the SDK configuration names no endpoint (moto's)")?.to_owned();
        let secrets = StageSecrets::for_stage(stage);
        // A failed message of a test's batch delivered through its queue
        // ([`ServiceStack::received`]) comes back after a second, not the stage's ten.
        let quick_retries = [("RetryBaseSeconds", "1"), ("RetryCapSeconds", "2")];
        let defaults = std::iter::once(("Stage", stage)).chain(quick_retries).chain(secrets.parameters());
        let overrides: BTreeMap<String, String> =
            defaults.chain(parameters.iter().copied()).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let opts = PlanOptions { overrides, moto_endpoint: endpoint.clone() };
        let stack =
            crate::template::plan(template, &opts).with_context(|| format!("planning {}", template.display()))?;
        let part = stack.of_service(service);
        let provisioned = provision(&part, &config).await.with_context(|| format!("provisioning {service}"))?;
        let roles = provisioned.function_configs(&config);
        let table_id = format!("{}Table", capitalized(service));
        let table = stack.table(&table_id).with_context(|| format!("the template has no {table_id}"))?.name.clone();
        let bus = stack.buses.first().context("the template has no event bus")?.name.clone();
        let out = ServiceStack { config, stack, endpoint, table, bus, roles, provisioned };
        for secret in ["CursorSecretParameter", "LinkKeyParameter"] {
            let name = out.parameter(secret)?;
            if part.functions.iter().any(|f| f.environment.values().any(|v| v == name)) {
                let value = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
                out.put_parameter(secret, &value, ParameterType::SecureString).await?;
            }
        }
        Ok(out)
    }

    /// The SDK configuration function `binary` (`orders-place`) runs with: its own role's
    /// credentials. Panics (it is for tests) when the function is not the service's.
    pub fn function_config(&self, binary: &str) -> SdkConfig {
        self.roles.of(binary).unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// The value of template parameter `name` (`JwtSigningKeyParameter`: an SSM name).
    pub fn parameter(&self, name: &str) -> anyhow::Result<&str> {
        self.stack.parameters.get(name).map(String::as_str).with_context(|| format!("the template has no {name}"))
    }

    /// The value of the SSM parameter that template parameter `parameter` names (a test
    /// reads the link key, say, to check or forge a token).
    pub async fn secret(&self, parameter: &str) -> anyhow::Result<String> {
        let out = aws_sdk_ssm::Client::new(&self.config)
            .get_parameter()
            .name(self.parameter(parameter)?)
            .with_decryption(true)
            .send()
            .await
            .with_context(|| format!("reading {parameter}"))?;
        out.parameter().and_then(|p| p.value()).map(str::to_owned).with_context(|| format!("{parameter} is empty"))
    }

    /// Writes `value` to the SSM parameter that template parameter `parameter` names,
    /// replacing what was there.
    pub async fn put_parameter(&self, parameter: &str, value: &str, kind: ParameterType) -> anyhow::Result<()> {
        crate::secrets::overwrite(&aws_sdk_ssm::Client::new(&self.config), self.parameter(parameter)?, value, kind)
            .await
    }
}

/// `devstack::test_app!(orders);` in a service's test crate defines its `TestApp`: the
/// service's [`ServiceStack`] on a unique stage of template.yaml in the shared moto (its
/// fields, `app.config`, `app.stack`, `app.table`, `app.bus`, `app.endpoint`, through
/// `Deref`), and `TestApp::spawn()`. `test_app!(auth { pub limits: RateLimits })` adds
/// fields and, instead of `spawn`, gives the crate's own spawn
/// `TestApp::service_stack(parameters)` (template parameters overridden).
///
/// The expansion names `bazaar_testkit` (the shared moto, the stage, the template's path),
/// which every test crate has and this crate cannot: its tests use the test kit.
#[macro_export]
macro_rules! test_app {
    ($service:ident) => {
        $crate::test_app!($service {});

        impl TestApp {
            /// A unique stage of template.yaml, this service's part provisioned into the shared moto.
            pub async fn spawn() -> TestApp {
                TestApp { service: Self::service_stack(&[]).await }
            }

            /// [`TestApp::spawn`] with template `parameters` overridden.
            #[allow(dead_code)]
            pub async fn spawn_with(parameters: &[(&str, &str)]) -> TestApp {
                TestApp { service: Self::service_stack(parameters).await }
            }
        }
    };
    ($service:ident { $(pub $field:ident: $ty:ty),* $(,)? }) => {
        #[doc = concat!("The ", stringify!($service), " service's test stack (its fields through `Deref`).")]
        pub struct TestApp {
            service: $crate::provision::ServiceStack,
            $(pub $field: $ty,)*
        }

        impl ::std::ops::Deref for TestApp {
            type Target = $crate::provision::ServiceStack;
            fn deref(&self) -> &Self::Target {
                &self.service
            }
        }

        impl TestApp {
            /// A unique stage of template.yaml with `parameters` overridden, and this
            /// service's part of it provisioned into the shared moto.
            async fn service_stack(parameters: &[(&str, &str)]) -> $crate::provision::ServiceStack {
                let config = ::bazaar_testkit::Moto::shared().sdk_config().await;
                let (template, stage) = (::bazaar_testkit::template_path(), ::bazaar_testkit::unique_stage());
                $crate::provision::ServiceStack::provision(&template, stringify!($service), &stage, parameters, config)
                    .await
                    .expect(concat!("the ", stringify!($service), " stack provisions"))
            }
        }
    };
}

/// `orders` → `Orders`.
fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Error codes meaning "it is already there" across the services (and moto's spelling).
const EXISTS_CODES: &[&str] = &[
    "ResourceInUseException",
    "QueueAlreadyExists",
    "QueueNameExists",
    "ResourceAlreadyExistsException",
    "AlreadyExistsException",
];

pub(crate) fn is_already_exists(err: &impl ProvideErrorMetadata) -> bool {
    err.code().is_some_and(|c| EXISTS_CODES.contains(&c))
}

/// `Ok(Some(output))` when created, `Ok(None)` when it already existed.
pub(crate) fn tolerate_existing<T, E>(result: Result<T, E>) -> anyhow::Result<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(err) if is_already_exists(&err) => Ok(None),
        Err(err) => Err(anyhow::Error::new(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::capitalized;

    #[test]
    fn a_services_table_is_named_after_it() {
        assert_eq!(format!("{}Table", capitalized("orders")), "OrdersTable");
        assert_eq!(capitalized(""), "");
    }
}

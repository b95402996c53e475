//! A running system: a stack planned from template.yaml under a unique stage, provisioned
//! into the shared moto_server, every function in process behind the devstack's gateway
//! (on a free port) and event-source pollers. Dropping it stops the gateway and pollers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_ssm::types::ParameterType;
use bazaar_testkit::{Moto, template_path, unique_stage, workspace_root};
use devstack::gateway::{Gateway, GatewayOptions};
use devstack::model::Stack;
use devstack::provision::Provisioned;
use devstack::secrets::StageSecrets;
use tokio::task::JoinSet;

use crate::api::Api;
use crate::counting::{Counter, counting};
use crate::registry::Registry;

pub const ADMIN_EMAIL: &str = "admin@bazaar.test";
pub const ADMIN_PASSWORD: &str = "staple battery horse 42";

/// How the system is set up; template parameters may be overridden.
#[derive(Debug, Clone, Default)]
pub struct SystemOptions {
    pub overrides: BTreeMap<String, String>,
    /// No event-source poller runs: a test delivers every stream record and queue message
    /// itself, in the order it chooses, through a [`crate::scheduler::Scheduler`].
    pub manual_delivery: bool,
    /// AWS failures injected into the functions' requests ([`crate::chaos`]).
    pub chaos: Option<Arc<crate::chaos::Chaos>>,
}

impl SystemOptions {
    /// Simulated payments succeed with probability `rate` (deterministic per order).
    pub fn payment_success_rate(mut self, rate: &str) -> Self {
        self.overrides.insert("PaymentSuccessRate".into(), rate.into());
        self
    }

    pub fn with(mut self, parameter: &str, value: &str) -> Self {
        self.overrides.insert(parameter.into(), value.into());
        self
    }

    /// See [`SystemOptions::chaos`].
    pub fn chaos(mut self, chaos: Arc<crate::chaos::Chaos>) -> Self {
        self.chaos = Some(chaos);
        self
    }

    /// See [`SystemOptions::manual_delivery`].
    pub fn manual_delivery(mut self) -> Self {
        self.manual_delivery = true;
        self
    }
}

pub struct System {
    pub api: Api,
    pub stack: Stack,
    pub provisioned: Provisioned,
    /// Counts every AWS request the functions and pollers make.
    pub counter: Arc<Counter>,
    /// Every function, in process; counts invocations.
    pub registry: Arc<Registry>,
    /// Uncounted: what tests use to look at state.
    pub config: aws_types::SdkConfig,
    pub moto_endpoint: String,
    pub webhook_secret: String,
    /// Every stream poller's progress (None with manual delivery): [`System::quiescent`].
    pub(crate) streams: Option<Vec<Arc<devstack::pollers::StreamProgress>>>,
    _tasks: JoinSet<()>,
}

impl System {
    pub async fn start(options: SystemOptions) -> anyhow::Result<System> {
        // A failing test shows the warnings the functions logged (a message that failed and
        // why); `RUST_LOG=info cargo test -p bazaar-system` shows everything they logged.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let moto = Moto::shared();
        let stage = unique_stage();
        // The stage's own secrets, so that systems running side by side never share one.
        let secrets = StageSecrets::for_stage(&stage);
        let defaults = [
            ("Stage", stage.as_str()),
            ("ThrottlingRateLimit", "100000"),
            ("ThrottlingBurstLimit", "100000"),
            ("AuthRateLimitPerIp", "100000"),
            // Test customers place many orders a day from unverified addresses: the caps are
            // tested where they are the point (tests/contacts.rs sets them low again).
            ("UnverifiedEmailsPerDay", "100000"),
            ("EmailsPerUserPerDay", "100000"),
            ("SmsPerUserPerDay", "100000"),
            ("PaymentSimulationSeed", "system-tests"),
            // Failed messages come back after 1 s, then 2 s, instead of 10 s doubling (and a
            // message in flight hides for 2 s instead of a minute): the DLQ path in seconds.
            ("ConsumerVisibilityTimeoutSeconds", "2"),
            ("RetryBaseSeconds", "1"),
            ("RetryCapSeconds", "2"),
        ];
        let mut overrides: BTreeMap<String, String> =
            defaults.iter().chain(&secrets.parameters()).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        overrides.extend(options.overrides.clone());
        let plan = devstack::template::PlanOptions { overrides, moto_endpoint: moto.endpoint.clone() };
        let stack = devstack::template::plan(&template_path(), &plan).context("planning template.yaml")?;
        let config = moto.sdk_config().await;
        let provisioned = devstack::provision::provision(&stack, &config).await.context("provisioning")?;

        let fixtures = workspace_root().join("functions/auth/core/tests/fixtures");
        let read = |name: &str| std::fs::read_to_string(fixtures.join(name)).context(name.to_owned());
        let webhook_secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let parameters = [
            ("JwtSigningKeyParameter", read("key-a.json")?, ParameterType::SecureString),
            ("JwtPublicKeysParameter", read("jwks.json")?, ParameterType::String),
            ("PaymentsWebhookSecretParameter", webhook_secret.clone(), ParameterType::SecureString),
            ("CursorSecretParameter", format!("{}", uuid::Uuid::new_v4().simple()), ParameterType::SecureString),
            (
                "LinkKeyParameter",
                format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
                ParameterType::SecureString,
            ),
        ];
        let ssm = aws_sdk_ssm::Client::new(&config);
        for (parameter, value, kind) in parameters {
            let name = stack.parameters.get(parameter).context(parameter)?;
            ssm.put_parameter().name(name).value(value).r#type(kind).overwrite(true).send().await?;
        }
        let auth_table = &stack.table("AuthTable").context("AuthTable")?.name;
        auth_core::bootstrap::ensure_admin(
            &aws_sdk_dynamodb::Client::new(&config),
            auth_table,
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
        )
        .await?;

        let counter = Arc::new(Counter::default());
        let counted = counting(&config, counter.clone());
        // The functions' requests may fail on purpose; the pollers' (Lambda's) never do.
        let functions_config = match &options.chaos {
            Some(chaos) => crate::chaos::faulty(&counted, chaos.clone()),
            None => counted.clone(),
        };
        let roles = provisioned.function_configs(&functions_config);
        let registry = Arc::new(Registry::build(&stack, &roles, &moto.endpoint)?);
        let gateway =
            Gateway::new(&stack, registry.clone(), GatewayOptions { moto_endpoint: Some(moto.endpoint.clone()) })?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (mut tasks, streams) = if options.manual_delivery {
            (JoinSet::new(), None)
        } else {
            let pollers = devstack::pollers::spawn_watched(&stack, &provisioned, &counted, registry.clone())?;
            (pollers.tasks, Some(pollers.streams))
        };
        tasks.spawn(async move {
            let _ = devstack::gateway::serve(listener, gateway).await;
        });
        Ok(System {
            api: Api::new(base),
            stack,
            provisioned,
            counter,
            registry,
            config,
            moto_endpoint: moto.endpoint.clone(),
            webhook_secret,
            streams,
            _tasks: tasks,
        })
    }

    /// The physical name of a template table.
    pub fn table(&self, logical_id: &str) -> String {
        self.stack.table(logical_id).map(|t| t.name.clone()).unwrap_or_default()
    }

    pub fn queue_url(&self, logical_id: &str) -> String {
        self.provisioned.queue_urls.get(logical_id).cloned().unwrap_or_default()
    }

    /// Every email moto recorded as sent to `to`.
    pub async fn emails_to(&self, to: &str) -> anyhow::Result<Vec<devstack::outbox::Email>> {
        let outbox = devstack::outbox::from_moto_data(&bazaar_testkit::moto_state(&self.moto_endpoint).await);
        Ok(outbox.emails.into_iter().filter(|e| e.to.split(',').any(|a| a.trim() == to)).collect())
    }
}

/// Polls `check` every 100 ms until it yields a value or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(match last_error {
                Some(e) => e.context(format!("timed out waiting for {what}")),
                None => anyhow::anyhow!("timed out after {timeout:?} waiting for {what}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

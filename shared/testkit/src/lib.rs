//! Test kit shared by every integration and end-to-end test: starts the real moto_server
//! (from the project's .venv) once per test binary and hands out SDK configuration for it.
//! Nothing here fakes an AWS API; tests talk to moto through the real SDK.
//! [`samples`], [`apigw`] and [`events`] hold the plumbing every service's tests share.

pub mod apigw;
pub mod events;
pub mod samples;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace root (the folder holding the root template.yaml and Cargo.lock; a service's
/// folder holds a template.yaml too). Found from the running test's
/// package directory (set by cargo at run time), so a build shared between checkouts never
/// points a test at another checkout.
pub fn workspace_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let mut dir = start.clone();
    while !(dir.join("template.yaml").exists() && dir.join("Cargo.lock").exists()) {
        assert!(dir.pop(), "template.yaml and Cargo.lock not found above {}", start.display());
    }
    dir
}

/// A tool installed into the project's .venv by `make venv`.
pub fn venv_tool(name: &str) -> PathBuf {
    let path = workspace_root().join(".venv/bin").join(name);
    assert!(path.exists(), "{} is missing: run `make venv` (make test does it for you)", path.display());
    path
}

/// A free TCP port on 127.0.0.1 (bound then released; good enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port on 127.0.0.1")
}

/// A running moto_server. It is started through a small shell guard that kills it as soon
/// as this process's end of the guard's stdin closes, so no emulator outlives a test run.
pub struct Moto {
    pub endpoint: String,
    _guard: Child,
}

impl Moto {
    /// Starts a fresh moto_server on a free port and waits until it answers. It runs through
    /// `infra/moto/server.py`, which makes moto's DynamoDB transactions atomic.
    pub fn start() -> Moto {
        let port = free_port();
        let python = venv_tool("python");
        let server = workspace_root().join("infra/moto/server.py");
        let script = format!(
            "\"{}\" \"{}\" --quiet -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid",
            python.display(),
            server.display()
        );
        let guard = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn moto_server");
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_until_listening(port, Duration::from_secs(30));
        Moto { endpoint, _guard: guard }
    }

    /// One moto_server shared by every test of this test binary. Its first use also sends
    /// the warnings and errors the code under test logs to the test's captured output, so a
    /// test that fails on a 500 shows the unexpected error's chain behind it.
    pub fn shared() -> &'static Moto {
        static MOTO: OnceLock<Moto> = OnceLock::new();
        MOTO.get_or_init(|| {
            let warnings = tracing_subscriber::filter::LevelFilter::WARN;
            let _ = tracing_subscriber::fmt().with_max_level(warnings).with_test_writer().try_init();
            Moto::start()
        })
    }

    /// SDK configuration pointing every client at this moto_server.
    pub async fn sdk_config(&self) -> aws_types::SdkConfig {
        sdk_config(&self.endpoint).await
    }
}

/// SDK configuration for a local endpoint, with fixed test credentials and region. Connects
/// may take up to 30 s (the SDK's default is 3.1 s): a test that sends hundreds of requests
/// at once overflows moto_server's listen backlog on two busy cores, and the kernel retries
/// a dropped connect after 1, 3, 7 s.
pub async fn sdk_config(endpoint: &str) -> aws_types::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder().connect_timeout(Duration::from_secs(30)).build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(bazaar_runtime::http_client())
        .timeout_config(timeouts)
        .endpoint_url(endpoint)
        .region(aws_types::region::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new("test", "test", None, None, "bazaar-testkit"),
        ))
        .load()
        .await
}

/// What [`deps!`] builds a function's dependencies from, as deployed (the environment from
/// `stack`), but with every AWS client pointed at a port nobody listens on: any AWS call
/// the function makes fails (a 5xx), so a test can show what is refused before one.
pub struct Offline<S> {
    pub stack: S,
    pub config: aws_types::SdkConfig,
}

impl<S: Clone> Offline<S> {
    pub async fn of(stack: &S) -> Offline<S> {
        let nobody = format!("http://127.0.0.1:{}", free_port());
        Offline { stack: stack.clone(), config: sdk_config(&nobody).await }
    }

    /// What [`deps!`] builds any function from: the configuration pointing at nobody.
    pub fn function_config(&self, _binary: &str) -> aws_types::SdkConfig {
        self.config.clone()
    }
}

/// Blocks until something accepts connections on 127.0.0.1:`port`.
pub fn wait_until_listening(port: u16, timeout: Duration) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < timeout, "nothing listening on port {port} after {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A unique, short stage name, so that each test provisions its own tables and queues.
pub fn unique_stage() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t{}", &id[..10])
}

/// Path of template.yaml.
pub fn template_path() -> PathBuf {
    workspace_root().join("template.yaml")
}

/// What moto has recorded of SES and SNS (its `/moto-api/data.json?services=ses,sns`: sent
/// emails, SMS, ...). moto answers a 500 now and then when another test writes while it
/// serializes its state, so a failed read is retried.
pub async fn moto_state(endpoint: &str) -> serde_json::Value {
    let url = format!("{endpoint}/moto-api/data.json?services=ses,sns");
    let mut last_error = String::new();
    for _ in 0..20 {
        match reqwest::get(&url).await {
            Ok(r) if r.status().is_success() => match r.json::<serde_json::Value>().await {
                Ok(data) => return data,
                Err(e) => last_error = e.to_string(),
            },
            Ok(r) => last_error = format!("status {}", r.status()),
            Err(e) => last_error = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto's data.json could not be read: {last_error}");
}

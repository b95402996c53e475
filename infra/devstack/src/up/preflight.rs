//! Checks before anything starts (ports free, tools installed), waiting for a started
//! service to answer, and the SDK configuration for moto.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// A port the devstack needs, and the flag that changes it.
pub struct PortUse {
    pub port: u16,
    pub flag: &'static str,
    pub what: &'static str,
}

/// Refuses, naming the port and its flag, when something already listens on one.
pub fn check_ports(ports: &[PortUse]) -> anyhow::Result<()> {
    for (i, p) in ports.iter().enumerate() {
        if ports[..i].iter().any(|q| q.port == p.port) {
            bail!("port {} is given twice (to {}): choose distinct ports", p.port, p.flag);
        }
        if std::net::TcpListener::bind(("127.0.0.1", p.port)).is_err() {
            bail!(
                "port {} ({}) is already in use: stop whatever uses it, or pick another with {} <port>",
                p.port,
                p.what,
                p.flag
            );
        }
    }
    Ok(())
}

/// moto_server, patched so DynamoDB transactions are atomic (see the script's docstring).
pub const MOTO_SERVER: &str = "infra/moto/server.py";

/// The project's Python tools, installed by `make venv`.
pub struct Tools {
    pub bin_dir: PathBuf,
    /// The venv's Python, which runs moto through `infra/moto/server.py`.
    pub python: PathBuf,
    /// `infra/moto/server.py`: moto_server with atomic DynamoDB transactions.
    pub moto_server: PathBuf,
    pub cargo_lambda: PathBuf,
}

pub fn find_tools(repo: &Path) -> anyhow::Result<Tools> {
    let bin_dir = repo.join(".venv/bin");
    let tools = Tools {
        python: bin_dir.join("python"),
        moto_server: repo.join(MOTO_SERVER),
        cargo_lambda: bin_dir.join("cargo-lambda"),
        bin_dir,
    };
    for tool in [&tools.python, &tools.moto_server, &tools.cargo_lambda] {
        if !tool.exists() {
            bail!("{} is missing: run `make venv`", tool.display());
        }
    }
    Ok(tools)
}

/// The workspace root: the nearest folder at or above `start` holding template.yaml and
/// Cargo.lock (a service's folder holds a template.yaml of its own).
pub fn find_repo(start: &Path) -> anyhow::Result<PathBuf> {
    let start = start.canonicalize().with_context(|| format!("resolving {}", start.display()))?;
    start
        .ancestors()
        .find(|dir| dir.join("template.yaml").exists() && dir.join("Cargo.lock").exists())
        .map(Path::to_path_buf)
        .with_context(|| format!("no template.yaml + Cargo.lock at or above {}", start.display()))
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub async fn wait_for_port(port: u16, timeout: Duration, what: &str) -> anyhow::Result<()> {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if start.elapsed() > timeout {
            bail!("{what} did not start listening on port {port} within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Waits until moto answers HTTP (it listens a moment before it serves).
pub async fn wait_for_moto(endpoint: &str, timeout: Duration) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let url = format!("{endpoint}/moto-api/data.json");
    let start = Instant::now();
    loop {
        match client.get(&url).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            _ if start.elapsed() > timeout => bail!("moto_server did not answer {url} within {timeout:?}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// SDK configuration for moto: fixed region and dummy credentials (moto accepts any).
pub async fn moto_sdk_config(endpoint: &str) -> aws_types::SdkConfig {
    let credentials = aws_credential_types::Credentials::new("test", "test", None, None, "devstack");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(bazaar_runtime::http_client())
        .endpoint_url(endpoint)
        .region(aws_types::region::Region::new(crate::model::REGION))
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(credentials))
        .load()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_names_its_flag() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        let error =
            check_ports(&[PortUse { port, flag: "--moto-port", what: "moto_server" }]).expect_err("port is taken");
        let message = error.to_string();
        assert!(message.contains(&port.to_string()) && message.contains("--moto-port"), "{message}");
    }

    #[test]
    fn missing_tools_point_at_make_venv() {
        let empty = std::env::temp_dir().join(format!("devstack-no-venv-{}", uuid::Uuid::new_v4()));
        let error = find_tools(&empty).err().expect("no tools there");
        assert!(error.to_string().contains("run `make venv`"), "{error}");
    }
}

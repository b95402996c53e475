//! Every function's execution role, created in moto from the template ([`Role`]) and assumed
//! through moto's STS as Lambda assumes it: each function then calls AWS with credentials
//! of its own role, and moto (infra/moto/enforce.py) refuses whatever that role does not
//! grant, as AWS would.

use std::collections::BTreeMap;

use anyhow::Context as _;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::SdkConfig;
use futures::{StreamExt as _, TryStreamExt as _};

use crate::model::{ACCOUNT_ID, Function, PARTITION};

/// Who may assume a function's role: Lambda (samtranslator's AssumeRolePolicyDocument).
pub fn trust_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Principal": {"Service": ["lambda.amazonaws.com"]},
        }],
    })
}

/// The SDK configuration each function runs with: moto's endpoint and region (`base`) with
/// the credentials of the function's own role.
#[derive(Debug, Clone)]
pub struct FunctionConfigs {
    base: SdkConfig,
    credentials: BTreeMap<String, Credentials>,
}

impl FunctionConfigs {
    pub fn new(base: SdkConfig, credentials: BTreeMap<String, Credentials>) -> FunctionConfigs {
        FunctionConfigs { base, credentials }
    }

    /// The configuration of function `binary` (`orders-place`); an error when its role was
    /// not created, rather than running it with anybody else's credentials.
    pub fn of(&self, binary: &str) -> anyhow::Result<SdkConfig> {
        let credentials = self.credentials.get(binary).with_context(|| format!("no role was assumed for {binary}"))?;
        Ok(self.base.to_builder().credentials_provider(SharedCredentialsProvider::new(credentials.clone())).build())
    }

    /// The credentials of function `binary`'s role.
    pub fn credentials(&self, binary: &str) -> Option<&Credentials> {
        self.credentials.get(binary)
    }

    /// Every function with a role, and its credentials.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Credentials)> {
        self.credentials.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// Creates (or updates) the role of each of `functions` for `stage` and assumes it; the
/// credentials by binary. `config` is the local administrator's.
pub async fn ensure_roles(
    functions: &[Function],
    stage: &str,
    config: &SdkConfig,
) -> anyhow::Result<BTreeMap<String, Credentials>> {
    let iam = aws_sdk_iam::Client::new(config);
    let sts = aws_sdk_sts::Client::new(config);
    let trust = trust_policy().to_string();
    let assumed = futures::stream::iter(functions)
        .map(|function| {
            let (iam, sts, trust) = (&iam, &sts, &trust);
            async move {
                let credentials = ensure_role(iam, sts, trust, function, stage)
                    .await
                    .with_context(|| format!("the role of {}", function.logical_id))?;
                anyhow::Ok((function.binary.clone(), credentials))
            }
        })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    Ok(assumed)
}

async fn ensure_role(
    iam: &aws_sdk_iam::Client,
    sts: &aws_sdk_sts::Client,
    trust: &str,
    function: &Function,
    stage: &str,
) -> anyhow::Result<Credentials> {
    let name = function.role_name(stage);
    let created = iam.create_role().role_name(&name).assume_role_policy_document(trust).send().await;
    if let Err(err) = created {
        let exists = err.as_service_error().is_some_and(|e| e.is_entity_already_exists_exception());
        anyhow::ensure!(exists, anyhow::Error::new(err).context("CreateRole"));
    }
    for arn in &function.role.managed_policy_arns {
        iam.attach_role_policy().role_name(&name).policy_arn(arn).send().await.context(arn.clone())?;
    }
    for (policy, document) in &function.role.policies {
        let document = with_version(document);
        iam.put_role_policy()
            .role_name(&name)
            .policy_name(policy)
            .policy_document(document.to_string())
            .send()
            .await
            .with_context(|| format!("PutRolePolicy {policy}"))?;
    }
    let arn = format!("arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}");
    let out =
        sts.assume_role().role_arn(&arn).role_session_name(&function.binary).send().await.context("AssumeRole")?;
    let c = out.credentials().context("AssumeRole gave no credentials")?;
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "devstack-role",
    ))
}

/// SAM writes a policy's `Version` only when the template does; IAM wants one.
fn with_version(document: &serde_json::Value) -> serde_json::Value {
    let mut document = document.clone();
    if let Some(map) = document.as_object_mut() {
        map.entry("Version").or_insert_with(|| "2012-10-17".into());
    }
    document
}

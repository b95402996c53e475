//! Creates a planned [`Stack`] in moto through the real AWS SDK. Every step tolerates
//! "already exists", so provisioning twice into the same moto is harmless.

mod dynamodb;
mod events;
mod sqs;

use std::collections::BTreeMap;

use anyhow::Context as _;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_types::SdkConfig;

use crate::model::Stack;

/// What only exists once created: queue URLs/ARNs and the tables' real stream ARNs.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    /// By queue logical id.
    pub queue_urls: BTreeMap<String, String>,
    /// By queue logical id.
    pub queue_arns: BTreeMap<String, String>,
    /// By table logical id (tables with a stream only).
    pub stream_arns: BTreeMap<String, String>,
}

/// Provisions tables, queues, buses and rules, topics and email identities.
pub async fn provision(stack: &Stack, config: &SdkConfig) -> anyhow::Result<Provisioned> {
    let mut out = Provisioned::default();
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

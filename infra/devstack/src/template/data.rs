//! Tables, queues, topics and email identities.

use serde_json::Value as Json;

use super::props::{bool_or, opt_u32, required_string, string, u32_or};
use super::{Builder, PlanError};
use crate::model::{Gsi, KeyAttr, Queue, Redrive, Table, Topic};

type Result<T> = std::result::Result<T, PlanError>;

/// The HASH and RANGE attributes of a `KeySchema`, typed from `AttributeDefinitions`.
fn key_schema(schema: Option<&Json>, defs: &Json) -> Result<(KeyAttr, Option<KeyAttr>)> {
    let typed = |name: String| -> Result<KeyAttr> {
        let attr_type = defs
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d.get("AttributeName").and_then(Json::as_str) == Some(name.as_str()))
            .map(|d| required_string(d, "AttributeType"))
            .transpose()?
            .ok_or_else(|| PlanError::invalid("AttributeDefinitions", format!("{name} is not defined")))?;
        Ok(KeyAttr { name, attr_type })
    };
    let (mut hash, mut range) = (None, None);
    for key in schema.and_then(Json::as_array).into_iter().flatten() {
        let name = required_string(key, "AttributeName")?;
        match required_string(key, "KeyType")?.as_str() {
            "HASH" => hash = Some(typed(name)?),
            "RANGE" => range = Some(typed(name)?),
            other => return Err(PlanError::invalid("KeySchema", format!("unknown KeyType {other}"))),
        }
    }
    let hash = hash.ok_or_else(|| PlanError::invalid("KeySchema", "needs a HASH key"))?;
    Ok((hash, range))
}

impl Builder<'_, '_> {
    pub(super) fn table(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.properties(props)?;
        let defs = p.get("AttributeDefinitions").cloned().unwrap_or(Json::Null);
        let (hash_key, range_key) = key_schema(p.get("KeySchema"), &defs)?;
        let mut gsis = Vec::new();
        for gsi in p.get("GlobalSecondaryIndexes").and_then(Json::as_array).into_iter().flatten() {
            let name = required_string(gsi, "IndexName")?;
            let (hash_key, range_key) = key_schema(gsi.get("KeySchema"), &defs).map_err(|e| e.within(&name))?;
            gsis.push(Gsi { name, hash_key, range_key });
        }
        // Planning goes on, so that the error lists every offender of the template at once.
        self.refused(id, "AWS::DynamoDB::Table", &p, "LocalSecondaryIndexes");
        let ttl = p.get("TimeToLiveSpecification");
        let ttl_attribute = match ttl {
            Some(spec) if bool_or(spec, "Enabled", false)? => string(spec, "AttributeName")?,
            _ => None,
        };
        let stream_view_type = p.get("StreamSpecification").map(|s| string(s, "StreamViewType")).transpose()?.flatten();
        self.stack.tables.push(Table {
            logical_id: id.to_string(),
            name: self.r.physical_name(id)?,
            hash_key,
            range_key,
            gsis,
            stream_view_type,
            ttl_attribute,
        });
        Ok(())
    }

    pub(super) fn queue(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.properties(props)?;
        let redrive = match p.get("RedrivePolicy") {
            Some(policy) => Some(self.redrive(policy).map_err(|e| e.within("Properties.RedrivePolicy"))?),
            None => None,
        };
        self.stack.queues.push(Queue {
            logical_id: id.to_string(),
            name: self.r.physical_name(id)?,
            fifo: bool_or(&p, "FifoQueue", false)?,
            content_based_deduplication: bool_or(&p, "ContentBasedDeduplication", false)?,
            visibility_timeout_seconds: u32_or(&p, "VisibilityTimeout", Queue::DEFAULT_VISIBILITY_TIMEOUT_SECONDS)?,
            message_retention_seconds: opt_u32(&p, "MessageRetentionPeriod")?,
            redrive,
        });
        Ok(())
    }

    /// `{deadLetterTargetArn, maxReceiveCount}`, as a map or a JSON string.
    fn redrive(&self, policy: &Json) -> Result<Redrive> {
        let policy = match policy {
            Json::String(s) => serde_json::from_str(s).map_err(|e| PlanError::invalid("", e.to_string()))?,
            other => other.clone(),
        };
        let arn = required_string(&policy, "deadLetterTargetArn")?;
        Ok(Redrive {
            dlq_logical_id: self.queue_id(&arn)?,
            max_receive_count: opt_u32(&policy, "maxReceiveCount")?
                .ok_or_else(|| PlanError::invalid("maxReceiveCount", "is required"))?,
        })
    }

    /// The logical id of the template queue with this ARN.
    pub(super) fn queue_id(&self, arn: &str) -> Result<String> {
        self.queue_by_arn
            .get(arn)
            .cloned()
            .ok_or_else(|| PlanError::invalid("", format!("{arn} is not a queue of this template")))
    }

    pub(super) fn topic(&mut self, id: &str, props: &Json) -> Result<()> {
        // Subscriptions would need delivery the devstack does not model: refuse rather than ignore.
        if props.get("Subscription").and_then(Json::as_array).is_some_and(|s| !s.is_empty()) {
            self.unsupported.push(format!("{id}: AWS::SNS::Topic with Subscription"));
        }
        let name = self.r.physical_name(id)?;
        self.stack.topics.push(Topic { logical_id: id.to_string(), name });
        Ok(())
    }

    pub(super) fn email_identity(&mut self, id: &str, props: &Json) -> Result<()> {
        if props.get("EmailIdentity").is_none() {
            return Err(PlanError::invalid("Properties.EmailIdentity", "is required"));
        }
        let identity = self.r.physical_name(id)?;
        self.stack.email_identities.push(identity);
        Ok(())
    }
}

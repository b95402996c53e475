//! Physical names and attributes of resources as moto gives them: what `Ref` and
//! `Fn::GetAtt` resolve to.

use serde_json::Value as Json;

use super::PlanError;
use super::intrinsics::Resolver;
use crate::model::{ACCOUNT_ID, REGION};

type Result<T> = std::result::Result<T, PlanError>;

pub(crate) fn table_arn(name: &str) -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}")
}

/// The stream ARN is only known once the table exists; this placeholder identifies the
/// table in event source mappings (provisioning reports the real one).
pub(crate) fn stream_arn_placeholder(name: &str) -> String {
    format!("{}/stream/*", table_arn(name))
}

pub(crate) fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}")
}

pub(crate) fn queue_url(endpoint: &str, name: &str) -> String {
    format!("{}/{ACCOUNT_ID}/{name}", endpoint.trim_end_matches('/'))
}

pub(crate) fn bus_arn(name: &str) -> String {
    format!("arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}")
}

pub(crate) fn archive_arn(name: &str) -> String {
    format!("arn:aws:events:{REGION}:{ACCOUNT_ID}:archive/{name}")
}

/// A rule's ARN: rules of a custom bus carry the bus's name.
pub(crate) fn rule_arn(bus: &str, name: &str) -> String {
    if bus == "default" {
        format!("arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{name}")
    } else {
        format!("arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{bus}/{name}")
    }
}

pub(crate) fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}")
}

pub(crate) fn function_arn(binary: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{binary}")
}

/// A bus given by name or ARN (rules accept both), as its name.
pub(crate) fn bus_name_of(name_or_arn: &str) -> String {
    match name_or_arn.rsplit_once(":event-bus/") {
        Some((_, name)) => name.to_string(),
        None => name_or_arn.to_string(),
    }
}

fn err(message: impl Into<String>) -> PlanError {
    PlanError::invalid("", message)
}

impl Resolver<'_> {
    fn resource(&self, id: &str) -> Result<&Json> {
        self.resources.get(id).ok_or_else(|| err(format!("unknown resource or parameter {id}")))
    }

    pub(crate) fn resource_type(&self, id: &str) -> Result<&str> {
        Ok(self.resource(id)?.get("Type").and_then(Json::as_str).unwrap_or_default())
    }

    /// A resource's property resolved to a string, if present.
    fn name_prop(&self, id: &str, key: &str) -> Result<Option<String>> {
        match self.resource(id)?.get("Properties").and_then(|p| p.get(key)) {
            Some(value) => {
                self.resolve_string(value).map(Some).map_err(|e| e.within(&format!("{id}.Properties.{key}")))
            }
            None => Ok(None),
        }
    }

    fn flag_prop(&self, id: &str, key: &str) -> Result<bool> {
        Ok(self.name_prop(id, key)?.is_some_and(|v| v == "true"))
    }

    /// The physical name of a resource (the name given in moto).
    pub(crate) fn physical_name(&self, id: &str) -> Result<String> {
        let default = format!("bazaar-{id}");
        let name = match self.resource_type(id)? {
            "AWS::DynamoDB::Table" => self.name_prop(id, "TableName")?,
            "AWS::SQS::Queue" => {
                let name = self.name_prop(id, "QueueName")?;
                if name.is_none() && self.flag_prop(id, "FifoQueue")? {
                    return Ok(format!("{default}.fifo"));
                }
                name
            }
            "AWS::Events::EventBus" | "AWS::Events::Rule" => self.name_prop(id, "Name")?,
            "AWS::Events::Archive" => self.name_prop(id, "ArchiveName")?,
            "AWS::SNS::Topic" => self.name_prop(id, "TopicName")?,
            "AWS::SES::EmailIdentity" => self.name_prop(id, "EmailIdentity")?,
            "AWS::Serverless::Function" => return self.binary(id),
            "AWS::Serverless::HttpApi" => Some("local".to_string()),
            _ => None,
        };
        Ok(name.unwrap_or(default))
    }

    /// A function's workspace binary (`Metadata.BuildProperties.Binary`).
    pub(crate) fn binary(&self, id: &str) -> Result<String> {
        let binary = self
            .resource(id)?
            .pointer("/Metadata/BuildProperties/Binary")
            .ok_or_else(|| PlanError::invalid(id, "Metadata.BuildProperties.Binary is required"))?;
        self.resolve_string(binary).map_err(|e| e.within(id))
    }

    /// What `Ref` gives for a resource.
    pub(crate) fn resource_ref(&self, id: &str) -> Result<Json> {
        let name = self.physical_name(id)?;
        Ok(Json::String(match self.resource_type(id)? {
            "AWS::SQS::Queue" => queue_url(self.moto_endpoint, &name),
            "AWS::SNS::Topic" => topic_arn(&name),
            _ => name,
        }))
    }

    /// What `Fn::GetAtt` gives for a resource's attribute.
    pub(crate) fn resource_att(&self, id: &str, attr: &str) -> Result<Json> {
        let kind = self.resource_type(id)?.to_string();
        if kind == "AWS::Serverless::Application" {
            let output = attr
                .strip_prefix("Outputs.")
                .ok_or_else(|| err(format!("Fn::GetAtt {id}.{attr}: a nested stack has only Outputs.<Name>")))?;
            let outputs = self.nested_outputs.get(id).ok_or_else(|| {
                err(format!("Fn::GetAtt {id}.{attr}: a nested stack's outputs can feed the parent's resources, not another nested stack's parameters"))
            })?;
            let value =
                outputs.get(output).ok_or_else(|| err(format!("the nested stack {id} has no output {output}")))?;
            return Ok(Json::String(value.clone()));
        }
        let name = self.physical_name(id)?;
        let value = match (kind.as_str(), attr) {
            ("AWS::DynamoDB::Table", "Arn") => table_arn(&name),
            ("AWS::DynamoDB::Table", "StreamArn") => stream_arn_placeholder(&name),
            ("AWS::SQS::Queue", "Arn") => queue_arn(&name),
            ("AWS::SQS::Queue", "QueueName") => name,
            ("AWS::SQS::Queue", "QueueUrl") => queue_url(self.moto_endpoint, &name),
            ("AWS::Events::EventBus", "Arn") => bus_arn(&name),
            ("AWS::Events::EventBus", "Name") => name,
            ("AWS::Events::Archive", "Arn") => archive_arn(&name),
            ("AWS::Events::Rule", "Arn") => {
                let bus = match self.resource(id)?.pointer("/Properties/EventBusName") {
                    Some(b) => bus_name_of(&self.resolve_string(b).map_err(|e| e.within(id))?),
                    None => "default".to_string(),
                };
                rule_arn(&bus, &name)
            }
            ("AWS::SNS::Topic", "TopicArn") => topic_arn(&name),
            ("AWS::SNS::Topic", "TopicName") => name,
            ("AWS::Serverless::Function", "Arn") => function_arn(&name),
            _ => return Err(err(format!("Fn::GetAtt {id}.{attr} ({kind}) is not supported"))),
        };
        Ok(Json::String(value))
    }
}

//! What the devstack can run: resource types and function event types. Checked before
//! anything is resolved so that the error lists every offender at once.

use serde_json::{Map, Value as Json};

pub(crate) const RESOURCE_TYPES: &[&str] = &[
    "AWS::Serverless::Function",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::Application",
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
    "AWS::Events::Archive",
    "AWS::SNS::Topic",
    "AWS::SES::EmailIdentity",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::Lambda::Permission",
];

/// Resource types that only matter in AWS: monitoring and logging, which moto does not run
/// and nothing local depends on. The devstack plans around them (their properties are not
/// even resolved) and `devstack check` lists them; any other type is refused.
pub(crate) const DEPLOY_ONLY_TYPES: &[&str] =
    &["AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::LogGroup", "AWS::SNS::Subscription"];

pub(crate) const EVENT_TYPES: &[&str] = &["HttpApi", "SQS", "DynamoDB", "Schedule", "ScheduleV2"];

/// Transforms other than SAM's (macros rewrite the template in ways we cannot know).
pub(crate) fn unsupported_transforms(transform: Option<&Json>) -> Vec<String> {
    let names: Vec<&Json> = match transform {
        None => Vec::new(),
        Some(Json::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    names
        .into_iter()
        .filter(|t| t.as_str() != Some("AWS::Serverless-2016-10-31"))
        .map(|t| format!("Transform: {}", t.as_str().map_or_else(|| t.to_string(), str::to_string)))
        .collect()
}

/// Every unsupported resource (`Id: Type`) and function event (`Id.Events.Name: Type`).
pub(crate) fn unsupported(resources: &Map<String, Json>) -> Vec<String> {
    let mut out = Vec::new();
    for (id, resource) in resources {
        let kind = resource.get("Type").and_then(Json::as_str).unwrap_or("(no Type)");
        if DEPLOY_ONLY_TYPES.contains(&kind) {
            continue;
        }
        if !RESOURCE_TYPES.contains(&kind) {
            out.push(format!("{id}: {kind}"));
            continue;
        }
        if kind != "AWS::Serverless::Function" {
            continue;
        }
        let events = resource.pointer("/Properties/Events").and_then(Json::as_object);
        for (name, event) in events.into_iter().flatten() {
            let event_kind = event.get("Type").and_then(Json::as_str).unwrap_or("(no Type)");
            if !EVENT_TYPES.contains(&event_kind) {
                out.push(format!("{id}.Events.{name}: {event_kind}"));
            }
        }
    }
    out
}

//! A function's execution role as SAM generates it (samtranslator's `_construct_role`): the
//! AWS managed policies it attaches (basic execution, X-Ray when `Tracing` is on, one per
//! kind of pulled event source) and one inline policy per entry of `Policies`, a statement
//! block or one of SAM's policy templates. The devstack creates it in moto, so that each
//! function runs with exactly the permissions it has in AWS (tests/roles.rs compares this
//! with samtranslator's own output).

use serde_json::{Value as Json, json};

use super::PlanError;
use crate::model::{PARTITION, Role};

type Result<T> = std::result::Result<T, PlanError>;

/// What SAM attaches to every function role.
pub const BASIC_EXECUTION: &str = "service-role/AWSLambdaBasicExecutionRole";
/// With `Tracing: Active` (or `PassThrough`).
pub const XRAY_WRITE: &str = "AWSXrayWriteOnlyAccess";
/// With an `SQS` event.
pub const SQS_EXECUTION: &str = "service-role/AWSLambdaSQSQueueExecutionRole";
/// With a `DynamoDB` event.
pub const DYNAMODB_EXECUTION: &str = "service-role/AWSLambdaDynamoDBExecutionRole";

/// The ARN of the AWS managed policy `name` (`service-role/…`).
pub fn managed_policy_arn(name: &str) -> String {
    format!("arn:{PARTITION}:iam::aws:policy/{name}")
}

/// The role of function `id` from its resolved `Policies`, whether tracing is on, and the
/// types of its events.
pub(super) fn role(id: &str, policies: Option<&Json>, tracing: bool, event_types: &[&str]) -> Result<Role> {
    let mut managed = vec![managed_policy_arn(BASIC_EXECUTION)];
    if tracing {
        managed.push(managed_policy_arn(XRAY_WRITE));
    }
    for kind in event_types {
        let arn = match *kind {
            "SQS" => managed_policy_arn(SQS_EXECUTION),
            "DynamoDB" => managed_policy_arn(DYNAMODB_EXECUTION),
            _ => continue,
        };
        if !managed.contains(&arn) {
            managed.push(arn);
        }
    }
    let mut inline = Vec::new();
    let entries = match policies {
        None => Vec::new(),
        Some(Json::Array(entries)) => entries.clone(),
        Some(other) => vec![other.clone()],
    };
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("Properties.Policies[{index}]");
        let name = format!("{id}RolePolicy{index}");
        match entry {
            Json::String(policy) => {
                managed.push(if policy.starts_with("arn:") { policy.clone() } else { managed_policy_arn(policy) })
            }
            Json::Object(map) if map.contains_key("Statement") => inline.push((name, entry.clone())),
            Json::Object(map) if map.len() == 1 => {
                let (template, parameters) = map.iter().next().expect("one entry");
                let document = policy_template(template, parameters).map_err(|e| e.within(&at))?;
                inline.push((name, document));
            }
            other => return Err(PlanError::invalid(at, format!("unsupported policy {other}"))),
        }
    }
    Ok(Role { managed_policy_arns: managed, policies: inline })
}

/// What SAM adds for a pulled event source's `DestinationConfig.OnFailure` of `Type: SQS`
/// (`<Function><Event>SQSPolicy`: the poller sends what failed to the queue with the
/// function's role). Without a `Type`, SAM adds nothing.
pub(super) fn on_failure_policy(event_id: &str, on_failure: &Json) -> Option<(String, Json)> {
    let destination = on_failure.get("Destination")?;
    match on_failure.get("Type").and_then(Json::as_str)? {
        "SQS" => Some((
            format!("{event_id}SQSPolicy"),
            json!({"Statement": [{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": destination}]}),
        )),
        "SNS" => Some((
            format!("{event_id}SNSPolicy"),
            json!({"Statement": [{"Action": "sns:publish", "Effect": "Allow", "Resource": destination}]}),
        )),
        _ => None,
    }
}

/// SAM's policy templates the template uses (samtranslator's policy_templates.json), with
/// their parameters substituted. Any other is refused rather than run without it.
fn policy_template(name: &str, parameters: &Json) -> Result<Json> {
    let parameter = |key: &str| {
        parameters
            .get(key)
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| PlanError::invalid(name, format!("the policy template needs {key} (a string)")))
    };
    let arn = |service: &str, rest: &str| {
        format!("arn:{PARTITION}:{service}:{}:{}:{rest}", crate::model::REGION, crate::model::ACCOUNT_ID)
    };
    match name {
        "EventBridgePutEventsPolicy" => {
            let bus = parameter("EventBusName")?;
            Ok(json!({"Statement": [{
                "Action": "events:PutEvents",
                "Effect": "Allow",
                "Resource": arn("events", &format!("event-bus/{bus}")),
            }]}))
        }
        "SQSSendMessagePolicy" => {
            let queue = parameter("QueueName")?;
            Ok(json!({"Statement": [{
                "Action": ["sqs:SendMessage*"],
                "Effect": "Allow",
                "Resource": arn("sqs", &queue),
            }]}))
        }
        other => Err(PlanError::invalid(other, "a SAM policy template the devstack does not know")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_has_sams_managed_policies_and_one_inline_policy_per_entry() {
        let policies = json!([
            {"Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]},
            {"SQSSendMessagePolicy": {"QueueName": "q"}},
            "AmazonS3ReadOnlyAccess",
        ]);
        let role = role("Fn", Some(&policies), true, &["SQS", "HttpApi", "SQS"]).expect("a role");
        assert_eq!(
            role.managed_policy_arns,
            [
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
                "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
                "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            ]
        );
        let names: Vec<&str> = role.policies.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["FnRolePolicy0", "FnRolePolicy1"]);
        assert_eq!(role.policies[1].1["Statement"][0]["Resource"], "arn:aws:sqs:us-east-1:123456789012:q");
    }

    #[test]
    fn an_unknown_policy_template_is_refused() {
        let policies = json!([{"DynamoDBCrudPolicy": {"TableName": "t"}}]);
        let err = role("Fn", Some(&policies), false, &[]).expect_err("unknown template");
        assert!(err.to_string().contains("DynamoDBCrudPolicy"), "{err}");
    }
}

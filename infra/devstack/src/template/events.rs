//! EventBridge buses and rules. moto delivers rule targets only to SQS, so every target
//! must be a queue of this template.

use serde_json::Value as Json;

use super::names::bus_name_of;
use super::props::{opt_i32, required_string, string};
use super::{Builder, PlanError};
use crate::model::{Archive, EventBus, Rule, RuleTarget};

type Result<T> = std::result::Result<T, PlanError>;

impl Builder<'_, '_> {
    pub(super) fn bus(&mut self, id: &str) -> Result<()> {
        let name = self.r.physical_name(id)?;
        self.stack.buses.push(EventBus { logical_id: id.to_string(), name });
        Ok(())
    }

    pub(super) fn archive(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.properties(props)?;
        if self.refused(id, "AWS::Events::Archive", &p, "EventPattern") {
            return Ok(());
        }
        let source = required_string(&p, "SourceArn")?;
        self.stack.archives.push(Archive {
            logical_id: id.to_string(),
            name: self.r.physical_name(id)?,
            bus_name: bus_name_of(&source),
            retention_days: opt_i32(&p, "RetentionDays")?,
        });
        Ok(())
    }

    pub(super) fn rule(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.properties(props)?;
        if self.refused(id, "AWS::Events::Rule", &p, "ScheduleExpression") {
            return Ok(());
        }
        // A disabled rule delivers nothing; leaving it out is the same locally.
        if string(&p, "State")?.is_some_and(|s| s != "ENABLED") {
            return Ok(());
        }
        let event_pattern = match p.get("EventPattern") {
            Some(Json::String(s)) => {
                serde_json::from_str(s).map_err(|e| PlanError::invalid("Properties.EventPattern", e.to_string()))?
            }
            Some(pattern) => pattern.clone(),
            None => return Err(PlanError::invalid("Properties.EventPattern", "is required")),
        };
        let mut targets = Vec::new();
        for target in p.get("Targets").and_then(Json::as_array).into_iter().flatten() {
            if let Some(t) = self.target(id, target).map_err(|e| e.within("Properties.Targets"))? {
                targets.push(t);
            }
        }
        self.stack.rules.push(Rule {
            logical_id: id.to_string(),
            name: self.r.physical_name(id)?,
            bus_name: string(&p, "EventBusName")?.map_or_else(|| "default".to_string(), |b| bus_name_of(&b)),
            event_pattern,
            targets,
        });
        Ok(())
    }

    /// One target; `None` (and an `Unsupported` entry) when it is not a template queue or
    /// reshapes the event, which the devstack does not reproduce.
    fn target(&mut self, rule_id: &str, target: &Json) -> Result<Option<RuleTarget>> {
        let target_id = required_string(target, "Id")?;
        let arn = required_string(target, "Arn")?;
        let at = format!("{rule_id}.Targets.{target_id}");
        let Some(queue) = self.queue_by_arn.get(&arn).cloned() else {
            self.unsupported.push(format!("{at}: {arn} (only SQS queues of the template)"));
            return Ok(None);
        };
        if let Some(key) = ["Input", "InputPath", "InputTransformer"].into_iter().find(|k| target.get(*k).is_some()) {
            self.unsupported.push(format!("{at}: {key}"));
            return Ok(None);
        }
        let dlq_logical_id = match target.pointer("/DeadLetterConfig/Arn").and_then(Json::as_str) {
            Some(dlq) => Some(self.queue_id(dlq).map_err(|e| e.within(&target_id))?),
            None => None,
        };
        let retry = target.get("RetryPolicy").cloned().unwrap_or(Json::Null);
        Ok(Some(RuleTarget {
            id: target_id,
            queue_logical_id: queue,
            dlq_logical_id,
            maximum_retry_attempts: opt_i32(&retry, "MaximumRetryAttempts")?,
            maximum_event_age_seconds: opt_i32(&retry, "MaximumEventAgeInSeconds")?,
        }))
    }
}

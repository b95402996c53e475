//! Serverless functions and their event sources.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::props::{as_string, bool_or, filters, opt_i64, reports_item_failures, required_string, string, u32_or};
use super::{Builder, PlanError};
use crate::model::{Function, HttpRoute, Schedule, SqsSource, StreamSource};

type Result<T> = std::result::Result<T, PlanError>;

impl Builder<'_, '_> {
    pub(super) fn function(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.fields(props, &["MemorySize", "Timeout", "Environment", "Policies", "Tracing"])?;
        let events = props.get("Events").and_then(Json::as_object);
        let event_types: Vec<&str> =
            events.into_iter().flatten().filter_map(|(_, e)| e.get("Type").and_then(Json::as_str)).collect();
        let tracing = p.get("Tracing").and_then(Json::as_str).is_some_and(|t| t != "Disabled");
        let mut role = super::role::role(id, p.get("Policies"), tracing, &event_types)?;
        for (name, event) in events.into_iter().flatten() {
            let destination = event.pointer("/Properties/DestinationConfig/OnFailure");
            if let Some(on_failure) = destination {
                let at = format!("Properties.Events.{name}.Properties.DestinationConfig.OnFailure");
                let resolved = self.r.resolve(on_failure).map_err(|e| e.within(&at))?.unwrap_or_default();
                role.policies.extend(super::role::on_failure_policy(&format!("{id}{name}"), &resolved));
            }
        }
        let mut function = Function {
            memory_mb: u32_or(&p, "MemorySize", Function::DEFAULT_MEMORY_MB)?,
            timeout_seconds: u32_or(&p, "Timeout", Function::DEFAULT_TIMEOUT_SECONDS)?,
            environment: environment(&p)?,
            role,
            ..Function::new(id, &self.r.binary(id)?)
        };
        for (name, event) in props.get("Events").and_then(Json::as_object).into_iter().flatten() {
            let at = format!("Properties.Events.{name}");
            self.event(&mut function, event).map_err(|e| e.within(&at))?;
        }
        self.stack.functions.push(function);
        Ok(())
    }

    fn event(&mut self, function: &mut Function, event: &Json) -> Result<()> {
        let kind = event.get("Type").and_then(Json::as_str).unwrap_or_default();
        let p = match event.get("Properties") {
            Some(props) => self.properties(props)?,
            None => Json::Object(Default::default()),
        };
        match kind {
            "HttpApi" => self.route(function, &p),
            "SQS" => {
                if bool_or(&p, "Enabled", true)? {
                    function.sqs_sources.push(self.sqs_source(&p)?);
                }
                Ok(())
            }
            "DynamoDB" => {
                if bool_or(&p, "Enabled", true)? {
                    function.stream_sources.push(self.stream_source(&p)?);
                }
                Ok(())
            }
            "Schedule" => {
                let enabled = bool_or(&p, "Enabled", true)? && string(&p, "State")?.is_none_or(|s| s == "ENABLED");
                function.schedules.push(Schedule { expression: required_string(&p, "Schedule")?, enabled });
                Ok(())
            }
            "ScheduleV2" => {
                let enabled = string(&p, "State")?.is_none_or(|s| s == "ENABLED");
                function.schedules.push(Schedule { expression: required_string(&p, "ScheduleExpression")?, enabled });
                Ok(())
            }
            other => Err(PlanError::invalid("Type", format!("unsupported event type {other}"))),
        }
    }

    /// An HttpApi route. Without Path/Method it is the API's `$default` route (method
    /// `ANY`, path `$default`); without `Auth.Authorizer` it takes the API's default.
    fn route(&mut self, function: &mut Function, p: &Json) -> Result<()> {
        let path = string(p, "Path")?.unwrap_or_else(|| "$default".to_string());
        let method = string(p, "Method")?.map_or_else(|| "ANY".to_string(), |m| m.to_uppercase());
        let authorizer = p.pointer("/Auth/Authorizer").map(|a| as_string(a, "Auth.Authorizer")).transpose()?;
        let route = HttpRoute { method, path, authorizer: authorizer.clone().filter(|a| a != "NONE") };
        self.sam_routes = true;
        if authorizer.is_none() {
            self.default_auth_routes.push((self.stack.functions.len(), function.http_routes.len()));
        }
        function.http_routes.push(route);
        Ok(())
    }

    fn sqs_source(&self, p: &Json) -> Result<SqsSource> {
        Ok(SqsSource {
            queue_logical_id: self.queue_id(&required_string(p, "Queue")?).map_err(|e| e.within("Queue"))?,
            batch_size: u32_or(p, "BatchSize", 10)?,
            maximum_batching_window_seconds: u32_or(p, "MaximumBatchingWindowInSeconds", 0)?,
            report_batch_item_failures: reports_item_failures(p)?,
            filters: filters(p)?,
        })
    }

    fn stream_source(&mut self, p: &Json) -> Result<StreamSource> {
        let stream = required_string(p, "Stream")?;
        let table_logical_id = self.table_by_stream.get(&stream).cloned().ok_or_else(|| {
            PlanError::invalid("Stream", format!("{stream} is not the stream of a table of this template"))
        })?;
        let on_failure = match p.pointer("/DestinationConfig/OnFailure/Destination") {
            Some(arn) => {
                let arn = as_string(arn, "DestinationConfig.OnFailure.Destination")?;
                Some(self.queue_id(&arn).map_err(|e| e.within("DestinationConfig.OnFailure"))?)
            }
            None => None,
        };
        Ok(StreamSource {
            table_logical_id,
            starting_position: required_string(p, "StartingPosition")?,
            batch_size: u32_or(p, "BatchSize", 100)?,
            maximum_batching_window_seconds: u32_or(p, "MaximumBatchingWindowInSeconds", 0)?,
            maximum_retry_attempts: opt_i64(p, "MaximumRetryAttempts")?.unwrap_or(-1),
            bisect_on_error: bool_or(p, "BisectBatchOnFunctionError", false)?,
            report_batch_item_failures: reports_item_failures(p)?,
            filters: filters(p)?,
            on_failure_queue_logical_id: on_failure,
        })
    }
}

/// `Environment.Variables` as strings (numbers and booleans stringified).
fn environment(props: &Json) -> Result<BTreeMap<String, String>> {
    let vars = props.pointer("/Environment/Variables").and_then(Json::as_object).into_iter().flatten();
    vars.map(|(k, v)| {
        let value = super::intrinsics::scalar_string(v).ok_or_else(|| {
            PlanError::invalid(format!("Properties.Environment.Variables.{k}"), format!("expected a string, got {v}"))
        })?;
        Ok((k.clone(), value))
    })
    .collect()
}

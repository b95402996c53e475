//! An HTTP API written as `AWS::ApiGatewayV2` resources rather than SAM's `HttpApi`: the
//! API (CORS), its `$default` stage (throttling), Lambda authorizers, and routes with their
//! Lambda proxy integrations, which may sit in a nested stack and attach to the root's API
//! (SAM's `HttpApi` event cannot name an API of another template). `AWS::Lambda::Permission`
//! matters too: API Gateway cannot call a function that does not let it, so a route or an
//! authorizer without one is refused here as it would fail there (a 500 on every call).
//!
//! Routes and authorizers are collected while the stack is built and linked in
//! [`Builder::link_api_v2`], once every integration and permission is known.

use serde_json::Value as Json;

use super::http_api::cors;
use super::names::function_arn;
use super::props::{bool_or, opt_f64, opt_u32, required_string, string, strings, u32_or};
use super::{Builder, PlanError};
use crate::model::{ACCOUNT_ID, Authorizer, HttpApi, HttpRoute, REGION};

type Result<T> = std::result::Result<T, PlanError>;

/// The resource types of this module.
pub(crate) const TYPES: &[&str] = &[
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::Lambda::Permission",
];

/// What was read of the ApiGatewayV2 resources, linked when the stack is finished.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// (logical id, `Ref` value, authorizer), the authorizer named after its logical id.
    authorizers: Vec<(String, String, Authorizer)>,
    /// The `Ref` value of an integration and its function's logical id.
    integrations: Vec<(String, String)>,
    routes: Vec<PendingRoute>,
    /// (function logical id or binary, SourceArn pattern) of each grant to API Gateway.
    permissions: Vec<(String, String)>,
    /// The default stage's throttling.
    throttling: Option<(Option<f64>, Option<u32>)>,
}

#[derive(Debug)]
struct PendingRoute {
    logical_id: String,
    api: String,
    method: String,
    path: String,
    target: String,
    authorizer: Option<String>,
}

/// The SourceArn API Gateway calls a function with: `…:<api>/<stage>/<METHOD>/<path>`
/// for a route, `…:<api>/authorizers/<id>` for an authorizer.
fn execute_api_arn(api: &str, rest: &str) -> String {
    format!("arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api}/{rest}")
}

/// Whether `text` matches the IAM-style `pattern` (`*` any run of characters, `?` one).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A function named by a Lambda integration or authorizer URI: its ARN, or the
/// `arn:…:apigateway:…:lambda:path/2015-03-31/functions/<arn>/invocations` form.
fn function_of_uri(uri: &str) -> &str {
    match uri.split_once("/functions/") {
        Some((_, rest)) => rest.strip_suffix("/invocations").unwrap_or(rest),
        None => uri,
    }
}

impl Builder<'_, '_> {
    pub(super) fn api_v2(&mut self, id: &str, kind: &str, props: &Json) -> Result<()> {
        match kind {
            "AWS::ApiGatewayV2::Api" => self.v2_api(id, props),
            "AWS::ApiGatewayV2::Stage" => self.v2_stage(id, props),
            "AWS::ApiGatewayV2::Authorizer" => self.v2_authorizer(id, props),
            "AWS::ApiGatewayV2::Integration" => self.v2_integration(id, props),
            "AWS::ApiGatewayV2::Route" => self.v2_route(id, props),
            _ => self.v2_permission(props),
        }
    }

    fn v2_api(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.properties(props)?;
        if string(&p, "ProtocolType")?.as_deref() != Some("HTTP") {
            self.unsupported.push(format!("{id}: AWS::ApiGatewayV2::Api other than ProtocolType HTTP"));
            return Ok(());
        }
        // An imported definition or quick create makes routes the devstack would not see.
        for key in ["Body", "BodyS3Location", "Target", "RouteKey"] {
            if self.refused(id, "AWS::ApiGatewayV2::Api", &p, key) {
                return Ok(());
            }
        }
        if let Some(existing) = &self.stack.http_api {
            let first = existing.logical_id.clone();
            self.unsupported.push(format!("{id}: AWS::ApiGatewayV2::Api (a second API besides {first})"));
            return Ok(());
        }
        let cors = cors(p.get("CorsConfiguration").unwrap_or(&Json::Null))
            .map_err(|e| e.within("Properties.CorsConfiguration"))?;
        self.stack.http_api = Some(HttpApi {
            logical_id: id.to_string(),
            cors,
            throttling_rate_limit: None,
            throttling_burst_limit: None,
            default_authorizer: None,
            authorizers: Default::default(),
        });
        Ok(())
    }

    /// The API this resource's `ApiId` names: one of this template's or, for a nested
    /// stack, of its parent's (passed as a parameter).
    fn v2_api_ref(&self, p: &Json) -> Result<String> {
        let api = required_string(p, "ApiId").map_err(|e| e.within("Properties"))?;
        if self.known.apis.contains(&api) {
            Ok(api)
        } else {
            Err(PlanError::invalid("Properties.ApiId", format!("{api} is not an AWS::ApiGatewayV2::Api of the stack")))
        }
    }

    fn v2_stage(&mut self, id: &str, props: &Json) -> Result<()> {
        // Access logs go to a log group, which only exists in AWS.
        let p = self.fields(props, &["ApiId", "StageName", "DefaultRouteSettings", "RouteSettings"])?;
        self.v2_api_ref(&p)?;
        // Another stage would prefix every path; the devstack serves the API at its root.
        if required_string(&p, "StageName").map_err(|e| e.within("Properties"))? != "$default" {
            self.unsupported.push(format!("{id}: AWS::ApiGatewayV2::Stage other than $default"));
            return Ok(());
        }
        let _ = self.refused(id, "AWS::ApiGatewayV2::Stage", &p, "RouteSettings");
        let routes = p.get("DefaultRouteSettings").cloned().unwrap_or(Json::Null);
        let at = "Properties.DefaultRouteSettings";
        let rate = opt_f64(&routes, "ThrottlingRateLimit").map_err(|e| e.within(at))?;
        let burst = opt_u32(&routes, "ThrottlingBurstLimit").map_err(|e| e.within(at))?;
        self.pending.throttling = Some((rate, burst));
        Ok(())
    }

    fn v2_authorizer(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.properties(props)?;
        self.v2_api_ref(&p)?;
        if string(&p, "AuthorizerType")?.as_deref() != Some("REQUEST") {
            self.unsupported.push(format!("{id}: AWS::ApiGatewayV2::Authorizer other than a REQUEST (Lambda) one"));
            return Ok(());
        }
        let simple_responses = bool_or(&p, "EnableSimpleResponses", false)?;
        let version = string(&p, "AuthorizerPayloadFormatVersion")?;
        if version.as_deref() != Some("2.0") {
            self.unsupported.push(format!("{id}: authorizer payload format {}", version.as_deref().unwrap_or("1.0")));
            return Ok(());
        }
        let uri = required_string(&p, "AuthorizerUri").map_err(|e| e.within("Properties"))?;
        let function = self.function_at(function_of_uri(&uri)).map_err(|e| e.within("Properties.AuthorizerUri"))?;
        let reference = self.r.physical_name(id)?;
        let authorizer = Authorizer {
            name: id.to_string(),
            function_logical_id: function,
            simple_responses,
            identity_headers: strings(&p, "IdentitySource")?,
            cache_ttl_seconds: u32_or(&p, "AuthorizerResultTtlInSeconds", 0)?,
        };
        self.pending.authorizers.push((id.to_string(), reference, authorizer));
        Ok(())
    }

    fn v2_integration(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.properties(props)?;
        self.v2_api_ref(&p)?;
        if string(&p, "IntegrationType")?.as_deref() != Some("AWS_PROXY") {
            self.unsupported.push(format!("{id}: AWS::ApiGatewayV2::Integration other than AWS_PROXY (Lambda)"));
            return Ok(());
        }
        // The gateway builds payload format 2.0 events only.
        if string(&p, "PayloadFormatVersion")?.as_deref() != Some("2.0") {
            self.unsupported.push(format!("{id}: AWS::ApiGatewayV2::Integration with a payload format other than 2.0"));
            return Ok(());
        }
        let uri = required_string(&p, "IntegrationUri").map_err(|e| e.within("Properties"))?;
        let function = self.function_at(function_of_uri(&uri)).map_err(|e| e.within("Properties.IntegrationUri"))?;
        self.pending.integrations.push((self.r.physical_name(id)?, function));
        Ok(())
    }

    fn v2_route(&mut self, id: &str, props: &Json) -> Result<()> {
        let p = self.properties(props)?;
        let api = self.v2_api_ref(&p)?;
        let key = required_string(&p, "RouteKey").map_err(|e| e.within("Properties"))?;
        let (method, path) = match key.split_once(' ') {
            Some((method, path)) if path.starts_with('/') => (method.to_string(), path.to_string()),
            None if key == "$default" => ("ANY".to_string(), key.clone()),
            _ => return Err(PlanError::invalid("Properties.RouteKey", format!("{key:?} is not METHOD /path"))),
        };
        let authorizer = match string(&p, "AuthorizationType")?.as_deref().unwrap_or("NONE") {
            "NONE" => None,
            "CUSTOM" => {
                let reference = required_string(&p, "AuthorizerId").map_err(|e| e.within("Properties"))?;
                let name = self.known.authorizers.get(&reference).cloned().ok_or_else(|| {
                    PlanError::invalid(
                        "Properties.AuthorizerId",
                        format!("{reference} is not an AWS::ApiGatewayV2::Authorizer of the stack"),
                    )
                })?;
                Some(name)
            }
            other => {
                self.unsupported.push(format!("{id}: AWS::ApiGatewayV2::Route with AuthorizationType {other}"));
                return Ok(());
            }
        };
        let target = required_string(&p, "Target").map_err(|e| e.within("Properties"))?;
        let target = target.strip_prefix("integrations/").map(str::to_owned).ok_or_else(|| {
            PlanError::invalid("Properties.Target", format!("{target:?} is not integrations/<IntegrationId>"))
        })?;
        let logical_id = id.to_string();
        self.pending.routes.push(PendingRoute { logical_id, api, method, path, target, authorizer });
        Ok(())
    }

    fn v2_permission(&mut self, props: &Json) -> Result<()> {
        let p = self.fields(props, &["Action", "FunctionName", "Principal", "SourceArn"])?;
        let grants_gateway = string(&p, "Principal")?.as_deref() == Some("apigateway.amazonaws.com")
            && string(&p, "Action")?.as_deref() == Some("lambda:InvokeFunction");
        if grants_gateway {
            let function = required_string(&p, "FunctionName").map_err(|e| e.within("Properties"))?;
            // Without a SourceArn, every API of the account may call it.
            let source = string(&p, "SourceArn")?.unwrap_or_else(|| "*".to_string());
            self.pending.permissions.push((function, source));
        }
        Ok(())
    }

    /// The logical id of the function `arn` names (one of this template's).
    fn function_at(&self, arn: &str) -> Result<String> {
        self.function_by_arn
            .get(arn)
            .cloned()
            .ok_or_else(|| PlanError::invalid("", format!("{arn} is not a function of this template")))
    }

    /// Whether API Gateway may call function `logical_id` as `source` (a permission of this
    /// template names it, by its name or ARN, for a SourceArn matching `source`).
    fn gateway_may_call(&self, logical_id: &str, source: &str) -> bool {
        let Some(binary) = self.stack.function(logical_id).map(|f| f.binary.clone()) else { return false };
        self.pending.permissions.iter().any(|(function, pattern)| {
            (function == &binary || function == &function_arn(&binary)) && glob(pattern, source)
        })
    }

    /// Attaches the collected routes to their functions and the authorizers and stage to
    /// the API, refusing what API Gateway would fail to call.
    pub(super) fn link_api_v2(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.pending.permissions = pending.permissions;
        if let Some(api) = self.stack.http_api.as_mut() {
            if let Some((rate, burst)) = pending.throttling {
                api.throttling_rate_limit = rate;
                api.throttling_burst_limit = burst;
            }
        } else if pending.throttling.is_some() || !pending.authorizers.is_empty() {
            return Err(PlanError::invalid("", "a stage or authorizer of an API of another template"));
        }
        for (id, reference, authorizer) in pending.authorizers {
            let api = self.stack.http_api.as_ref().map(|a| self.r.physical_name(&a.logical_id)).transpose()?;
            let source = execute_api_arn(&api.unwrap_or_default(), &format!("authorizers/{reference}"));
            if !self.gateway_may_call(&authorizer.function_logical_id, &source) {
                return Err(PlanError::invalid(
                    &id,
                    format!(
                        "no AWS::Lambda::Permission lets apigateway.amazonaws.com invoke {} as {source}",
                        authorizer.function_logical_id
                    ),
                ));
            }
            if let Some(api) = self.stack.http_api.as_mut() {
                api.authorizers.insert(authorizer.name.clone(), authorizer);
            }
        }
        for route in pending.routes {
            let function = pending.integrations.iter().find(|(reference, _)| *reference == route.target);
            let Some((_, function)) = function else {
                let message = format!("integrations/{} is not an integration of this template", route.target);
                return Err(PlanError::invalid(format!("{}.Properties.Target", route.logical_id), message));
            };
            // A sample request of the route, as API Gateway names it when it calls.
            let sample_path =
                route.path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>();
            let method = if route.method == "ANY" { "GET" } else { &route.method };
            let source = execute_api_arn(&route.api, &format!("$default/{method}{}", sample_path.join("/")));
            if !self.gateway_may_call(function, &source) {
                return Err(PlanError::invalid(
                    &route.logical_id,
                    format!("no AWS::Lambda::Permission lets apigateway.amazonaws.com invoke {function} as {source}"),
                ));
            }
            let http = HttpRoute { method: route.method, path: route.path, authorizer: route.authorizer };
            if let Some(f) = self.stack.functions.iter_mut().find(|f| &f.logical_id == function) {
                f.http_routes.push(http);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{function_of_uri, glob};

    #[test]
    fn source_arn_patterns_match_as_iam_globs() {
        let arn = "arn:aws:execute-api:us-east-1:123456789012:api/$default/GET/orders/x";
        assert!(glob("arn:aws:execute-api:us-east-1:123456789012:api/*/GET/orders/*", arn));
        assert!(glob("*", arn));
        assert!(!glob("arn:aws:execute-api:us-east-1:123456789012:api/*/POST/orders/*", arn));
        assert!(!glob("arn:aws:execute-api:us-east-1:123456789012:api/*/GET/orders", arn));
        assert!(glob("a?c", "abc") && !glob("a?c", "ac"));
    }

    #[test]
    fn integration_uris_name_their_function() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-get";
        assert_eq!(function_of_uri(arn), arn);
        let uri = format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations");
        assert_eq!(function_of_uri(&uri), arn);
    }
}

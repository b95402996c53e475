//! The HTTP API: CORS, default throttling and Lambda authorizers. One API per template
//! (routes do not say which API they belong to in the model).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::props::{bool_or, opt_f64, opt_u32, required_string, string, strings, u32_or};
use super::{Builder, PlanError};
use crate::model::{Authorizer, Cors, HttpApi};

type Result<T> = std::result::Result<T, PlanError>;

/// SAM's name for the API it creates when routes name none.
const IMPLICIT_API: &str = "ServerlessHttpApi";

impl Builder<'_, '_> {
    pub(super) fn http_api(&mut self, id: &str, props: &Json) -> Result<()> {
        if let Some(existing) = &self.stack.http_api {
            let first = existing.logical_id.clone();
            self.unsupported.push(format!("{id}: AWS::Serverless::HttpApi (a second API besides {first})"));
            return Ok(());
        }
        let p = self.fields(props, &["CorsConfiguration", "DefaultRouteSettings", "Auth"])?;
        let part = |key: &str| p.get(key).cloned().unwrap_or(Json::Null);
        let (routes, auth) = (part("DefaultRouteSettings"), part("Auth"));
        let mut authorizers = BTreeMap::new();
        for (name, spec) in auth.get("Authorizers").and_then(Json::as_object).into_iter().flatten() {
            let at = format!("Properties.Auth.Authorizers.{name}");
            if let Some(a) = self.authorizer(id, name, spec).map_err(|e| e.within(&at))? {
                authorizers.insert(name.clone(), a);
            }
        }
        let default_authorizer = string(&auth, "DefaultAuthorizer")?.filter(|a| a != "NONE");
        self.stack.http_api = Some(HttpApi {
            logical_id: id.to_string(),
            cors: cors(&part("CorsConfiguration")).map_err(|e| e.within("Properties.CorsConfiguration"))?,
            throttling_rate_limit: opt_f64(&routes, "ThrottlingRateLimit")?,
            throttling_burst_limit: opt_u32(&routes, "ThrottlingBurstLimit")?,
            default_authorizer,
            authorizers,
        });
        Ok(())
    }

    /// A Lambda authorizer; `None` (and an `Unsupported` entry) for JWT authorizers.
    fn authorizer(&mut self, api_id: &str, name: &str, spec: &Json) -> Result<Option<Authorizer>> {
        if spec.get("JwtConfiguration").is_some() {
            self.unsupported.push(format!("{api_id}.Auth.Authorizers.{name}: JWT authorizer"));
            return Ok(None);
        }
        let arn = required_string(spec, "FunctionArn")?;
        let function_logical_id =
            self.function_by_arn.get(&arn).cloned().ok_or_else(|| {
                PlanError::invalid("FunctionArn", format!("{arn} is not a function of this template"))
            })?;
        let identity = spec.get("Identity").cloned().unwrap_or(Json::Null);
        // The identity sources as API Gateway writes them, in SAM's order.
        let mut sources = Vec::new();
        for (key, prefix) in [
            ("Headers", "$request.header."),
            ("QueryStrings", "$request.querystring."),
            ("StageVariables", "$stageVariables."),
            ("Context", "$context."),
        ] {
            sources.extend(strings(&identity, key)?.into_iter().map(|s| format!("{prefix}{s}")));
        }
        Ok(Some(Authorizer {
            name: name.to_string(),
            function_logical_id,
            simple_responses: bool_or(spec, "EnableSimpleResponses", false)?,
            identity_headers: sources,
            // Without ReauthorizeEvery nothing is cached.
            cache_ttl_seconds: u32_or(&identity, "ReauthorizeEvery", 0)?,
        }))
    }

    /// Gives routes without `Auth.Authorizer` the API's default authorizer, creates SAM's
    /// implicit API when routes exist but no API does, and checks authorizer names.
    pub(super) fn link_default_api(&mut self) -> Result<()> {
        if self.sam_routes && self.stack.http_api.is_none() {
            self.stack.http_api = Some(HttpApi {
                logical_id: IMPLICIT_API.to_string(),
                cors: None,
                throttling_rate_limit: None,
                throttling_burst_limit: None,
                default_authorizer: None,
                authorizers: BTreeMap::new(),
            });
        }
        let Some(api) = &self.stack.http_api else { return Ok(()) };
        for &(f, r) in &self.default_auth_routes {
            if let Some(route) = self.stack.functions.get_mut(f).and_then(|f| f.http_routes.get_mut(r)) {
                route.authorizer.clone_from(&api.default_authorizer);
            }
        }
        let known = |a: &String| api.authorizers.contains_key(a);
        if let Some(name) = api.default_authorizer.as_ref().filter(|a| !known(a)) {
            return Err(PlanError::invalid(&api.logical_id, format!("DefaultAuthorizer {name} is not defined")));
        }
        for function in &self.stack.functions {
            for route in &function.http_routes {
                if let Some(name) = route.authorizer.as_ref().filter(|a| !known(a)) {
                    let at = format!("{} {} {}", function.logical_id, route.method, route.path);
                    return Err(PlanError::invalid(at, format!("authorizer {name} is not defined by the HttpApi")));
                }
            }
        }
        Ok(())
    }
}

/// `CorsConfiguration`: `true` allows every origin; a map is taken field by field.
pub(super) fn cors(config: &Json) -> Result<Option<Cors>> {
    Ok(match config {
        Json::Null | Json::Bool(false) => None,
        Json::Bool(true) => Some(Cors { allow_origins: vec!["*".to_string()], ..Cors::default() }),
        map => Some(Cors {
            allow_origins: strings(map, "AllowOrigins")?,
            allow_methods: strings(map, "AllowMethods")?,
            allow_headers: strings(map, "AllowHeaders")?,
            expose_headers: strings(map, "ExposeHeaders")?,
            max_age: opt_u32(map, "MaxAge")?,
            allow_credentials: bool_or(map, "AllowCredentials", false)?,
        }),
    })
}

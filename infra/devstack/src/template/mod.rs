//! Reads template.yaml (SAM) and resolves it into a [`Stack`]: parameters, conditions,
//! SAM globals and intrinsics, physical names as moto gives them. Anything the devstack
//! cannot run locally is refused with [`PlanError::Unsupported`] instead of being skipped.

mod api_v2;
mod data;
mod events;
mod function;
mod globals;
mod http_api;
mod intrinsics;
#[cfg(test)]
mod intrinsics_tests;
mod names;
mod nested;
mod params;
mod props;
pub mod role;
mod rules;
mod support;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use crate::model::Stack;
use intrinsics::Resolver;

/// How to plan: the knobs `sam deploy` would take, plus where moto listens.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Parameter overrides, like `sam deploy --parameter-overrides`.
    pub overrides: BTreeMap<String, String>,
    /// moto's endpoint, e.g. `http://127.0.0.1:4566` (queue URLs contain it).
    pub moto_endpoint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("template is not valid YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    /// Every resource or event the devstack cannot run, as `LogicalId: Type` or
    /// `LogicalId.Events.Name: Type`.
    #[error("template.yaml uses what the devstack cannot run locally: {}", .0.join(", "))]
    Unsupported(Vec<String>),
    /// The template's `Rules` refuse these parameters (`Rule: AssertDescription` each).
    #[error("the template's Rules refuse these parameters: {}", .0.join("; "))]
    Rules(Vec<String>),
    #[error("parameter {name}: {message}")]
    Parameter { name: String, message: String },
    /// A template error, located by its path in the template.
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
}

impl PlanError {
    pub(crate) fn invalid(at: impl Into<String>, message: impl Into<String>) -> Self {
        PlanError::Invalid { at: at.into(), message: message.into() }
    }

    /// Prefixes the location of an `Invalid` error with `outer`.
    pub(crate) fn within(self, outer: &str) -> Self {
        match self {
            PlanError::Invalid { at, message } => {
                let at = match (at.is_empty(), at.starts_with('[')) {
                    (true, _) => outer.to_string(),
                    (false, true) => format!("{outer}{at}"),
                    (false, false) => format!("{outer}.{at}"),
                };
                PlanError::Invalid { at, message }
            }
            other => other,
        }
    }
}

fn read_text(path: &Path) -> Result<String, PlanError> {
    std::fs::read_to_string(path).map_err(|source| PlanError::Io { path: path.to_path_buf(), source })
}

/// The template at `path` as JSON, intrinsics in long form (`{"Ref": …}`), unplanned.
pub fn read(path: &Path) -> Result<Json, PlanError> {
    yaml::parse(&read_text(path)?)
}

/// The template at `path` and every template it nests by a local `Location`, depth first
/// (the root first): the files that together describe the stack.
pub fn files(path: &Path) -> Result<Vec<PathBuf>, PlanError> {
    let mut out = vec![path.to_path_buf()];
    let resources = read(path)?.get("Resources").and_then(Json::as_object).cloned().unwrap_or_default();
    for resource in resources.values() {
        if resource.get("Type").and_then(Json::as_str) != Some(nested::TYPE) {
            continue;
        }
        if let (Some(location), Some(dir)) =
            (resource.pointer("/Properties/Location").and_then(Json::as_str), path.parent())
            && !location.contains("://")
        {
            out.extend(files(&dir.join(location))?);
        }
    }
    Ok(out)
}

/// Plans the template at `path`, and the nested stacks it names by a local `Location`
/// (relative to its folder), whose resources join its own.
pub fn plan(path: &Path, opts: &PlanOptions) -> Result<Stack, PlanError> {
    Ok(plan_file(path, opts, &Known::default())?.stack)
}

/// Plans a template given as text (a nested stack in it cannot be found: refused).
pub fn plan_str(yaml: &str, opts: &PlanOptions) -> Result<Stack, PlanError> {
    Ok(plan_in(yaml, opts, None, &Known::default())?.stack)
}

/// A planned template: its stack (its nested stacks' resources included) and its outputs.
pub(crate) struct Planned {
    pub stack: Stack,
    pub outputs: BTreeMap<String, String>,
}

/// What a nested stack may name of the stacks above it (by the values its parameters
/// carry): queues by ARN, HTTP APIs and their authorizers by `Ref`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    pub queues: BTreeMap<String, String>,
    pub apis: BTreeSet<String>,
    /// Authorizer `Ref` → its name in the model (its logical id).
    pub authorizers: BTreeMap<String, String>,
}

impl Known {
    /// `outer`, and what the template `r` adds. A name that needs a nested stack's outputs
    /// is left out: no nested stack can name it (CloudFormation would find a cycle), and
    /// building the template reports any other error in it.
    fn with(outer: &Known, r: &Resolver) -> Result<Known, PlanError> {
        let mut known = outer.clone();
        for id in r.resources.keys() {
            let kind = r.resource_type(id)?;
            let Ok(name) = r.physical_name(id) else { continue };
            match kind {
                "AWS::SQS::Queue" => {
                    known.queues.insert(names::queue_arn(&name), id.clone());
                }
                "AWS::ApiGatewayV2::Api" => {
                    known.apis.insert(name);
                }
                "AWS::ApiGatewayV2::Authorizer" => {
                    known.authorizers.insert(name, id.clone());
                }
                _ => {}
            }
        }
        Ok(known)
    }
}

fn plan_file(path: &Path, opts: &PlanOptions, outer: &Known) -> Result<Planned, PlanError> {
    plan_in(&read_text(path)?, opts, path.parent(), outer)
}

fn plan_in(yaml: &str, opts: &PlanOptions, dir: Option<&Path>, outer: &Known) -> Result<Planned, PlanError> {
    let doc = yaml::parse(yaml)?;
    let params = params::resolve(doc.get("Parameters").and_then(Json::as_object), &opts.overrides)?;
    let mut resources = doc
        .get("Resources")
        .and_then(Json::as_object)
        .cloned()
        .ok_or_else(|| PlanError::invalid("Resources", "missing or not a map"))?;
    let mut unsupported = support::unsupported_transforms(doc.get("Transform"));
    unsupported.extend(support::unsupported(&resources));
    if !unsupported.is_empty() {
        return Err(PlanError::Unsupported(unsupported));
    }
    globals::apply(doc.get("Globals"), &mut resources);
    let conditions = doc.get("Conditions").and_then(Json::as_object).cloned().unwrap_or_default();
    let parent = Resolver::new(&params.values, &conditions, &resources, &opts.moto_endpoint);
    let known = Known::with(outer, &parent)?;
    let children = nested::plan_children(&parent, &resources, opts, dir, &known)?;
    let outputs = children.iter().map(|(id, child)| (id.clone(), child.outputs.clone())).collect();
    // The parent's own resolver, now also answering `!GetAtt App.Outputs.Name`.
    let resolver = parent.with_nested_outputs(outputs);
    let mut builder = Builder::new(&resolver, known)?;
    builder.stack.parameters = params.raw;
    builder.build_all(&resources)?;
    let mut stack = builder.finish()?;
    for (app, child) in children {
        if let Some(id) = child.stack.logical_ids().find(|id| stack.logical_ids().any(|own| own == *id)) {
            return Err(PlanError::invalid(
                app,
                format!("{id} is also a resource of its parent (logical ids are shared)"),
            ));
        }
        stack.absorb(child.stack);
    }
    let outputs = outputs_of(&resolver, doc.get("Outputs"))?;
    Ok(Planned { stack, outputs })
}

/// The template's `Outputs`, resolved (those whose `Condition` fails are left out).
fn outputs_of(r: &Resolver, outputs: Option<&Json>) -> Result<BTreeMap<String, String>, PlanError> {
    let mut out = BTreeMap::new();
    for (name, output) in outputs.and_then(Json::as_object).into_iter().flatten() {
        if let Some(condition) = output.get("Condition").and_then(Json::as_str)
            && !r.condition(condition)?
        {
            continue;
        }
        let at = format!("Outputs.{name}.Value");
        let value = output.get("Value").ok_or_else(|| PlanError::invalid(&at, "missing"))?;
        if let Some(value) = r.resolve(value).map_err(|e| e.within(&at))? {
            let text = intrinsics::scalar_string(&value)
                .ok_or_else(|| PlanError::invalid(&at, format!("not a string: {value}")))?;
            out.insert(name.clone(), text);
        }
    }
    Ok(out)
}

/// Checks the template's `Rules` against the parameters, as CloudFormation does before a
/// deployment: `Err(PlanError::Rules)` lists every failed assertion. Separate from [`plan`],
/// which tests call with throwaway stage names that are not meant to pass production rules.
pub fn check_rules(path: &Path, opts: &PlanOptions) -> Result<(), PlanError> {
    check_rules_str(&read_text(path)?, opts)
}

/// [`check_rules`] of a template given as text.
pub fn check_rules_str(yaml: &str, opts: &PlanOptions) -> Result<(), PlanError> {
    let doc = yaml::parse(yaml)?;
    let params = params::resolve(doc.get("Parameters").and_then(Json::as_object), &opts.overrides)?;
    let conditions = doc.get("Conditions").and_then(Json::as_object).cloned().unwrap_or_default();
    let resources = doc.get("Resources").and_then(Json::as_object).cloned().unwrap_or_default();
    let resolver = Resolver::new(&params.values, &conditions, &resources, &opts.moto_endpoint);
    let failed = rules::failed(doc.get("Rules"), &resolver)?;
    if failed.is_empty() { Ok(()) } else { Err(PlanError::Rules(failed)) }
}

/// Accumulates the stack; problems only found while building (a rule targeting a Lambda,
/// a JWT authorizer…) are collected and reported together as `Unsupported`.
pub(crate) struct Builder<'r, 't> {
    pub r: &'r Resolver<'t>,
    pub stack: Stack,
    pub unsupported: Vec<String>,
    /// Queue ARN → logical id (event sources, redrive and rule targets name queues by ARN).
    pub queue_by_arn: BTreeMap<String, String>,
    /// Stream ARN placeholder → table logical id.
    pub table_by_stream: BTreeMap<String, String>,
    /// Function ARN → logical id (authorizers name functions by ARN).
    pub function_by_arn: BTreeMap<String, String>,
    /// Routes (function index, route index) that take the API's default authorizer.
    pub default_auth_routes: Vec<(usize, usize)>,
    /// Whether a function has an `HttpApi` event (SAM's routes, which need a SAM API).
    pub sam_routes: bool,
    /// What this template and the stacks above it define that others may name.
    pub known: Known,
    /// ApiGatewayV2 routes, authorizers and permissions, linked in `finish`.
    pending: api_v2::Pending,
}

impl<'r, 't> Builder<'r, 't> {
    fn new(r: &'r Resolver<'t>, known: Known) -> Result<Self, PlanError> {
        let mut b = Builder {
            r,
            stack: Stack::default(),
            unsupported: Vec::new(),
            table_by_stream: BTreeMap::new(),
            function_by_arn: BTreeMap::new(),
            default_auth_routes: Vec::new(),
            sam_routes: false,
            // A nested stack's rules and sources may name its parent's queues.
            queue_by_arn: known.queues.clone(),
            known,
            pending: api_v2::Pending::default(),
        };
        for id in r.resources.keys() {
            let (index, arn) = match r.resource_type(id)? {
                "AWS::SQS::Queue" => (&mut b.queue_by_arn, names::queue_arn(&r.physical_name(id)?)),
                "AWS::DynamoDB::Table" => {
                    (&mut b.table_by_stream, names::stream_arn_placeholder(&r.physical_name(id)?))
                }
                "AWS::Serverless::Function" => (&mut b.function_by_arn, names::function_arn(&r.binary(id)?)),
                _ => continue,
            };
            index.insert(arn, id.clone());
        }
        Ok(b)
    }

    fn build_all(&mut self, resources: &Map<String, Json>) -> Result<(), PlanError> {
        for (id, resource) in resources {
            if !self.active(id, resource)? {
                continue;
            }
            let kind = resource.get("Type").and_then(Json::as_str).unwrap_or_default();
            let empty = Json::Object(Map::new());
            let props = resource.get("Properties").unwrap_or(&empty);
            self.build(id, kind, props).map_err(|e| e.within(id))?;
        }
        Ok(())
    }

    fn build(&mut self, id: &str, kind: &str, props: &Json) -> Result<(), PlanError> {
        if support::DEPLOY_ONLY_TYPES.contains(&kind) {
            self.stack.deploy_only.push(format!("{id}: {kind}"));
            return Ok(());
        }
        match kind {
            "AWS::DynamoDB::Table" => self.table(id, props),
            "AWS::SQS::Queue" => self.queue(id, props),
            "AWS::Events::EventBus" => self.bus(id),
            "AWS::Events::Rule" => self.rule(id, props),
            "AWS::Events::Archive" => self.archive(id, props),
            "AWS::SNS::Topic" => self.topic(id, props),
            "AWS::SES::EmailIdentity" => self.email_identity(id, props),
            "AWS::Serverless::Function" => self.function(id, props),
            "AWS::Serverless::HttpApi" => self.http_api(id, props),
            kind if api_v2::TYPES.contains(&kind) => self.api_v2(id, kind, props),
            // Planned on its own (nested.rs); its resources join this stack.
            nested::TYPE => Ok(()),
            // Queue policies only grant permissions, which moto does not enforce.
            _ => Ok(()),
        }
    }

    /// A resource's (or an event's) properties, every intrinsic resolved.
    fn properties(&self, props: &Json) -> Result<Json, PlanError> {
        self.r.resolve_some(props).map_err(|e| e.within("Properties"))
    }

    /// Whether the resolved properties `p` of resource `id` set `key`, which the devstack
    /// cannot run for a `kind`; if so, it is recorded as unsupported.
    fn refused(&mut self, id: &str, kind: &str, p: &Json, key: &str) -> bool {
        let set = p.get(key).is_some();
        if set {
            self.unsupported.push(format!("{id}: {kind} with {key}"));
        }
        set
    }

    /// Resolves only the named properties (absent and `AWS::NoValue` ones are left out),
    /// for resources of which only some properties matter locally: policies, for one, may
    /// name resources (roles, other stacks) that have no local meaning.
    fn fields(&self, props: &Json, keys: &[&str]) -> Result<Json, PlanError> {
        let mut out = Map::new();
        for key in keys {
            let Some(value) = props.get(*key) else { continue };
            if let Some(v) = self.r.resolve(value).map_err(|e| e.within(&format!("Properties.{key}")))? {
                out.insert((*key).to_string(), v);
            }
        }
        Ok(Json::Object(out))
    }

    /// Whether the resource's `Condition` (if any) holds.
    fn active(&self, id: &str, resource: &Json) -> Result<bool, PlanError> {
        match resource.get("Condition").and_then(Json::as_str) {
            Some(name) => self.r.condition(name).map_err(|e| e.within(id)),
            None => Ok(true),
        }
    }

    /// Links what needs the whole stack (default authorizers, the implicit API).
    fn finish(mut self) -> Result<Stack, PlanError> {
        // What cannot run first: a route to an integration refused here would only fail to link.
        if !self.unsupported.is_empty() {
            return Err(PlanError::Unsupported(self.unsupported));
        }
        self.link_api_v2()?;
        self.link_default_api()?;
        Ok(self.stack)
    }
}

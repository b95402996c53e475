//! Nested stacks: an `AWS::Serverless::Application` whose `Location` is a template beside
//! its parent's. Each child is planned on its own, with the parameters its parent passes
//! (resolved in the parent), and its resources join the parent's [`Stack`]; its `Outputs`
//! are what the parent's `!GetAtt App.Outputs.Name` gives. Any other `Location` (the
//! Serverless Application Repository, S3) is refused: the devstack cannot run it.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value as Json};

use super::intrinsics::{Resolver, scalar_string};
use super::{Known, PlanError, PlanOptions, Planned};

type Result<T> = std::result::Result<T, PlanError>;

pub(super) const TYPE: &str = "AWS::Serverless::Application";

/// The planned children of the template whose resources are `resources` (in folder `dir`),
/// and their outputs by the Application's logical id. `r` resolves the parent's values.
pub(super) fn plan_children(
    r: &Resolver,
    resources: &Map<String, Json>,
    opts: &PlanOptions,
    dir: Option<&Path>,
    known: &Known,
) -> Result<Vec<(String, Planned)>> {
    let mut children = Vec::new();
    for (id, resource) in resources {
        if resource.get("Type").and_then(Json::as_str) != Some(TYPE) {
            continue;
        }
        if let Some(condition) = resource.get("Condition").and_then(Json::as_str)
            && !r.condition(condition).map_err(|e| e.within(id))?
        {
            continue;
        }
        let planned = plan_child(r, resource, opts, dir, known).map_err(|e| e.within(id))?;
        children.push((id.clone(), planned));
    }
    Ok(children)
}

fn plan_child(r: &Resolver, resource: &Json, opts: &PlanOptions, dir: Option<&Path>, known: &Known) -> Result<Planned> {
    let location = match resource.pointer("/Properties/Location") {
        Some(Json::String(path)) if !path.contains("://") => path.clone(),
        Some(other) => {
            return Err(PlanError::invalid(
                "Properties.Location",
                format!("only a local template can run locally, not {other}"),
            ));
        }
        None => return Err(PlanError::invalid("Properties.Location", "missing")),
    };
    let dir = dir.ok_or_else(|| {
        PlanError::invalid("Properties.Location", "a nested stack needs its parent's folder (plan a file)")
    })?;
    let mut overrides = BTreeMap::new();
    if let Some(parameters) = resource.pointer("/Properties/Parameters") {
        let resolved = r.resolve(parameters).map_err(|e| e.within("Properties.Parameters"))?;
        for (name, value) in resolved.as_ref().and_then(Json::as_object).into_iter().flatten() {
            let value = match value {
                Json::Array(items) => items.iter().filter_map(scalar_string).collect::<Vec<_>>().join(","),
                other => scalar_string(other).ok_or_else(|| {
                    PlanError::invalid(format!("Properties.Parameters.{name}"), format!("not a string: {other}"))
                })?,
            };
            overrides.insert(name.clone(), value);
        }
    }
    let path = dir.join(&location);
    let child = PlanOptions { overrides, moto_endpoint: opts.moto_endpoint.clone() };
    super::plan_file(&path, &child, known).map_err(|e| e.within(&format!("({location})")))
}

//! Evaluation of CloudFormation intrinsic functions over the normalised (long-form) JSON.
//! `AWS::NoValue` resolves to `None`, and objects and lists drop such entries, as
//! CloudFormation does.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::PlanError;
use super::yaml::is_intrinsic_key;
use crate::model::{ACCOUNT_ID, PARTITION, REGION, STACK_NAME, URL_SUFFIX};

type Result<T> = std::result::Result<T, PlanError>;

/// How deep references may nest (a resource's name referring to another's, conditions
/// referring to conditions) before we call it a cycle.
const MAX_DEPTH: u32 = 32;

/// Resolves intrinsics against the template's parameters, conditions and resources.
pub(crate) struct Resolver<'t> {
    /// Resolved parameters: a string, or a list for `CommaDelimitedList`/`List<…>`.
    pub params: &'t BTreeMap<String, Json>,
    pub conditions: &'t Map<String, Json>,
    /// Resources by logical id, SAM globals already merged.
    pub resources: &'t Map<String, Json>,
    pub moto_endpoint: &'t str,
    /// The resolved `Outputs` of each nested stack (`AWS::Serverless::Application`), by its
    /// logical id: what `!GetAtt App.Outputs.Name` gives.
    pub nested_outputs: BTreeMap<String, BTreeMap<String, String>>,
    depth: Cell<u32>,
}

fn err(message: impl Into<String>) -> PlanError {
    PlanError::invalid("", message)
}

/// A scalar as the string CloudFormation would substitute for it.
pub(crate) fn scalar_string(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'t> Resolver<'t> {
    pub fn new(
        params: &'t BTreeMap<String, Json>,
        conditions: &'t Map<String, Json>,
        resources: &'t Map<String, Json>,
        moto_endpoint: &'t str,
    ) -> Self {
        Resolver { params, conditions, resources, moto_endpoint, nested_outputs: BTreeMap::new(), depth: Cell::new(0) }
    }

    /// This resolver, knowing the nested stacks' outputs.
    pub fn with_nested_outputs(mut self, outputs: BTreeMap<String, BTreeMap<String, String>>) -> Self {
        self.nested_outputs = outputs;
        self
    }

    /// Runs `f` one level deeper, failing on runaway recursion (a reference cycle).
    pub(crate) fn nested<T>(&self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            return Err(err(format!("reference cycle through {what}")));
        }
        self.depth.set(depth + 1);
        let out = f();
        self.depth.set(depth);
        out
    }

    /// Resolves every intrinsic in `value`; `None` means `AWS::NoValue`.
    pub fn resolve(&self, value: &Json) -> Result<Option<Json>> {
        match value {
            Json::Object(map) => {
                if map.len() == 1
                    && let Some((key, arg)) = map.iter().next()
                    && is_intrinsic_key(key)
                {
                    return self.call(key, arg);
                }
                let mut out = Map::new();
                for (k, v) in map {
                    if let Some(v) = self.resolve(v).map_err(|e| e.within(k))? {
                        out.insert(k.clone(), v);
                    }
                }
                Ok(Some(Json::Object(out)))
            }
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    out.extend(self.resolve(v).map_err(|e| e.within(&format!("[{i}]")))?);
                }
                Ok(Some(Json::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// Resolves `value`, which must not be `AWS::NoValue`.
    pub fn resolve_some(&self, value: &Json) -> Result<Json> {
        self.resolve(value)?.ok_or_else(|| err("AWS::NoValue where a value is required"))
    }

    /// Resolves `value` to a string (numbers and booleans are stringified).
    pub fn resolve_string(&self, value: &Json) -> Result<String> {
        let resolved = self.resolve_some(value)?;
        scalar_string(&resolved).ok_or_else(|| err(format!("expected a string, got {resolved}")))
    }

    /// Resolves `value` to a list of strings (a `CommaDelimitedList` parameter counts).
    pub fn resolve_list(&self, value: &Json) -> Result<Vec<String>> {
        match self.resolve_some(value)? {
            Json::Array(items) => items
                .iter()
                .map(|v| scalar_string(v).ok_or_else(|| err(format!("expected a string, got {v}"))))
                .collect(),
            other => Err(err(format!("expected a list, got {other}"))),
        }
    }

    fn call(&self, key: &str, arg: &Json) -> Result<Option<Json>> {
        let out = match key {
            "Ref" => return self.reference(&self.resolve_string(arg)?),
            "Fn::Sub" => Json::String(self.sub(arg)?),
            "Fn::GetAtt" => self.get_att(arg)?,
            "Fn::Join" => Json::String(self.join(arg)?),
            "Fn::Select" => self.select(arg)?,
            "Fn::Split" => self.split(arg)?,
            "Fn::If" => return self.if_(arg),
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => Json::Bool(self.condition_fn(key, arg)?),
            "Fn::Contains" | "Fn::EachMemberEquals" | "Fn::EachMemberIn" => Json::Bool(self.rule_fn(key, arg)?),
            other => return Err(err(format!("intrinsic function {other} is not supported"))),
        };
        Ok(Some(out))
    }

    /// `Ref`: a parameter, a pseudo parameter or a resource.
    pub fn reference(&self, name: &str) -> Result<Option<Json>> {
        if let Some(value) = self.params.get(name) {
            return Ok(Some(value.clone()));
        }
        let pseudo = match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::NotificationARNs" => return Ok(Some(Json::Array(Vec::new()))),
            "AWS::Region" => REGION.to_string(),
            "AWS::AccountId" => ACCOUNT_ID.to_string(),
            "AWS::StackName" => STACK_NAME.to_string(),
            "AWS::Partition" => PARTITION.to_string(),
            "AWS::URLSuffix" => URL_SUFFIX.to_string(),
            "AWS::StackId" => {
                format!("arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local")
            }
            _ => return self.nested(name, || self.resource_ref(name)).map(Some),
        };
        Ok(Some(Json::String(pseudo)))
    }

    fn get_att(&self, arg: &Json) -> Result<Json> {
        let (id, attr) = match arg {
            Json::String(s) => s
                .split_once('.')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| err(format!("Fn::GetAtt {s:?} is not Resource.Attribute")))?,
            Json::Array(items) if items.len() == 2 => {
                (self.resolve_string(&items[0])?, self.resolve_string(&items[1])?)
            }
            other => return Err(err(format!("Fn::GetAtt takes A.B or [A, B], got {other}"))),
        };
        self.nested(&id, || self.resource_att(&id, &attr))
    }

    fn sub(&self, arg: &Json) -> Result<String> {
        let (template, vars) = match arg {
            Json::Array(items) if items.len() == 2 => {
                let vars = items[1].as_object().ok_or_else(|| err("Fn::Sub variables must be a map"))?;
                (&items[0], Some(vars))
            }
            other => (other, None),
        };
        let template = template.as_str().ok_or_else(|| err("Fn::Sub needs a string"))?;
        substitute(template, |name| {
            if let Some(value) = vars.and_then(|v| v.get(name)) {
                return self.resolve_string(value);
            }
            let value = match name.split_once('.') {
                Some((id, attr)) => self.nested(id, || self.resource_att(id, attr))?,
                None => self.reference(name)?.ok_or_else(|| err("AWS::NoValue in Fn::Sub"))?,
            };
            scalar_string(&value).ok_or_else(|| err(format!("${{{name}}} is not a string: {value}")))
        })
    }

    fn args<'a>(&self, f: &str, arg: &'a Json, n: usize) -> Result<&'a [Json]> {
        match arg {
            Json::Array(items) if items.len() == n => Ok(items),
            _ => Err(err(format!("{f} takes a list of {n} arguments, got {arg}"))),
        }
    }

    fn join(&self, arg: &Json) -> Result<String> {
        let args = self.args("Fn::Join", arg, 2)?;
        let delimiter = self.resolve_string(&args[0])?;
        Ok(self.resolve_list(&args[1])?.join(&delimiter))
    }

    fn select(&self, arg: &Json) -> Result<Json> {
        let args = self.args("Fn::Select", arg, 2)?;
        let index: usize =
            self.resolve_string(&args[0])?.parse().map_err(|_| err("Fn::Select index is not a number"))?;
        match self.resolve_some(&args[1])? {
            Json::Array(mut items) if index < items.len() => Ok(items.swap_remove(index)),
            other => Err(err(format!("Fn::Select index {index} out of range of {other}"))),
        }
    }

    fn split(&self, arg: &Json) -> Result<Json> {
        let args = self.args("Fn::Split", arg, 2)?;
        let delimiter = self.resolve_string(&args[0])?;
        let source = self.resolve_string(&args[1])?;
        Ok(Json::Array(source.split(delimiter.as_str()).map(|s| Json::String(s.into())).collect()))
    }

    fn if_(&self, arg: &Json) -> Result<Option<Json>> {
        let args = self.args("Fn::If", arg, 3)?;
        let name = args[0].as_str().ok_or_else(|| err("Fn::If needs a condition name"))?;
        let branch = if self.condition(name)? { &args[1] } else { &args[2] };
        self.resolve(branch)
    }

    /// Evaluates the named condition from the template's `Conditions`.
    pub fn condition(&self, name: &str) -> Result<bool> {
        let expr = self.conditions.get(name).ok_or_else(|| err(format!("unknown condition {name}")))?;
        self.nested(name, || self.boolean(expr)).map_err(|e| e.within(&format!("Conditions.{name}")))
    }

    /// A condition operand: `{"Condition": name}` or anything resolving to a boolean.
    pub(crate) fn boolean(&self, value: &Json) -> Result<bool> {
        if let Some(name) = value.get("Condition").and_then(Json::as_str) {
            return self.condition(name);
        }
        match self.resolve_some(value)? {
            Json::Bool(b) => Ok(b),
            Json::String(s) if s == "true" || s == "false" => Ok(s == "true"),
            other => Err(err(format!("expected a condition, got {other}"))),
        }
    }

    fn condition_fn(&self, key: &str, arg: &Json) -> Result<bool> {
        let items = arg.as_array().ok_or_else(|| err(format!("{key} takes a list")))?;
        match key {
            "Fn::Equals" => {
                let args = self.args(key, arg, 2)?;
                let (a, b) = (self.resolve_some(&args[0])?, self.resolve_some(&args[1])?);
                Ok(match (scalar_string(&a), scalar_string(&b)) {
                    (Some(a), Some(b)) => a == b,
                    _ => a == b,
                })
            }
            "Fn::Not" => Ok(!self.boolean(&self.args(key, arg, 1)?[0])?),
            "Fn::And" => items.iter().try_fold(true, |acc, v| Ok(acc & self.boolean(v)?)),
            _ => items.iter().try_fold(false, |acc, v| Ok(acc | self.boolean(v)?)),
        }
    }
}

impl Resolver<'_> {
    /// The rule functions over lists: `Fn::Contains [list, value]` (the value is a member),
    /// `Fn::EachMemberEquals [list, value]`, `Fn::EachMemberIn [list, allowed]`.
    fn rule_fn(&self, key: &str, arg: &Json) -> Result<bool> {
        let args = self.args(key, arg, 2)?;
        let list = self.resolve_list(&args[0])?;
        Ok(match key {
            "Fn::Contains" => list.contains(&self.resolve_string(&args[1])?),
            "Fn::EachMemberEquals" => {
                let value = self.resolve_string(&args[1])?;
                list.iter().all(|m| *m == value)
            }
            _ => {
                let allowed = self.resolve_list(&args[1])?;
                list.iter().all(|m| allowed.contains(m))
            }
        })
    }
}

/// Expands `${name}` placeholders with `lookup`; `${!text}` stays as the literal `${text}`.
pub(crate) fn substitute(template: &str, mut lookup: impl FnMut(&str) -> Result<String>) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| err(format!("unterminated ${{ in Fn::Sub {template:?}")))?;
        let name = &after[..end];
        match name.strip_prefix('!') {
            Some(literal) => {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            }
            None => out.push_str(&lookup(name.trim())?),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

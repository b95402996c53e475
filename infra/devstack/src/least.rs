//! Least privilege, measured: every grant of a function's own policies (the template's
//! `Policies` and what SAM adds for them; not the AWS managed policies SAM attaches) that no
//! test ever exercised. The moto launcher records each (role, action, resource) it allowed
//! an assumed role (`BAZAAR_IAM_LOG`, infra/moto/enforce.py); `make test` collects them over
//! every test binary and then runs `devstack least-privilege`, which fails on a grant nobody
//! used unless the template justifies it: a comment in the function's resource that says
//! `unexercised:` and names the action (`# unexercised: dynamodb:DeleteItem …, because …`).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

use crate::model::Stack;

/// One allowed request of an assumed role, as the launcher logs it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Exercised {
    /// `bazaar-<stage>-<binary>`.
    pub role: String,
    /// `dynamodb:GetItem`.
    pub action: String,
    pub resource: String,
}

impl Exercised {
    /// The binary and the resource with the role's stage replaced by `stage`: the names of
    /// a plan for `stage` (every test runs on a stage of its own).
    fn normalized(&self, stage: &str) -> Option<(String, String)> {
        let rest = self.role.strip_prefix(&format!("{}-", crate::model::STACK_NAME))?;
        let (own_stage, binary) = rest.split_once('-')?;
        Some((binary.to_owned(), self.resource.replace(own_stage, stage)))
    }
}

/// Reads the launcher's JSON lines; a line that is not one is an error.
pub fn parse_log(text: &str) -> anyhow::Result<BTreeSet<Exercised>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| anyhow::anyhow!("{e}: {l}")))
        .collect()
}

/// A grant nobody exercised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unused {
    pub function: String,
    pub action: String,
    /// The statement's resource pattern (`NotResource …` for one).
    pub resource: String,
    /// The template's justification comment, if any.
    pub justified: Option<String>,
}

/// Every (action, resource) of `stack`'s functions' inline policies that no `exercised`
/// request matches; `stage` is the stage `stack` was planned for; `template` the text of
/// the template, read for justifications.
pub fn unused(stack: &Stack, stage: &str, exercised: &BTreeSet<Exercised>, template: &str) -> Vec<Unused> {
    let used: Vec<(String, String, String)> = exercised
        .iter()
        .filter_map(|e| e.normalized(stage).map(|(binary, resource)| (binary, e.action.clone(), resource)))
        .collect();
    let mut out = Vec::new();
    for function in &stack.functions {
        let mine: Vec<&(String, String, String)> = used.iter().filter(|(b, _, _)| *b == function.binary).collect();
        for (_, document) in &function.role.policies {
            for statement in list(&document["Statement"]) {
                if statement["Effect"] != "Allow" {
                    continue;
                }
                for action in strings(&statement["Action"]) {
                    for scope in scopes(statement) {
                        let hit = mine.iter().any(|(_, a, r)| glob(&action, a, true) && scope.covers(r));
                        if !hit {
                            out.push(Unused {
                                function: function.logical_id.clone(),
                                justified: justification(template, &function.logical_id, &action),
                                action: action.clone(),
                                resource: scope.shown(),
                            });
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// What a statement grants on: each pattern of its `Resource`, or everything its
/// `NotResource` leaves out.
enum Scope {
    Pattern(String),
    Not(Vec<String>),
}

impl Scope {
    fn covers(&self, resource: &str) -> bool {
        match self {
            Scope::Pattern(pattern) => glob(pattern, resource, false),
            Scope::Not(patterns) => !patterns.iter().any(|p| glob(p, resource, false)),
        }
    }

    fn shown(&self) -> String {
        match self {
            Scope::Pattern(pattern) => pattern.clone(),
            Scope::Not(patterns) => format!("NotResource {}", patterns.join(",")),
        }
    }
}

fn scopes(statement: &Value) -> Vec<Scope> {
    match statement.get("NotResource") {
        Some(not) => vec![Scope::Not(strings(not))],
        None => strings(&statement["Resource"]).into_iter().map(Scope::Pattern).collect(),
    }
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

fn strings(value: &Value) -> Vec<String> {
    list(value).into_iter().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// An IAM wildcard match (`*` any run, `?` one character), actions without regard to case.
pub fn glob(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| if ignore_case { s.to_lowercase() } else { s.to_owned() };
    let (p, v): (Vec<char>, Vec<char>) = (fold(pattern).chars().collect(), fold(value).chars().collect());
    // Iterative wildcard matching with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < v.len() {
        if i < p.len() && (p[i] == '?' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// The comment in function `logical_id`'s resource of `template` that says `unexercised:`
/// and names `action`.
fn justification(template: &str, logical_id: &str, action: &str) -> Option<String> {
    let header = format!("  {logical_id}:");
    let mut lines = template.lines().skip_while(|l| l.trim_end() != header);
    lines.next()?;
    lines
        .take_while(|l| l.is_empty() || l.starts_with("   ") || l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('#').map(|(_, comment)| comment.trim()))
        .find(|c| c.to_lowercase().contains("unexercised:") && c.contains(action))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Function, Role};
    use serde_json::json;

    fn stack(statements: Value) -> Stack {
        let function = Function {
            role: Role {
                managed_policy_arns: vec![],
                policies: vec![("P".into(), json!({ "Statement": statements }))],
            },
            ..Function::new("OrdersPlaceFunction", "orders-place")
        };
        Stack { functions: vec![function], ..Stack::default() }
    }

    fn used(role: &str, action: &str, resource: &str) -> Exercised {
        Exercised { role: role.into(), action: action.into(), resource: resource.into() }
    }

    #[test]
    fn a_grant_is_used_when_any_stage_exercised_its_action_on_its_resource() {
        let table = "arn:aws:dynamodb:us-east-1:123456789012:table/bazaar-dev-orders";
        let stack = stack(json!([
            { "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem"], "Resource": table },
            { "Effect": "Allow", "Action": "sns:Publish", "NotResource": "arn:aws:sns:*:*:*" },
        ]));
        let log: BTreeSet<Exercised> = [
            used("bazaar-t0a1b2c3d4e-orders-place", "dynamodb:getitem", &table.replace("dev", "t0a1b2c3d4e")),
            used("bazaar-t0a1b2c3d4e-orders-get", "dynamodb:DeleteItem", &table.replace("dev", "t0a1b2c3d4e")),
            used("bazaar-t0a1b2c3d4e-orders-place", "sns:Publish", "arn:aws:sns:us-east-1:123456789012:topic"),
        ]
        .into();
        let template = "Resources:\n  OrdersPlaceFunction:\n    Properties:\n      # Unexercised: sns:Publish, by design\n  Next:\n";
        let unused = unused(&stack, "dev", &log, template);
        let found: Vec<(&str, &str, bool)> =
            unused.iter().map(|u| (u.action.as_str(), u.resource.as_str(), u.justified.is_some())).collect();
        assert_eq!(
            found,
            [("dynamodb:DeleteItem", table, false), ("sns:Publish", "NotResource arn:aws:sns:*:*:*", true)],
            "another function's use is not this one's; a topic is not what NotResource grants"
        );
    }

    #[test]
    fn wildcards_match_as_in_iam() {
        assert!(glob("sqs:SendMessage*", "sqs:SendMessage", true));
        assert!(glob("arn:aws:events:*:*:replay/*", "arn:aws:events:us-east-1:1:replay/r1", false));
        assert!(!glob("arn:aws:dynamodb:*:*:table/a", "arn:aws:dynamodb:x:y:table/a/index/i", false));
        assert!(glob("a?c", "abc", false) && !glob("a?c", "ac", false));
    }

    #[test]
    fn the_log_is_json_lines() {
        let log = parse_log("{\"role\":\"r\",\"action\":\"a\",\"resource\":\"x\"}\n\n").expect("parses");
        assert_eq!(log.len(), 1);
        assert!(parse_log("not json").is_err());
    }
}

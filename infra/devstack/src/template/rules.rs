//! The template's `Rules`: assertions CloudFormation checks against the parameters before it
//! creates or updates a stack. The devstack checks them the same way before it runs a
//! stage, so a stage the template refuses in AWS is refused locally too, with the same
//! descriptions.

use serde_json::Value as Json;

use super::PlanError;
use super::intrinsics::Resolver;

/// The description (or, without one, the position) of every assertion that fails, as
/// `Rule: description`, for rules whose `RuleCondition` holds (or that have none).
pub(crate) fn failed(rules: Option<&Json>, r: &Resolver<'_>) -> Result<Vec<String>, PlanError> {
    let mut failed = Vec::new();
    for (name, rule) in rules.and_then(Json::as_object).into_iter().flatten() {
        let at = format!("Rules.{name}");
        let applies = match rule.get("RuleCondition") {
            Some(condition) => r.boolean(condition).map_err(|e| e.within(&format!("{at}.RuleCondition")))?,
            None => true,
        };
        if !applies {
            continue;
        }
        let assertions = rule
            .get("Assertions")
            .and_then(Json::as_array)
            .ok_or_else(|| PlanError::invalid(format!("{at}.Assertions"), "a rule needs a list of assertions"))?;
        for (i, assertion) in assertions.iter().enumerate() {
            let here = format!("{at}.Assertions[{i}]");
            let expr = assertion.get("Assert").ok_or_else(|| PlanError::invalid(&here, "has no Assert"))?;
            if !r.boolean(expr).map_err(|e| e.within(&format!("{here}.Assert")))? {
                let description = assertion.get("AssertDescription").and_then(Json::as_str).unwrap_or(&here);
                failed.push(format!("{name}: {description}"));
            }
        }
    }
    Ok(failed)
}

//! What a stage other than dev needs before it may be deployed (the template's `Rules`,
//! checked by the devstack as CloudFormation checks them) and what it keeps when the stack
//! goes (tables retained, deletion protection outside dev).

use std::collections::BTreeMap;

use bazaar_testkit::template_path;
use devstack::template::{PlanError, PlanOptions, check_rules, check_rules_str};

fn opts(overrides: &[(&str, &str)]) -> PlanOptions {
    PlanOptions {
        overrides: overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        moto_endpoint: "http://127.0.0.1:4566".to_string(),
    }
}

/// Everything a production stage must set, set as a real deployment would.
const PRODUCTION: &[(&str, &str)] = &[
    ("Stage", "prod"),
    ("PaymentProviderMode", "manual"),
    ("AllowedOrigins", "https://shop.example.com,https://admin.example.com"),
    ("PasswordResetUrl", "https://shop.example.com/reset-password"),
    ("NotificationsFromAddress", "no-reply@example.com"),
    ("JwtIssuer", "https://api.example.com"),
    ("CursorSecretParameter", "/bazaar/prod/cursor-secret"),
    ("JwtSigningKeyParameter", "/bazaar/prod/jwt/signing-key"),
    ("JwtPublicKeysParameter", "/bazaar/prod/jwt/public-keys"),
    ("PaymentsWebhookSecretParameter", "/bazaar/prod/payments/webhook-secret"),
];

fn refused(overrides: &[(&str, &str)]) -> Vec<String> {
    match check_rules(&template_path(), &opts(overrides)) {
        Err(PlanError::Rules(failed)) => failed,
        other => panic!("expected the Rules to refuse {overrides:?}, got {other:?}"),
    }
}

#[test]
fn the_dev_stage_runs_on_the_development_defaults() {
    check_rules(&template_path(), &opts(&[])).expect("dev needs nothing set");
}

#[test]
fn a_production_stage_refuses_every_development_default() {
    let failed = refused(&[("Stage", "prod")]);
    for needle in [
        "PaymentProviderMode",
        "AllowedOrigins",
        "PasswordResetUrl",
        "NotificationsFromAddress",
        "JwtIssuer",
        "CursorSecretParameter",
        "JwtSigningKeyParameter",
        "JwtPublicKeysParameter",
        "PaymentsWebhookSecretParameter",
    ] {
        assert!(failed.iter().any(|f| f.contains(needle)), "nothing about {needle} in {failed:#?}");
    }
    assert!(failed.iter().all(|f| f.starts_with("ProductionSettings: ")), "{failed:#?}");
}

#[test]
fn a_production_stage_with_its_own_settings_passes() {
    check_rules(&template_path(), &opts(PRODUCTION)).expect("a fully configured stage deploys");
}

#[test]
fn each_setting_left_at_its_development_value_is_named() {
    for (dropped, _) in PRODUCTION.iter().filter(|(k, _)| *k != "Stage") {
        let rest: Vec<(&str, &str)> = PRODUCTION.iter().copied().filter(|(k, _)| k != dropped).collect();
        let failed = refused(&rest);
        assert_eq!(failed.len(), 1 + usize::from(*dropped == "AllowedOrigins"), "{dropped}: {failed:#?}");
        assert!(failed[0].contains(dropped), "{dropped}: {failed:#?}");
    }
    // One development origin among real ones is still refused.
    let mut mixed = PRODUCTION.to_vec();
    mixed.retain(|(k, _)| *k != "AllowedOrigins");
    mixed.push(("AllowedOrigins", "https://shop.example.com,http://localhost:5173"));
    assert_eq!(refused(&mixed).len(), 1);
}

#[test]
fn rule_functions_are_evaluated_as_cloudformation_does() {
    let template = r#"
Parameters:
  Stage: { Type: String, Default: dev }
  Origins: { Type: CommaDelimitedList, Default: "a,b" }
Rules:
  Lists:
    Assertions:
      - Assert: { "Fn::Contains": [!Ref Origins, a] }
        AssertDescription: contains
      - Assert: { "Fn::EachMemberIn": [!Ref Origins, [a, b, c]] }
        AssertDescription: each member in
      - Assert: { "Fn::EachMemberEquals": [!Ref Origins, a] }
        AssertDescription: each member equals
  OnlyOutsideDev:
    RuleCondition: !Not [!Equals [!Ref Stage, dev]]
    Assertions:
      - Assert: !Equals [a, b]
Resources: {}
"#;
    match check_rules_str(template, &opts(&[])) {
        Err(PlanError::Rules(failed)) => assert_eq!(failed, ["Lists: each member equals"]),
        other => panic!("{other:?}"),
    }
    match check_rules_str(template, &opts(&[("Stage", "prod"), ("Origins", "a")])) {
        Err(PlanError::Rules(failed)) => assert_eq!(failed, ["OnlyOutsideDev: Rules.OnlyOutsideDev.Assertions[0]"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn tables_outlive_the_stack_and_are_protected_outside_dev() {
    let doc = devstack::template::read(&template_path()).expect("template");
    let resources = doc["Resources"].as_object().expect("resources");
    let tables: Vec<(&String, &serde_json::Value)> =
        resources.iter().filter(|(_, r)| r["Type"] == "AWS::DynamoDB::Table").collect();
    assert!(tables.len() >= 8, "{}", tables.len());
    for (id, table) in tables {
        assert_eq!(
            (table["DeletionPolicy"].as_str(), table["UpdateReplacePolicy"].as_str()),
            (Some("Retain"), Some("Retain")),
            "{id}"
        );
        assert!(table["Properties"].get("DeletionProtectionEnabled").is_some(), "{id}: no deletion protection");
    }
    for (id, queue) in resources.iter().filter(|(_, r)| r["Type"] == "AWS::SQS::Queue") {
        assert!(
            queue["DeletionPolicy"].is_string() && queue["UpdateReplacePolicy"].is_string(),
            "{id}: no explicit policy"
        );
    }
}

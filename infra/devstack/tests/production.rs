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
    ("EmailVerificationUrl", "https://shop.example.com/verify-email"),
    ("NotificationsFromAddress", "no-reply@example.com"),
    ("JwtIssuer", "https://api.example.com"),
    ("CursorSecretParameter", "/bazaar/prod/cursor-secret"),
    ("JwtSigningKeyParameter", "/bazaar/prod/jwt/signing-key"),
    ("JwtPublicKeysParameter", "/bazaar/prod/jwt/public-keys"),
    ("PaymentsWebhookSecretParameter", "/bazaar/prod/payments/webhook-secret"),
    ("LinkKeyParameter", "/bazaar/prod/links/key"),
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
        "EmailVerificationUrl",
        "NotificationsFromAddress",
        "JwtIssuer",
        "CursorSecretParameter",
        "JwtSigningKeyParameter",
        "JwtPublicKeysParameter",
        "PaymentsWebhookSecretParameter",
        "LinkKeyParameter",
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
fn a_sandbox_payment_mode_needs_a_stage_that_opts_in() {
    for mode in ["simulated", "sandbox"] {
        let mut stage = PRODUCTION.to_vec();
        stage.retain(|(k, _)| *k != "PaymentProviderMode");
        stage.push(("PaymentProviderMode", mode));
        let failed = refused(&stage);
        assert_eq!(failed.len(), 1, "{mode}: {failed:#?}");
        assert!(failed[0].contains("AllowSandboxPayments"), "{mode}: {failed:#?}");
        stage.push(("AllowSandboxPayments", "true"));
        check_rules(&template_path(), &opts(&stage)).expect("a demo stage that opted in");
    }
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

/// Every template of the tree (the root, then each service's), read.
fn templates() -> Vec<(std::path::PathBuf, serde_json::Value)> {
    let files = devstack::template::files(&template_path()).expect("the tree of templates");
    files.into_iter().map(|f| (f.clone(), devstack::template::read(&f).expect("a template"))).collect()
}

#[test]
fn tables_outlive_the_stack_and_are_protected_outside_dev() {
    let mut count = 0;
    for (file, doc) in templates() {
        let resources = doc["Resources"].as_object().expect("resources");
        for (id, table) in resources.iter().filter(|(_, r)| r["Type"] == "AWS::DynamoDB::Table") {
            count += 1;
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
                "{}: {id}: no explicit policy",
                file.display()
            );
        }
    }
    assert!(count >= 8, "{count}");
}

/// `{"Ref": id}` or `{"Fn::GetAtt": [id, attr]}` / `"id.attr"`: the resource a value names.
fn named(value: &serde_json::Value) -> Option<String> {
    if let Some(id) = value.get("Ref").and_then(|v| v.as_str()) {
        return Some(id.to_owned());
    }
    match value.get("Fn::GetAtt")? {
        serde_json::Value::String(s) => s.split('.').next().map(str::to_owned),
        serde_json::Value::Array(items) => items.first().and_then(|v| v.as_str()).map(str::to_owned),
        _ => None,
    }
}

/// Every resource an alarm watches (the values of its metrics' dimensions) and its actions.
fn watched(alarm: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let p = &alarm["Properties"];
    let mut dims: Vec<&serde_json::Value> = p["Dimensions"].as_array().into_iter().flatten().collect();
    for m in p["Metrics"].as_array().into_iter().flatten() {
        dims.extend(m.pointer("/MetricStat/Metric/Dimensions").and_then(|d| d.as_array()).into_iter().flatten());
    }
    let watched = dims.iter().filter_map(|d| named(&d["Value"])).collect();
    let actions = p["AlarmActions"].as_array().into_iter().flatten().filter_map(named).collect();
    (watched, actions)
}

/// Every queue a resource of `resources` sends dead letters to (redrive policies, rule
/// targets' and stream sources' failure destinations), by what names it.
fn dead_letter_targets(resources: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    fn targets(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let dead_letter = k == "deadLetterTargetArn"
                        || (k == "Arn" && map.len() == 1)
                        || (k == "Destination" && map.contains_key("Type"));
                    match named(v) {
                        Some(id) if dead_letter => out.push(id),
                        _ => targets(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| targets(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in resources.values() {
        for key in ["RedrivePolicy", "Targets", "Events"] {
            targets(&r["Properties"][key], &mut out);
        }
    }
    out
}

/// Checks one template of the tree: its alarms notify the alarm topic (`AlarmTopic` in the
/// root, the `AlarmTopicArn` the root passes in a service's), each of its DLQs and
/// functions is watched, each function logs with retention. Returns its DLQs and alarms.
fn watched_in(doc: &serde_json::Value, topic: &str) -> (Vec<String>, Vec<serde_json::Value>) {
    let resources = doc["Resources"].as_object().expect("resources");
    let of_type = |t: &str| {
        resources.iter().filter(move |(_, r)| r["Type"] == t).map(|(id, r)| (id.clone(), r)).collect::<Vec<_>>()
    };
    let alarms = of_type("AWS::CloudWatch::Alarm");
    let watchers = |id: &str| alarms.iter().filter(|(_, a)| watched(a).0.iter().any(|w| w == id)).count();
    for (_, alarm) in &alarms {
        assert_eq!(watched(alarm).1, [topic], "every alarm notifies the alarm topic: {alarm}");
    }
    let dlqs: Vec<String> =
        of_type("AWS::SQS::Queue").into_iter().map(|(id, _)| id).filter(|id| id.ends_with("DLQ")).collect();
    // Every queue of this template that dead letters are sent to is one of them, so none
    // escapes an alarm (the root's delivery DLQ, which the services name by its ARN, is the
    // root's to watch).
    let queues: Vec<String> = of_type("AWS::SQS::Queue").into_iter().map(|(id, _)| id).collect();
    let targets: Vec<String> = dead_letter_targets(resources).into_iter().filter(|t| queues.contains(t)).collect();
    for target in &targets {
        assert!(dlqs.contains(target), "{target} receives dead letters but is not named …DLQ");
    }
    for dlq in &dlqs {
        assert!(watchers(dlq) >= 1, "{dlq} has no alarm on its depth");
    }
    let log_groups: std::collections::BTreeMap<String, &serde_json::Value> =
        of_type("AWS::Logs::LogGroup").into_iter().collect();
    for (id, function) in of_type("AWS::Serverless::Function") {
        let group = named(&function["Properties"]["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{id} names no log group"));
        let group =
            log_groups.get(&group).unwrap_or_else(|| panic!("{id}: {group} is not a log group of its template"));
        assert!(group["Properties"].get("RetentionInDays").is_some(), "{id}: its log group keeps logs forever");
        assert!(watchers(&id) >= 1, "{id} has no errors/throttles alarm");
        let streams =
            function["Properties"]["Events"].as_object().into_iter().flatten().any(|(_, e)| e["Type"] == "DynamoDB");
        if streams {
            let iterator_age = alarms
                .iter()
                .any(|(_, a)| a["Properties"]["MetricName"] == "IteratorAge" && watched(a).0.contains(&id));
            assert!(iterator_age, "{id} reads a stream and has no iterator age alarm");
        }
    }
    (dlqs, alarms.into_iter().map(|(_, a)| a.clone()).collect())
}

#[test]
fn every_dlq_and_function_is_watched_and_every_function_logs_with_retention() {
    let tree = templates();
    let (root_file, root) = &tree[0];
    assert_eq!(root_file, &template_path());
    let resources = root["Resources"].as_object().expect("resources");
    let (mut dlqs, mut alarms) = watched_in(root, "AlarmTopic");
    // Each service's alarms notify the root's topic: the root passes it as AlarmTopicArn.
    for (id, app) in resources.iter().filter(|(_, r)| r["Type"] == "AWS::Serverless::Application") {
        assert_eq!(named(&app["Properties"]["Parameters"]["AlarmTopicArn"]).as_deref(), Some("AlarmTopic"), "{id}");
    }
    for (_, doc) in &tree[1..] {
        let (d, a) = watched_in(doc, "AlarmTopicArn");
        dlqs.extend(d);
        alarms.extend(a);
    }
    assert!(dlqs.len() >= 15, "{dlqs:?}");
    assert!(dlqs.contains(&"EventDeliveryDLQ".to_owned()), "{dlqs:?}");
    assert!(alarms.iter().any(|a| a["Properties"]["MetricName"] == "5xx"), "no API 5xx alarm");
    let stage = &resources["HttpApiStage"]["Properties"]["AccessLogSettings"];
    assert_eq!(named(&stage["DestinationArn"]).as_deref(), Some("ApiAccessLogGroup"), "API access logs");
    assert!(!stage["Format"].as_str().unwrap_or_default().contains("header"), "access logs carry no headers (tokens)");
    let dashboards = tree.iter().flat_map(|(_, d)| d["Resources"].as_object().expect("resources").values());
    assert_eq!(dashboards.filter(|r| r["Type"] == "AWS::CloudWatch::Dashboard").count(), 1);
}

#[test]
fn the_devstack_plans_around_deploy_only_resources_and_refuses_unknown_ones() {
    let stack = devstack::template::plan(&template_path(), &opts(&[])).expect("plans");
    assert!(stack.deploy_only.iter().any(|d| d.ends_with(": AWS::CloudWatch::Alarm")), "{:?}", stack.deploy_only);
    assert!(stack.deploy_only.iter().any(|d| d.ends_with(": AWS::Logs::LogGroup")));
    assert!(
        !stack.deploy_only.iter().any(|d| d.starts_with("AlarmEmailSubscription")),
        "its condition is false by default"
    );
    let with_email =
        devstack::template::plan(&template_path(), &opts(&[("AlarmEmail", "ops@example.com")])).expect("plans");
    assert!(with_email.deploy_only.iter().any(|d| d == "AlarmEmailSubscription: AWS::SNS::Subscription"));
    let unknown = "Resources:\n  Box:\n    Type: AWS::EC2::Instance\n    Properties: {}\n";
    match devstack::template::plan_str(unknown, &opts(&[])) {
        Err(PlanError::Unsupported(items)) => assert_eq!(items, ["Box: AWS::EC2::Instance"]),
        other => panic!("{other:?}"),
    }
}

//! Planning the real template.yaml and fixtures: what the devstack will run, and what it
//! must refuse.

use std::collections::BTreeMap;
use std::path::PathBuf;

use devstack::model::Stack;
use devstack::template::{PlanError, PlanOptions, plan};

fn opts(overrides: &[(&str, &str)]) -> PlanOptions {
    PlanOptions {
        overrides: overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        moto_endpoint: "http://127.0.0.1:4566".to_string(),
    }
}

fn real(overrides: &[(&str, &str)]) -> Stack {
    plan(&bazaar_testkit::template_path(), &opts(overrides)).expect("template.yaml plans")
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[test]
fn real_template_functions_and_environment() {
    let stack = real(&[]);
    let login = stack.function("AuthLoginFunction").expect("login function");
    assert_eq!(login.binary, "auth-login");
    assert_eq!(login.memory_mb, 512);
    assert_eq!(login.timeout_seconds, 10, "Globals.Function.Timeout");
    assert_eq!(login.environment["AUTH_TABLE"], "bazaar-dev-auth");
    assert_eq!(login.environment["STAGE"], "dev", "Globals variables are merged");
    assert_eq!(login.environment["ACCESS_TOKEN_TTL_SECONDS"], "900");
    assert_eq!(stack.function("AuthMeFunction").expect("me").memory_mb, 128);
    let publisher = stack.function("AuthPublisherFunction").expect("publisher");
    assert_eq!(publisher.environment["EVENT_BUS_NAME"], "bazaar-dev");
    assert!(stack.function("AuthAuthorizerFunction").is_some());
    assert_eq!(stack.parameters["Stage"], "dev");

    let xyz = real(&[("Stage", "xyz")]);
    let login = xyz.function("AuthLoginFunction").expect("login function");
    assert_eq!(login.environment["AUTH_TABLE"], "bazaar-xyz-auth");
    assert_eq!(xyz.table("AuthTable").expect("auth table").name, "bazaar-xyz-auth");
}

#[test]
fn real_template_routes_and_api() {
    let stack = real(&[]);
    let route = |id: &str| stack.function(id).expect(id).http_routes[0].clone();
    let get_user = route("AuthUsersGetFunction");
    assert_eq!((get_user.method.as_str(), get_user.path.as_str()), ("GET", "/auth/users/{id}"));
    assert_eq!(get_user.authorizer.as_deref(), Some("ApiAuthorizer"));
    let login = route("AuthLoginFunction");
    assert_eq!((login.method.as_str(), login.path.as_str()), ("POST", "/auth/login"));
    assert_eq!(login.authorizer, None);

    let api = stack.http_api.as_ref().expect("http api");
    let cors = api.cors.as_ref().expect("cors");
    assert_eq!(cors.allow_origins, ["http://localhost:5173", "http://127.0.0.1:3000"]);
    assert!(cors.allow_methods.contains(&"PATCH".to_string()));
    assert_eq!(cors.max_age, Some(600));
    assert_eq!(api.throttling_rate_limit, Some(50.0));
    assert_eq!(api.throttling_burst_limit, Some(100));
    let authorizer = &api.authorizers["ApiAuthorizer"];
    assert_eq!(authorizer.function_logical_id, "AuthAuthorizerFunction");
    assert!(authorizer.simple_responses);
    assert_eq!(authorizer.identity_headers, ["$request.header.Authorization"]);
}

#[test]
fn the_authorizer_caches_an_answer_no_longer_than_the_access_token_leeway() {
    // A cached "allow" outlives the token's expiry (and any role change) by its TTL: no
    // longer than the leeway the verifier grants an expired token anyway.
    let stack = real(&[]);
    let api = stack.http_api.as_ref().expect("http api");
    for (name, authorizer) in &api.authorizers {
        assert!(
            u64::from(authorizer.cache_ttl_seconds) <= auth_core::tokens::LEEWAY_SECONDS,
            "{name} caches for {} s, longer than the {} s leeway",
            authorizer.cache_ttl_seconds,
            auth_core::tokens::LEEWAY_SECONDS
        );
    }
    assert!(!api.authorizers.is_empty());
}

#[test]
fn real_template_stream_source_and_resources() {
    let stack = real(&[]);
    let table = stack.table("AuthTable").expect("auth table");
    assert_eq!((table.hash_key.name.as_str(), table.range_key.as_ref().map(|k| k.name.as_str())), ("pk", Some("sk")));
    assert_eq!(table.gsis[0].name, "gsi1");
    assert_eq!(table.stream_view_type.as_deref(), Some("NEW_AND_OLD_IMAGES"));
    assert_eq!(table.ttl_attribute.as_deref(), Some("expires_at"));

    let source = &stack.function("AuthPublisherFunction").expect("publisher").stream_sources[0];
    assert_eq!(source.table_logical_id, "AuthTable");
    assert_eq!(source.starting_position, "TRIM_HORIZON");
    assert_eq!((source.batch_size, source.maximum_batching_window_seconds), (100, 0), "invoke as records arrive");
    let windowed = real(&[("EventBatchingWindowSeconds", "1")]);
    for f in &windowed.functions {
        let windows = f.stream_sources.iter().map(|s| s.maximum_batching_window_seconds);
        let windows: Vec<u32> =
            windows.chain(f.sqs_sources.iter().map(|s| s.maximum_batching_window_seconds)).collect();
        assert!(windows.iter().all(|w| *w == 1), "{}: every event source takes the parameter: {windows:?}", f.binary);
    }
    assert_eq!(source.maximum_retry_attempts, 10);
    assert!(source.bisect_on_error && source.report_batch_item_failures);
    assert_eq!(source.on_failure_queue_logical_id.as_deref(), Some("AuthPublisherDLQ"));
    assert_eq!(
        source.filters,
        [
            serde_json::json!({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}})
        ]
    );
    let dlq = stack.queue("AuthPublisherDLQ").expect("dlq");
    assert_eq!(dlq.name, "bazaar-dev-auth-publisher-dlq");
    assert_eq!(dlq.message_retention_seconds, Some(1_209_600));
    assert_eq!(stack.buses[0].name, "bazaar-dev");
}

#[test]
fn bad_overrides_are_refused() {
    let err = plan(&bazaar_testkit::template_path(), &opts(&[("Stage", "Not Valid")])).expect_err("pattern");
    assert!(matches!(err, PlanError::Parameter { ref name, .. } if name == "Stage"), "{err}");
    let err = plan(&bazaar_testkit::template_path(), &opts(&[("Nope", "x")])).expect_err("unknown");
    assert!(matches!(err, PlanError::Parameter { ref name, .. } if name == "Nope"), "{err}");
}

/// The devstack must refuse, not skip, what it cannot run.
#[test]
fn unsupported_resource_type_is_refused() {
    match plan(&fixture("kinesis-resource.yaml"), &opts(&[])) {
        Err(PlanError::Unsupported(items)) => assert_eq!(items, ["Clicks: AWS::Kinesis::Stream"]),
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn unsupported_event_types_are_refused() {
    match plan(&fixture("unsupported-events.yaml"), &opts(&[])) {
        Err(PlanError::Unsupported(items)) => {
            assert_eq!(items, ["ConsumerFunction.Events.Clicks: Kinesis", "ConsumerFunction.Events.Upload: S3"])
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn queues_rules_fixture() {
    let stack = plan(&fixture("queues-and-rules.yaml"), &opts(&[("Stage", "t1")])).expect("plans");
    let work = stack.queue("WorkQueue").expect("work queue");
    let redrive = work.redrive.as_ref().expect("redrive");
    assert_eq!((redrive.dlq_logical_id.as_str(), redrive.max_receive_count), ("WorkDLQ", 2));
    let rule = &stack.rules[0];
    assert_eq!(rule.bus_name, "bazaar-t1-bus");
    assert_eq!(rule.event_pattern["detail"]["age"], serde_json::json!([{"numeric": [">=", 18]}]));
    let target = &rule.targets[0];
    assert_eq!(target.queue_logical_id, "WorkQueue");
    assert_eq!(target.dlq_logical_id.as_deref(), Some("WorkDLQ"));
    assert_eq!(target.maximum_retry_attempts, Some(3));
}

#[test]
fn rule_targeting_a_lambda_is_refused() {
    let yaml = r#"
Resources:
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [x]}
      Targets:
        - Id: fn
          Arn: arn:aws:lambda:us-east-1:123456789012:function:other
"#;
    match devstack::template::plan_str(yaml, &opts(&[])) {
        Err(PlanError::Unsupported(items)) => {
            assert!(items[0].starts_with("Rule.Targets.fn: arn:aws:lambda"), "{items:?}")
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn a_service_part_is_what_its_functions_use() {
    let stack = real(&[]);
    let part = stack.of_service("orders");
    let ids = |v: Vec<&String>| v.into_iter().cloned().collect::<Vec<_>>();
    let tables = ids(part.tables.iter().map(|t| &t.logical_id).collect());
    assert!(tables.contains(&"OrdersTable".to_owned()), "{tables:?}");
    assert!(!tables.contains(&"CatalogTable".to_owned()) && !tables.contains(&"AuthTable".to_owned()), "{tables:?}");
    assert!(part.functions.iter().all(|f| f.binary.starts_with("orders-")) && part.functions.len() >= 5);
    let queues = ids(part.queues.iter().map(|q| &q.logical_id).collect());
    for queue in ["OrdersOnProductQueue", "OrdersOnProductDLQ", "OrdersOnStockQueue", "OrdersOnPaymentDLQ"] {
        assert!(queues.contains(&queue.to_owned()), "{queue} missing: {queues:?}");
    }
    assert!(!queues.contains(&"CatalogOnOrderQueue".to_owned()), "{queues:?}");
    // Every consumed queue, every dead-letter queue of a kept queue and every rule target is there.
    for function in &part.functions {
        for source in &function.sqs_sources {
            assert!(queues.contains(&source.queue_logical_id), "{}", source.queue_logical_id);
        }
    }
    for queue in &part.queues {
        if let Some(redrive) = &queue.redrive {
            assert!(queues.contains(&redrive.dlq_logical_id), "{} without its DLQ", queue.logical_id);
        }
    }
    assert!(!part.rules.is_empty());
    for target in part.rules.iter().flat_map(|r| &r.targets) {
        assert!(queues.contains(&target.queue_logical_id), "{}", target.queue_logical_id);
    }
    assert!(part.queues.len() < stack.queues.len() / 2, "{} of {}", part.queues.len(), stack.queues.len());
}

#[test]
fn a_nested_stack_is_planned_with_its_parents_parameters_and_its_resources_join_the_stack() {
    let stack = plan(&fixture("nested/root.yaml"), &opts(&[("Stage", "prod")])).expect("the tree plans");
    let function = stack.function("OrdersOnProductFunction").expect("the child's function");
    assert_eq!(function.environment["ORDERS_TABLE"], "bazaar-prod-orders", "the parent's Stage reached the child");
    assert_eq!(function.environment["EVENT_BUS_ARN"], "arn:aws:events:us-east-1:123456789012:event-bus/bazaar-prod");
    assert_eq!(function.sqs_sources.len(), 1, "the child's event source");
    assert_eq!(function.role.policies.len(), 1, "the child's role");
    assert!(stack.table("OrdersTable").is_some());
    let rule = stack.rules.iter().find(|r| r.logical_id == "OrdersOnProductRule").expect("the child's rule");
    assert_eq!(rule.bus_name, "bazaar-prod", "on the parent's bus");
    assert_eq!(stack.buses.len(), 1);
    assert!(
        stack.queues.iter().any(|q| q.name == "bazaar-prod-orders-watch"),
        "the parent read the child's output: {:?}",
        stack.queues.iter().map(|q| &q.name).collect::<Vec<_>>()
    );
}

#[test]
fn a_nested_stacks_routes_attach_to_the_roots_api_with_its_authorizer() {
    let stack = plan(&fixture("nested/root.yaml"), &opts(&[("Stage", "prod")])).expect("the tree plans");
    let api = stack.http_api.as_ref().expect("the root's AWS::ApiGatewayV2::Api");
    assert_eq!(api.logical_id, "HttpApi");
    assert_eq!((api.throttling_rate_limit, api.throttling_burst_limit), (Some(5.0), Some(10)), "the stage's");
    assert_eq!(api.cors.as_ref().map(|c| c.allow_origins.clone()), Some(vec!["http://127.0.0.1:3000".to_owned()]));
    let authorizer = &api.authorizers["ApiAuthorizer"];
    assert_eq!(authorizer.function_logical_id, "AuthAuthorizerFunction");
    assert_eq!(authorizer.identity_headers, ["$request.header.Authorization"]);
    assert_eq!((authorizer.cache_ttl_seconds, authorizer.simple_responses), (30, true));
    let routes = &stack.function("OrdersGetFunction").expect("the child's function").http_routes;
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!((routes[0].method.as_str(), routes[0].path.as_str()), ("GET", "/orders/{id}"));
    assert_eq!(routes[0].authorizer.as_deref(), Some("ApiAuthorizer"), "the root's authorizer, by its id");
    let rule = stack.rules.iter().find(|r| r.logical_id == "OrdersOnProductRule").expect("the child's rule");
    assert_eq!(rule.targets[0].dlq_logical_id.as_deref(), Some("EventDeliveryDLQ"), "the root's queue, by its ARN");
}

/// The fixture tree copied to a temporary folder with `edit` applied to the child's text.
fn plan_edited_tree(edit: impl Fn(&str) -> String) -> Result<devstack::model::Stack, PlanError> {
    let dir = std::env::temp_dir().join(format!("bazaar-nested-edit-{}-{}", std::process::id(), next_id()));
    std::fs::create_dir_all(dir.join("orders")).expect("a folder");
    std::fs::copy(fixture("nested/root.yaml"), dir.join("root.yaml")).expect("copy");
    let child = std::fs::read_to_string(fixture("nested/orders/template.yaml")).expect("read");
    std::fs::write(dir.join("orders/template.yaml"), edit(&child)).expect("write");
    let planned = plan(&dir.join("root.yaml"), &opts(&[]));
    let _ = std::fs::remove_dir_all(&dir);
    planned
}

fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn a_route_api_gateway_may_not_call_or_without_a_known_authorizer_is_refused() {
    let unchanged = plan_edited_tree(str::to_owned);
    assert!(unchanged.is_ok(), "{:?}", unchanged.err());
    let cases: [(&str, &str, &str); 5] = [
        // The permission covers POST only: API Gateway would answer 500.
        (
            "/*/GET/orders/*",
            "/*/POST/orders/*",
            "no AWS::Lambda::Permission lets apigateway.amazonaws.com invoke OrdersGetFunction",
        ),
        ("AuthorizerId: !Ref AuthorizerId", "AuthorizerId: nope", "nope is not an AWS::ApiGatewayV2::Authorizer"),
        (
            "ApiId: !Ref HttpApiId\n      RouteKey",
            "ApiId: other\n      RouteKey",
            "other is not an AWS::ApiGatewayV2::Api",
        ),
        (
            "Target: !Sub integrations/${OrdersGetIntegration}",
            "Target: integrations/missing",
            "integrations/missing is not an integration",
        ),
        ("PayloadFormatVersion: \"2.0\"", "PayloadFormatVersion: \"1.0\"", "payload format other than 2.0"),
    ];
    for (from, to, expected) in cases {
        let err = plan_edited_tree(|child| {
            assert!(child.contains(from), "the fixture has {from:?}");
            child.replace(from, to)
        })
        .expect_err(expected);
        assert!(err.to_string().contains(expected), "{from} → {to}: {err}");
    }
}

#[test]
fn a_nested_stack_that_is_not_a_local_template_is_refused() {
    let dir = std::env::temp_dir().join(format!("bazaar-nested-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let root = dir.join("root.yaml");
    let text = "Resources:\n  Remote:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: \
                s3://bucket/orders.yaml\n";
    std::fs::write(&root, text).expect("write");
    let refused = plan(&root, &opts(&[]));
    let _ = std::fs::remove_dir_all(&dir);
    let err = refused.expect_err("an S3 location is refused");
    assert!(err.to_string().contains("only a local template"), "{err}");
    let missing = devstack::template::plan_str(
        "Resources:\n  A:\n    Type: AWS::Serverless::Application\n    \
                                                 Properties:\n      Location: a.yaml\n",
        &opts(&[]),
    );
    assert!(missing.expect_err("no folder to look in").to_string().contains("parent's folder"));
}

//! The local API Gateway over HTTP, with a closure-backed invoker standing in for
//! `cargo lambda watch`: routing, the 2.0 event, authorizer outcomes and caching, CORS,
//! throttling and response mapping.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use devstack::gateway::{Gateway, GatewayOptions, serve};
use devstack::invoke::{FnInvoker, InvokeOutcome};
use devstack::model::{Authorizer, Cors, Function, HttpApi, HttpRoute, Stack};
use reqwest::Method;
use serde_json::{Value, json};

type Calls = Arc<Mutex<Vec<(String, Value)>>>;

fn function(binary: &str, routes: &[(&str, &str, Option<&str>)]) -> Function {
    Function {
        timeout_seconds: 10,
        http_routes: routes
            .iter()
            .map(|(method, path, authorizer)| HttpRoute {
                method: (*method).to_owned(),
                path: (*path).to_owned(),
                authorizer: authorizer.map(str::to_owned),
            })
            .collect(),
        ..Function::new(&format!("{binary}-fn"), binary)
    }
}

fn stack(cache_ttl_seconds: u32, rate: Option<f64>, burst: Option<u32>) -> Stack {
    let authorizer = Authorizer {
        name: "Auth".into(),
        function_logical_id: "authorizer-fn".into(),
        simple_responses: true,
        identity_headers: vec!["$request.header.Authorization".into()],
        cache_ttl_seconds,
    };
    Stack {
        functions: vec![
            function("authorizer", &[]),
            function("exact", &[("GET", "/pets/dog/1", None)]),
            function("param", &[("GET", "/pets/dog/{id}", None)]),
            function("greedy", &[("ANY", "/pets/{proxy+}", None)]),
            function("private", &[("GET", "/me", Some("Auth"))]),
            function("respond", &[("POST", "/respond", None)]),
        ],
        http_api: Some(HttpApi {
            logical_id: "HttpApi".into(),
            cors: Some(Cors {
                allow_origins: vec!["http://localhost:5173".into()],
                allow_methods: vec!["GET".into(), "POST".into()],
                allow_headers: vec!["authorization".into(), "content-type".into()],
                expose_headers: vec!["x-correlation-id".into()],
                max_age: Some(600),
                allow_credentials: false,
            }),
            throttling_rate_limit: rate,
            throttling_burst_limit: burst,
            default_authorizer: None,
            authorizers: BTreeMap::from([("Auth".to_owned(), authorizer)]),
        }),
        ..Stack::default()
    }
}

/// What the fake functions do: the authorizer decides by token, `respond` returns the
/// request body as its response, everything else echoes its event.
fn behave(binary: &str, event: &Value) -> anyhow::Result<InvokeOutcome> {
    let ok = |v: Value| Ok(InvokeOutcome::Ok(v));
    match binary {
        "authorizer" => match event["identitySource"][0].as_str().unwrap_or_default() {
            "Bearer good" => ok(json!({"isAuthorized": true, "context": {"sub": "u1"}})),
            "Bearer deny" => ok(json!({"isAuthorized": false})),
            "Bearer unauth" => {
                Ok(InvokeOutcome::FunctionError { error_type: "E".into(), error_message: "Unauthorized".into() })
            }
            _ => ok(json!("what")),
        },
        "respond" => {
            let body = event["body"].as_str().unwrap_or("null");
            match serde_json::from_str::<Value>(body).expect("JSON test body") {
                Value::String(s) if s == "fail" => {
                    Ok(InvokeOutcome::FunctionError { error_type: "E".into(), error_message: "boom".into() })
                }
                other => ok(other),
            }
        }
        _ => ok(json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json", "access-control-allow-origin": "*"},
            "body": json!({"binary": binary, "event": event}).to_string(),
        })),
    }
}

/// The gateway of `stack` on a free port, with the fake functions behind it.
struct Local {
    url: String,
    client: reqwest::Client,
    /// Every invocation: (binary, event).
    calls: Calls,
}

impl Local {
    async fn start(stack: Stack) -> Local {
        let calls: Calls = Arc::default();
        let recorded = calls.clone();
        let invoker = FnInvoker::new(move |binary: String, event: Value| {
            recorded.lock().expect("lock").push((binary.clone(), event.clone()));
            async move { behave(&binary, &event) }
        });
        let gateway = Gateway::new(&stack, Arc::new(invoker), GatewayOptions::default()).expect("gateway");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(serve(listener, gateway));
        Local { url, client: reqwest::Client::new(), calls }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.url))
    }

    async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let request = headers.iter().fold(self.request(method, path), |r, (name, value)| r.header(*name, *value));
        request.send().await.expect("send")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.send(Method::GET, path, &[]).await
    }

    fn count(&self, binary: &str) -> usize {
        self.calls.lock().expect("lock").iter().filter(|(b, _)| b == binary).count()
    }
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Fails unless `event` deserializes as the `T` of aws_lambda_events a function reads it as.
fn valid<T: serde::de::DeserializeOwned>(event: Value) {
    if let Err(e) = serde_json::from_value::<T>(event) {
        panic!("not a valid {}: {e}", std::any::type_name::<T>());
    }
}

#[tokio::test]
async fn routes_by_api_gateway_precedence() {
    let api = Local::start(stack(0, None, None)).await;
    for (method, path, binary) in [
        ("GET", "/pets/dog/1", "exact"),
        ("GET", "/pets/dog/7", "param"),
        ("DELETE", "/pets/dog/1", "greedy"),
        ("GET", "/pets/cat/a/b", "greedy"),
    ] {
        let response = api.send(Method::from_bytes(method.as_bytes()).expect("method"), path, &[]).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(json_of(response).await["binary"], binary, "{path}");
    }
    let missing = api.get("/nope").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(json_of(missing).await, json!({"message": "Not Found"}));
}

#[tokio::test]
async fn builds_the_2_0_event() {
    let api = Local::start(stack(0, None, None)).await;
    let response = api
        .request(Method::POST, "/pets/dog/a%20b?x=1&x=2&y=z")
        .header("X-Multi", "a")
        .header("X-Multi", "b")
        .header("Cookie", "c1=v1; c2=v2")
        .header("Content-Type", "application/octet-stream")
        .body(vec![0u8, 159, 146, 150])
        .send()
        .await
        .expect("send");
    let request_id = response.headers()["apigw-requestid"].to_str().expect("id").to_owned();
    let event = json_of(response).await["event"].clone();
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "ANY /pets/{proxy+}");
    assert_eq!(event["rawPath"], "/pets/dog/a%20b");
    assert_eq!(event["rawQueryString"], "x=1&x=2&y=z");
    assert_eq!(event["queryStringParameters"], json!({"x": "1,2", "y": "z"}));
    assert_eq!(event["pathParameters"], json!({"proxy": "dog/a b"}));
    assert_eq!(event["cookies"], json!(["c1=v1", "c2=v2"]));
    assert_eq!(event["headers"]["x-multi"], "a,b");
    assert!(event["headers"].get("cookie").is_none());
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "AJ+Slg==");
    let context = &event["requestContext"];
    assert_eq!(context["http"]["method"], "POST");
    assert_eq!(context["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(context["http"]["protocol"], "HTTP/1.1");
    assert_eq!(context["stage"], "$default");
    assert_eq!(context["apiId"], "local");
    assert_eq!(context["requestId"], request_id.as_str());
    assert_eq!(context["routeKey"], "ANY /pets/{proxy+}");
    // What lambda_http deserializes for a payload 2.0 function.
    valid::<aws_lambda_events::apigw::ApiGatewayV2httpRequest>(event);
}

#[tokio::test]
async fn authorizer_outcomes() {
    let api = Local::start(stack(0, None, None)).await;
    let me = async |token: Option<&str>| {
        let headers: Vec<(&str, &str)> = token.map(|t| ("Authorization", t)).into_iter().collect();
        api.send(Method::GET, "/me", &headers).await
    };
    let missing = me(None).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(json_of(missing).await, json!({"message": "Unauthorized"}));
    assert_eq!(api.count("authorizer"), 0, "no identity, no authorizer call");

    let unauth = me(Some("Bearer unauth")).await;
    assert_eq!(unauth.status(), 401);
    let denied = me(Some("Bearer deny")).await;
    assert_eq!(denied.status(), 403);
    assert_eq!(json_of(denied).await, json!({"message": "Forbidden"}));
    assert_eq!(me(Some("Bearer garbage")).await.status(), 500);
    assert_eq!(api.count("private"), 0);

    let allowed = me(Some("Bearer good")).await;
    assert_eq!(allowed.status(), 200);
    let event = json_of(allowed).await["event"].clone();
    assert_eq!(event["requestContext"]["authorizer"]["lambda"], json!({"sub": "u1"}));
    let calls = api.calls.lock().expect("lock").clone();
    let (_, auth_event) = calls.into_iter().rfind(|(b, _)| b == "authorizer").expect("call");
    assert_eq!(auth_event["type"], "REQUEST");
    assert_eq!(auth_event["identitySource"], json!(["Bearer good"]));
    assert_eq!(auth_event["routeArn"], "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/me");
    valid::<aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request>(auth_event);
}

#[tokio::test]
async fn authorizer_results_are_cached_per_identity() {
    let api = Local::start(stack(300, None, None)).await;
    for token in ["Bearer good", "Bearer good", "Bearer deny", "Bearer deny", "Bearer good"] {
        api.send(Method::GET, "/me", &[("Authorization", token)]).await;
    }
    assert_eq!(api.count("authorizer"), 2, "one call per distinct identity");
    assert_eq!(api.count("private"), 3);

    let api = Local::start(stack(0, None, None)).await;
    for _ in 0..3 {
        api.send(Method::GET, "/me", &[("Authorization", "Bearer good")]).await;
    }
    assert_eq!(api.count("authorizer"), 3, "TTL 0 disables the cache");
}

#[tokio::test]
async fn cors_preflight_and_response_headers() {
    let api = Local::start(stack(0, None, None)).await;
    let preflight = async |origin: &str| {
        api.send(Method::OPTIONS, "/me", &[("Origin", origin), ("Access-Control-Request-Method", "GET")]).await
    };
    let allowed = preflight("http://localhost:5173").await;
    assert_eq!(allowed.status(), 204);
    let h = allowed.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:5173");
    assert_eq!(h["access-control-allow-methods"], "GET,POST");
    assert_eq!(h["access-control-allow-headers"], "authorization,content-type");
    assert_eq!(h["access-control-max-age"], "600");

    let denied = preflight("https://evil.example").await;
    assert_eq!(denied.status(), 204);
    assert!(denied.headers().get("access-control-allow-origin").is_none());
    assert!(api.calls.lock().expect("lock").is_empty(), "preflights never reach functions");

    // The integration's own `access-control-allow-origin: *` is replaced by the API's.
    let normal = api.send(Method::GET, "/pets/dog/1", &[("Origin", "http://localhost:5173")]).await;
    assert_eq!(normal.headers()["access-control-allow-origin"], "http://localhost:5173");
    assert_eq!(normal.headers()["access-control-expose-headers"], "x-correlation-id");
    assert_eq!(normal.headers()["vary"], "Origin");
    let other = api.send(Method::GET, "/pets/dog/1", &[("Origin", "https://evil.example")]).await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn throttles_past_the_burst() {
    let api = Local::start(stack(0, Some(0.001), Some(3))).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(api.get("/pets/dog/1").await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_eq!(api.get("/pets/dog/2").await.status(), 200, "buckets are per route");
    assert_eq!(json_of(api.get("/pets/dog/1").await).await, json!({"message": "Too Many Requests"}));
}

#[tokio::test]
async fn maps_function_responses() {
    let api = Local::start(stack(0, None, None)).await;
    let respond = async |value: Value| api.request(Method::POST, "/respond").json(&value).send().await.expect("send");

    let full = respond(json!({
        "statusCode": 201,
        "headers": {"x-a": "1"},
        "multiValueHeaders": {"x-m": ["a", "b"]},
        "cookies": ["s=1; HttpOnly", "t=2"],
        "body": "aGVsbG8=",
        "isBase64Encoded": true
    }))
    .await;
    assert_eq!(full.status(), 201);
    assert_eq!(full.headers()["x-a"], "1");
    assert_eq!(full.headers().get_all("x-m").iter().count(), 2);
    assert_eq!(full.headers().get_all("set-cookie").iter().count(), 2);
    assert!(full.headers().contains_key("apigw-requestid"));
    assert_eq!(full.text().await.expect("body"), "hello");

    let plain = respond(json!({"hello": "world"})).await;
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["content-type"], "application/json");
    assert_eq!(json_of(plain).await, json!({"hello": "world"}));

    let failed = respond(json!("fail")).await;
    assert_eq!(failed.status(), 500);
    assert_eq!(json_of(failed).await, json!({"message": "Internal Server Error"}));

    let malformed = respond(json!({"statusCode": "nope"})).await;
    assert_eq!(malformed.status(), 500);
}

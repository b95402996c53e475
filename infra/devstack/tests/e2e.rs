//! End to end through the whole local cloud: `devstack up` (moto_server, cargo lambda
//! watch, the gateway, the pollers) on free ports, then real HTTP calls, the README's curl
//! examples, every sample event through the watch (`cargo lambda invoke` for one per service),
//! and the outbox reaching the bus.

use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bazaar_testkit::{free_port, venv_tool, workspace_root};
use futures::StreamExt as _;
use serde_json::{Value, json};

struct Devstack {
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
    api: String,
    moto_port: u16,
    lambda_port: u16,
    _state: tempdir::Dir,
}

mod tempdir {
    /// A scratch folder removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let path = std::env::temp_dir().join(format!("bazaar-e2e-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path).expect("temp dir");
            Dir(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Devstack {
    fn up() -> Devstack {
        // Every simulated payment succeeds, so the saga's happy path is deterministic.
        Devstack::start("e2e", &["PaymentSuccessRate=1.0"])
    }

    /// A devstack of `stage` with these template parameters (`Name=value`).
    fn start(stage: &str, parameters: &[&str]) -> Devstack {
        let (api_port, moto_port, lambda_port) = (free_port(), free_port(), free_port());
        let state = tempdir::Dir::new();
        let mut child = Command::new(env!("CARGO_BIN_EXE_devstack"))
            .current_dir(workspace_root())
            .args(["up", "--stage", stage])
            .args(["--api-port", &api_port.to_string(), "--moto-port", &moto_port.to_string()])
            .args(["--lambda-port", &lambda_port.to_string()])
            // Nothing is rebuilt mid-test: a restart would drop the requests in flight (the
            // test's own log, written into a clone of the repo, counts as a change).
            .arg("--no-reload")
            .args(parameters.iter().flat_map(|p| ["--parameter", p]))
            .arg("--state-dir")
            .arg(&state.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("devstack up");
        let output = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("devstack| {line}");
                sink.lock().expect("lock").push(line);
            }
        });
        let mut stack = Devstack {
            child,
            output,
            api: format!("http://127.0.0.1:{api_port}"),
            moto_port,
            lambda_port,
            _state: state,
        };
        stack.wait_until_ready(Duration::from_secs(900));
        stack
    }

    /// Waits for the devstack's ready line; fails at once when it exits first.
    fn wait_until_ready(&mut self, timeout: Duration) {
        let start = Instant::now();
        loop {
            if self.output.lock().expect("lock").iter().any(|l| l.contains(devstack::up::READY_PREFIX)) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("devstack up exited ({status}) before it was ready: see its output above");
            }
            assert!(start.elapsed() < timeout, "devstack never got ready in {timeout:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(line) = self.output.lock().expect("lock").iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            assert!(start.elapsed() < timeout, "devstack never printed {needle:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Devstack {
    fn drop(&mut self) {
        // SIGTERM lets the devstack stop what it started (moto, cargo lambda and its functions).
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
    }
}

async fn call(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = client.request(method.parse().expect("method"), url).header("x-correlation-id", "e2e-flow");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body, headers)
}

#[test]
fn the_whole_auth_flow_runs_through_the_local_cloud() {
    let started = Instant::now();
    let stack = Devstack::up();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // Each step's time goes straight to stderr (past the test harness's capture), so every
    // run shows where the end-to-end spends its time.
    let mut last = started;
    let mut step = |name: &str| {
        let (took, all) = (last.elapsed().as_secs_f64(), started.elapsed().as_secs_f64());
        let _ = writeln!(std::io::stderr(), "e2e: {name} took {took:.1} s ({all:.1} s in all)");
        last = Instant::now();
    };
    step("devstack up");
    rt.block_on(flow(&stack));
    step("auth flow");
    rt.block_on(order_saga(&stack));
    step("order saga");
    the_functions_metrics_add_up(&stack);
    readme_examples_work_as_written(&stack);
    step("metrics and README examples");
    rt.block_on(every_sample_event_invokes(&stack));
    step("every sample event");
    rt.block_on(the_api_is_described_and_holds_under_the_fuzzer(&stack));
    step("openapi, docs and fuzz");
}

async fn flow(stack: &Devstack) {
    let http = reqwest::Client::new();
    let api = &stack.api;
    let probe = Probe::subscribe(stack.moto_port).await;
    let creds = json!({ "email": "e2e@example.com", "password": "correct horse 42" });

    let (s, _, _) = call(&http, "GET", &format!("{api}/health"), None, None).await;
    assert_eq!(s, 200);
    let (s, user, _) = call(&http, "POST", &format!("{api}/auth/register"), None, Some(creds.clone())).await;
    assert_eq!(s, 201, "{user}");
    let (s, pair, _) = call(&http, "POST", &format!("{api}/auth/login"), None, Some(creds.clone())).await;
    assert_eq!(s, 200, "{pair}");
    let access = pair["access_token"].as_str().expect("access").to_owned();
    let first = pair["refresh_token"].as_str().expect("refresh").to_owned();

    let (s, me, _) = call(&http, "GET", &format!("{api}/auth/me"), Some(&access), None).await;
    assert_eq!((s, me["id"].clone()), (200, user["id"].clone()));
    let (s, rotated, _) =
        call(&http, "POST", &format!("{api}/auth/refresh"), None, Some(json!({ "refresh_token": first }))).await;
    assert_eq!(s, 200, "{rotated}");
    let (s, reuse, headers) =
        call(&http, "POST", &format!("{api}/auth/refresh"), None, Some(json!({ "refresh_token": first }))).await;
    assert_eq!(s, 401, "reuse of a rotated refresh token must be refused: {reuse}");
    assert_eq!(headers["content-type"], "application/problem+json");
    let second = rotated["refresh_token"].as_str().expect("refresh");
    let (s, _, _) =
        call(&http, "POST", &format!("{api}/auth/refresh"), None, Some(json!({ "refresh_token": second }))).await;
    assert_eq!(s, 401, "reuse revokes the whole family");

    let (_, pair, _) = call(&http, "POST", &format!("{api}/auth/login"), None, Some(creds.clone())).await;
    let token = pair["refresh_token"].as_str().expect("refresh");
    let (s, _, _) =
        call(&http, "POST", &format!("{api}/auth/logout"), None, Some(json!({ "refresh_token": token }))).await;
    assert_eq!(s, 204);
    let (s, _, _) =
        call(&http, "POST", &format!("{api}/auth/refresh"), None, Some(json!({ "refresh_token": token }))).await;
    assert_eq!(s, 401, "a logged-out session cannot refresh");

    gateway_guards(stack, &http, &access, user["id"].as_str().expect("id")).await;
    let event = probe.wait_for(|e| e["detail"]["data"]["email"] == "e2e@example.com").await;
    assert_eq!(event["detail-type"], "UserRegistered");
    assert_eq!(event["detail"]["metadata"]["correlation_id"], "e2e-flow", "the request's correlation id travels");
}

/// The order saga across catalog, orders, payments and notifications, on the demo catalog
/// the devstack seeded: the order becomes PAID, stock drops, the confirmation is emailed.
async fn order_saga(stack: &Devstack) {
    let http = reqwest::Client::new();
    let api = &stack.api;
    let creds = json!({ "email": "buyer@example.com", "password": "correct horse 42" });
    let (s, _, _) = call(&http, "POST", &format!("{api}/auth/register"), None, Some(creds.clone())).await;
    assert_eq!(s, 201);
    let (_, pair, _) = call(&http, "POST", &format!("{api}/auth/login"), None, Some(creds)).await;
    let token = pair["access_token"].as_str().expect("access").to_owned();

    let (s, products, _) = call(&http, "GET", &format!("{api}/products?limit=10"), None, None).await;
    assert_eq!(s, 200, "{products}");
    let product = products["items"].as_array().and_then(|i| i.first()).cloned().expect("a seeded demo product");
    let (id, stock) = (product["id"].as_str().expect("id").to_owned(), product["stock"].as_u64().expect("stock"));

    // The orders service learns of products through ProductChanged events: retry until it has.
    let start = Instant::now();
    let order = loop {
        let reply = http
            .post(format!("{api}/orders"))
            .bearer_auth(&token)
            .header("idempotency-key", format!("e2e-{}", start.elapsed().as_millis()))
            .json(&json!({ "lines": [{ "product_id": id, "quantity": 2 }] }))
            .send()
            .await
            .expect("place order");
        let status = reply.status().as_u16();
        let body: Value = reply.json().await.unwrap_or(Value::Null);
        if status == 201 {
            break body;
        }
        assert_eq!(status, 422, "{body}");
        assert!(start.elapsed() < Duration::from_secs(120), "the product never reached orders: {body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let order_id = order["id"].as_str().expect("order id");
    let start = Instant::now();
    loop {
        let (s, current, _) = call(&http, "GET", &format!("{api}/orders/{order_id}"), Some(&token), None).await;
        assert_eq!(s, 200, "{current}");
        if current["status"] == "PAID" {
            break;
        }
        assert!(!["CANCELLED", "REJECTED"].contains(&current["status"].as_str().unwrap_or("")), "{current}");
        assert!(start.elapsed() < Duration::from_secs(120), "the order never got paid: {current}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (_, after, _) = call(&http, "GET", &format!("{api}/products/{id}"), None, None).await;
    assert_eq!(after["stock"].as_u64(), Some(stock - 2));

    let start = Instant::now();
    loop {
        let (_, outbox, _) = call(&http, "GET", &format!("{api}/_local/outbox"), None, None).await;
        let confirmation = outbox["emails"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["to"] == "buyer@example.com" && e["body"].as_str().unwrap_or_default().contains(order_id));
        if confirmation {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no confirmation email in the outbox: {outbox}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What the gateway itself enforces: the authorizer, permissions, CORS, bad input.
async fn gateway_guards(stack: &Devstack, http: &reqwest::Client, customer_token: &str, customer_id: &str) {
    let api = &stack.api;
    let (s, _, _) = call(http, "GET", &format!("{api}/auth/me"), None, None).await;
    assert_eq!(s, 401, "no token");
    let forged = format!("{}x", customer_token);
    let (s, _, _) = call(http, "GET", &format!("{api}/auth/me"), Some(&forged), None).await;
    assert_eq!(s, 401, "tampered signature");
    let user_url = format!("{api}/auth/users/{customer_id}");
    let (s, body, _) = call(http, "GET", &user_url, Some(customer_token), None).await;
    assert_eq!(s, 403, "a customer on an admin route: {body}");

    let line = stack.wait_for("admin: ", Duration::from_secs(1));
    let (email, password) =
        line.split_once("admin: ").and_then(|(_, r)| r.split_once(" / password: ")).expect("admin line");
    let admin = json!({ "email": email.trim(), "password": password.trim() });
    let (s, pair, _) = call(http, "POST", &format!("{api}/auth/login"), None, Some(admin)).await;
    assert_eq!(s, 200, "seeded admin logs in: {pair}");
    let (s, body, _) = call(http, "GET", &user_url, pair["access_token"].as_str(), None).await;
    assert_eq!((s, body["id"].as_str()), (200, Some(customer_id)));

    let (s, body, headers) =
        call(http, "POST", &format!("{api}/auth/register"), None, Some(json!({ "email": 1 }))).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(headers["content-type"], "application/problem+json");

    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{api}/auth/login"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status().as_u16(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "http://localhost:5173");
}

/// A queue subscribed to every auth event on the bus, like a consumer's.
struct Probe {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Probe {
    async fn subscribe(moto_port: u16) -> Probe {
        let config = bazaar_testkit::sdk_config(&format!("http://127.0.0.1:{moto_port}")).await;
        let sqs = aws_sdk_sqs::Client::new(&config);
        let url = sqs.create_queue().queue_name("e2e-probe").send().await.expect("queue").queue_url.expect("url");
        let events = aws_sdk_eventbridge::Client::new(&config);
        let bus = "bazaar-e2e";
        events
            .put_rule()
            .name("e2e-probe")
            .event_bus_name(bus)
            .event_pattern(r#"{"source":["bazaar.auth"]}"#)
            .send()
            .await
            .expect("rule");
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("probe")
            .arn("arn:aws:sqs:us-east-1:123456789012:e2e-probe")
            .build()
            .expect("target");
        events.put_targets().rule("e2e-probe").event_bus_name(bus).targets(target).send().await.expect("targets");
        Probe { sqs, url }
    }

    /// The first event on the bus that satisfies `wanted` (the outbox publisher runs from
    /// the table's stream, so it arrives shortly after the request).
    async fn wait_for(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        let mut seen: Vec<Value> = Vec::new();
        loop {
            if let Some(found) = seen.iter().find(|e| wanted(e)) {
                return found.clone();
            }
            assert!(start.elapsed() < Duration::from_secs(60), "the event never reached the bus; saw {seen:?}");
            let out =
                self.sqs.receive_message().queue_url(&self.url).wait_time_seconds(1).send().await.expect("receive");
            seen.extend(out.messages().iter().map(|m| serde_json::from_str(m.body().unwrap_or("null")).expect("json")));
        }
    }
}

/// The README block marked `readme-e2e`, run with bash as a user would (port adjusted).
fn readme_examples_work_as_written(stack: &Devstack) {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README");
    let block: String = readme
        .split("<!-- readme-e2e")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|rest| rest.split("\n```").next())
        .expect("a readme-e2e block")
        .replace("http://127.0.0.1:3000", &stack.api);
    // Run twice: the block must work again on a system that already has ana and her orders.
    for (run, register) in [(1, "register: 201\n"), (2, "register: 409\n")] {
        let out = Command::new("bash").args(["-euo", "pipefail", "-c", &block]).output().expect("bash");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "README block failed on run {run}: {stdout}{stderr}");
        assert!(stdout.contains(r#""status":"ok""#), "{stdout}");
        assert!(stdout.contains(register), "run {run}: {stdout}");
        assert_eq!(stdout.matches(r#""email":"ana@example.com""#).count(), 1, "me, run {run}: {stdout}");
        assert!(stdout.contains("\n204\n") || stdout.contains("}204\n"), "logout: {stdout}");
        assert!(stdout.contains(r#""keys":[{"#) && stdout.contains(r#""issuer":"#), "{stdout}");
        assert!(stdout.contains(r#""status":"PENDING""#), "the order was not placed on run {run}: {stdout}");
        // /health, the placed order and the order read back later.
        assert_eq!(stdout.matches(r#""status":""#).count(), 3, "{stdout}");
    }
}

/// The functions, run by cargo lambda watch, wrote their EMF lines where `make metrics`
/// reads them: the paid order was counted, and no consumer failed.
fn the_functions_metrics_add_up(stack: &Devstack) {
    let text = std::fs::read_to_string(stack._state.0.join(devstack::up::METRICS_FILE)).expect("metrics file");
    let totals = devstack::metrics::summarize(&text);
    let total = |name: &str| totals.iter().filter(|((n, _), _)| n == name).map(|(_, v)| *v).sum::<f64>();
    assert!(total("OrdersPlaced") >= 1.0 && total("OrdersPaid") >= 1.0, "{totals:?}");
    assert!(total("PaymentsSucceeded") >= 1.0, "{totals:?}");
    assert_eq!(total("ConsumerFailures"), 0.0, "{totals:?}");
    let stage = ("Stage".to_owned(), "e2e".to_owned());
    assert!(totals.keys().any(|(n, labels)| n == "OrdersPaid" && labels.contains(&stage)), "{totals:?}");
}

/// Every file of events/ through cargo lambda watch and the real Lambda runtime: every
/// payload deserializes, and only the authorizer's deliberately bad tokens (its
/// "Unauthorized") and the report rebuild's deliberately bad request end in an error. The
/// samples are POSTed to the watch's invoke endpoint, as `cargo lambda invoke` does (some 175
/// process starts cost a minute of CPU); one per service goes through `cargo lambda invoke`
/// itself, the README's way.
async fn every_sample_event_invokes(stack: &Devstack) {
    let root = workspace_root();
    let mut samples: Vec<(String, std::path::PathBuf)> = Vec::new();
    for service in std::fs::read_dir(root.join("events")).expect("events/").flatten() {
        let prefix = service.file_name().to_string_lossy().into_owned();
        for dir in std::fs::read_dir(service.path()).expect("service").flatten().filter(|e| e.path().is_dir()) {
            let function = format!("{prefix}-{}", dir.file_name().to_string_lossy());
            for file in std::fs::read_dir(dir.path()).expect("dir").flatten() {
                samples.push((function.clone(), file.path()));
            }
        }
    }
    samples.sort();
    assert!(samples.len() > 100, "the sample events were not found: {}", samples.len());
    let http = reqwest::Client::new();
    let port = stack.lambda_port;
    // A few at a time: each function's first invocation starts its process.
    futures::stream::iter(&samples)
        .for_each_concurrent(4, |(function, file)| {
            let http = &http;
            async move {
                let url = format!("http://127.0.0.1:{port}/2015-03-31/functions/{function}/invocations");
                let body = std::fs::read_to_string(file).expect("sample");
                let answer = http.post(url).body(body).send().await.expect("the watch answers");
                let ok = answer.status() == reqwest::StatusCode::OK;
                let text = answer.text().await.expect("answer body");
                check_sample_invocation(function, file, ok, &text);
            }
        })
        .await;

    let cargo_lambda = venv_tool("cargo-lambda");
    let mut services = std::collections::BTreeSet::new();
    for (function, file) in
        samples.iter().filter(|(f, _)| services.insert(f.split('-').next().unwrap_or_default().to_owned()))
    {
        let out = invoke(&cargo_lambda, function, file, port);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        check_sample_invocation(function, file, out.status.success(), &text);
    }
    assert!(services.len() >= 8, "{services:?}");
}

/// One sample's answer: it deserialized, and only the authorizer's deliberately bad tokens
/// (its "Unauthorized") and the report rebuild's deliberately bad request end in an error.
fn check_sample_invocation(function: &str, file: &Path, ok: bool, text: &str) {
    let name = file.display().to_string();
    assert!(!text.contains("failed to deserialize"), "{name}: {text}");
    if function == "auth-authorizer" {
        assert!(text.contains("Unauthorized"), "{name}: {text}");
    } else if function == "reports-rebuild" && name.ends_with("bad-payload.json") {
        assert!(!ok && text.contains("invalid rebuild request"), "{name}: {text}");
    } else {
        assert!(ok, "{name}: {text}");
    }
}

fn invoke(cargo_lambda: &Path, function: &str, file: &Path, port: u16) -> std::process::Output {
    Command::new(cargo_lambda)
        .args(["lambda", "invoke", function, "-A", "127.0.0.1", "-P", &port.to_string(), "--data-file"])
        .arg(file)
        .current_dir(workspace_root())
        .output()
        .expect("cargo lambda invoke")
}

/// `GET /openapi.json` serves the committed document and `GET /docs` the page rendering it;
/// then the bounded fuzz run of `make test`, against a stack of its own: schemathesis on every
/// route, as the seeded admin, its stateful phase following the document's links, finds no 5xx
/// and no answer the document does not declare, and (by its report) every operation answered
/// 2xx at least once but those `devstack::fuzz::NEVER_SUCCEED` names. Last, as it leaves the
/// data in a state no other step expects.
async fn the_api_is_described_and_holds_under_the_fuzzer(stack: &Devstack) {
    let http = reqwest::Client::new();
    let root = workspace_root();
    let served = http.get(format!("{}/openapi.json", stack.api)).send().await.expect("GET /openapi.json");
    assert_eq!(served.status(), 200);
    let served: Value = served.json().await.expect("the document is JSON");
    let committed = std::fs::read_to_string(root.join("functions/api/openapi/openapi.json")).expect("committed");
    assert_eq!(served, serde_json::from_str::<Value>(&committed).expect("committed JSON"));
    let docs =
        http.get(format!("{}/docs", stack.api)).header("accept-encoding", "gzip").send().await.expect("GET /docs");
    assert_eq!(docs.status(), 200);
    assert_eq!(docs.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(docs.headers()["content-encoding"], "gzip", "through the gateway, still gzipped");
    let page = http.get(format!("{}/docs", stack.api)).send().await.expect("GET /docs").text().await.expect("page");
    assert!(page.contains(r#"<redoc spec-url="openapi.json">"#), "the page renders the served document");
    // The fuzzer gets a stack of its own whose provider leaves payments PENDING (payers settle
    // them): with the simulated one, every order and payment is settled as it is created, and
    // cancelOrder, completePayment and cancelPayment could not succeed.
    let fuzzed = Devstack::start("fuzz", &["PaymentProviderMode=sandbox"]);
    let password = devstack::seed::saved_admin_password(&fuzzed._state.0).expect("the seeded admin's password");
    let options = devstack::fuzz::FuzzOptions {
        api: fuzzed.api.clone(),
        max_examples: FUZZ_EXAMPLES,
        phases: "examples,coverage,fuzzing,stateful".into(),
        seed: Some(20261202),
        report_dir: root.join("target/fuzz"),
    };
    let schemathesis = venv_tool("schemathesis");
    let status = devstack::fuzz::run(&root, &schemathesis, devstack::seed::ADMIN_EMAIL, &password, &options)
        .await
        .expect("schemathesis runs");
    assert!(status.success(), "schemathesis found answers the document does not allow (above; report in target/fuzz)");
    let document = devstack::fuzz::document(&root).expect("the committed document");
    let report = options.report_dir.join(devstack::fuzz::COVERAGE_REPORT);
    let coverage = devstack::fuzz::Coverage::read(&report, &document).expect("schemathesis' coverage report");
    assert!(coverage.server_errors().is_empty(), "5xx from {:?}", coverage.server_errors());
    assert!(
        coverage.never_succeeded(true).is_empty(),
        "these operations never answered 2xx (statuses per operation in {}):\n{}",
        report.display(),
        coverage.summary(true)
    );
}

/// Test cases per operation and phase in `make test`'s bounded run (`make fuzz` runs more).
const FUZZ_EXAMPLES: u32 = 5;

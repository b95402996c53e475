//! The sample events under `events/<service>/<function>/*.json`, and what each should come
//! to: `events/<service>/outcomes.json` maps `<function>/<case>.json` to an HTTP status
//! (an HTTP function's answer; an authorizer's 200 authorized, 403 refused, 401
//! "Unauthorized"; a consumer's or publisher's 200 handled without failures, 207 some
//! records failed; a schedule's 200, or 500 failed: `devstack::registry::status`). Each
//! service's tests run every sample through its function's handler, in process; this
//! module finds the samples and outcomes and does the comparing.

use std::collections::BTreeMap;

use lambda_http::Request;

/// Every sample of `service` as (`<function>/<case>.json`, its JSON), sorted by name.
pub fn load(service: &str) -> Vec<(String, String)> {
    let root = crate::workspace_root().join("events").join(service);
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("events/{service}: {e:?}")).flatten() {
        if !dir.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir.path()).expect("function dir").flatten() {
            let name = format!("{}/{}", dir.file_name().to_string_lossy(), file.file_name().to_string_lossy());
            found.push((name, std::fs::read_to_string(file.path()).expect("sample")));
        }
    }
    found.sort();
    found
}

/// `events/<service>/outcomes.json`: the outcome each sample of `service` must have.
pub fn outcomes(service: &str) -> BTreeMap<String, u16> {
    let path = crate::workspace_root().join("events").join(service).join("outcomes.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An HTTP function's sample: an API Gateway v2 request.
pub fn request(json: &str) -> Request {
    lambda_http::request::from_str(json).expect("an API Gateway v2 event")
}

/// The binary sample `<function>/<case>.json` of `service` is for (`<service>-<function>`).
pub fn binary(service: &str, name: &str) -> String {
    format!("{service}-{}", name.split('/').next().unwrap_or_default())
}

/// Sample `name` of `service`: its binary and its JSON (for a sample that seeds what
/// others need).
pub fn sample(service: &str, name: &str) -> (String, String) {
    let path = crate::workspace_root().join("events").join(service).join(name);
    (binary(service, name), std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Asserts that every sample of `service` has an expected outcome and every expected outcome
/// a sample, and that `run(binary, json)` gives each sample its outcome, in name order.
pub async fn check(service: &str, run: impl AsyncFn(&str, &str) -> u16) {
    let found = load(service);
    let expected = outcomes(service);
    let names: Vec<&String> = found.iter().map(|(n, _)| n).collect();
    assert_eq!(names, expected.keys().collect::<Vec<_>>(), "the samples and outcomes.json of {service} differ");
    for (name, json) in &found {
        assert_eq!(run(&binary(service, name), json).await, expected[name], "{name}");
    }
}

/// `samples_test!(service, app)`: the test that every sample of `service` gets its outcome,
/// each run in process by its function's handler with the environment the template gives it
/// (`devstack::registry!`). `app` is the service's test app (its `stack` and `config`,
/// provisioned into the shared moto). `samples_test!(service, app, |app, functions| setup)`
/// runs `setup` first, and `…, then after` runs `after` once every sample has run.
#[macro_export]
macro_rules! samples_test {
    ($service:ident, $app:expr) => {
        $crate::samples_test!($service, $app, |app, functions| {});
    };
    ($service:ident, $app:expr, |$a:ident, $f:ident| $setup:block $(, then $after:block)?) => {
        #[tokio::test]
        async fn every_sample_event_gets_the_outcome_it_is_named_for() {
            let $a = $app;
            let moto = &$crate::Moto::shared().endpoint;
            let $f = devstack::registry!($service, &$a.stack, &$a.roles, moto).expect("functions");
            $setup
            let service = stringify!($service);
            $crate::samples::check(service, async |binary, json| $f.sample_status(binary, json).await).await;
            $($after)?
        }
    };
}

/// Any other function's sample, as the Lambda runtime hands it over.
pub fn event<T: serde::de::DeserializeOwned>(json: &str) -> lambda_runtime::LambdaEvent<T> {
    lambda_runtime::LambdaEvent::new(serde_json::from_str(json).expect("sample event"), Default::default())
}

/// `deps!(app, orders_place)`: function crate `orders_place`'s `Deps`, built as deployed:
/// from the environment the template gives the function in `app.stack` (its test app's
/// stack, provisioned into the shared moto), with the credentials of the function's own
/// role (`app.function_config`), so moto refuses what the role does not grant.
#[macro_export]
macro_rules! deps {
    ($app:expr, $krate:ident) => {{
        let binary = stringify!($krate).replace('_', "-");
        let moto = &$crate::Moto::shared().endpoint;
        let env = devstack::registry::function_env(&$app.stack, &binary, moto).expect("the function's environment");
        let config = $app.function_config(&binary);
        $krate::Deps::new(&config, &env).expect(&binary)
    }};
}

//! `make fuzz` (and the bounded run in `make test`): schemathesis against a running API's
//! own `GET /openapi.json`, logged in as the seeded admin, with infra/schemathesis.toml's
//! checks: no 5xx, every answer as the document declares it. Its stateful phase follows the
//! document's links (placeOrder → getOrder, createResource → getAvailability → createReservation,
//! …); what no link can carry (an account whose address is unverified, a product orders know, a
//! free slot, a reservation to check in today) is seeded first, see [`Fixture`]. The run's
//! report says which statuses each operation answered ([`Coverage`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::Context as _;
use serde_json::Value;

mod fixture;

/// The environment variable infra/schemathesis.toml reads the access token from.
pub const TOKEN_VAR: &str = "BAZAAR_FUZZ_TOKEN";

/// The operations no generated request makes succeed, each with why: they need a secret the
/// API sends out of band. The fuzzer still sends them requests, and every answer must be a
/// documented one.
pub const NEVER_SUCCEED: [(&str, &str); 4] = [
    ("paymentWebhook", "needs the provider's HMAC signature of the body (the webhook secret)"),
    ("resetPassword", "needs the token of a password-reset email"),
    ("verifyEmail", "needs the token of a verification email"),
    ("verifyPhone", "needs the code texted to the phone number"),
];

/// The operations that succeed only on an order or payment still waiting for its payment: the
/// devstack's default provider (`PaymentProviderMode` simulated) settles every payment as it
/// is created, so they succeed where the stack runs a provider that leaves payments PENDING
/// (`PARAMETERS='PaymentProviderMode=sandbox'`, what `make test`'s run uses).
pub const NEED_PENDING_PAYMENTS: [&str; 3] = ["cancelOrder", "completePayment", "cancelPayment"];

/// The report schemathesis writes (a Web Fuzzing Commons report), in the report directory.
pub const COVERAGE_REPORT: &str = "coverage.json";

#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// e.g. `http://127.0.0.1:3000`
    pub api: String,
    /// Test cases per operation and phase (the stateful phase's scenarios are the config's).
    pub max_examples: u32,
    /// schemathesis phases, comma-separated (`examples,coverage,fuzzing,stateful`).
    pub phases: String,
    /// Reproducible runs.
    pub seed: Option<u64>,
    /// Where schemathesis writes its JUnit and coverage reports (relative to the repo root, or
    /// absolute). It is also schemathesis' working directory; keep it under `target/`, see
    /// [`command`].
    pub report_dir: PathBuf,
}

/// What the run needs that no link carries, made through the API before it starts and
/// handed to infra/schemathesis.toml through the environment (`BAZAAR_FUZZ_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// An account whose address is unverified (the admin's is verified): its token is the
    /// one `requestEmailVerification` is sent with, its email and password `login`'s.
    pub user_email: String,
    pub user_password: String,
    pub user_token: String,
    /// A product with stock, known to orders: what `placeOrder`'s lines order.
    pub product_id: String,
    /// An order of it waiting for its payment, what `cancelOrder` cancels, and the pending
    /// payments of two others, what `completePayment` and `cancelPayment` settle; with the
    /// simulated provider all three are settled already (`payments_wait` false).
    pub open_order: String,
    pub payment_to_complete: String,
    pub payment_to_cancel: String,
    pub payments_wait: bool,
    /// A resource open every day, all day, and a free slot of it two days ahead: what
    /// `createReservation` books.
    pub resource_id: String,
    pub slot_start: String,
    pub slot_end: String,
    /// A CONFIRMED reservation of the resource later today (its local day): what
    /// `checkInReservation` checks in; and another one, what `cancelReservation` cancels.
    pub check_in: String,
    pub cancel: String,
}

impl Fixture {
    fn env(&self) -> [(&'static str, &str); 12] {
        [
            ("BAZAAR_FUZZ_USER_EMAIL", &self.user_email),
            ("BAZAAR_FUZZ_USER_PASSWORD", &self.user_password),
            ("BAZAAR_FUZZ_USER_TOKEN", &self.user_token),
            ("BAZAAR_FUZZ_PRODUCT", &self.product_id),
            ("BAZAAR_FUZZ_OPEN_ORDER", &self.open_order),
            ("BAZAAR_FUZZ_PAYMENT_TO_COMPLETE", &self.payment_to_complete),
            ("BAZAAR_FUZZ_PAYMENT_TO_CANCEL", &self.payment_to_cancel),
            ("BAZAAR_FUZZ_RESOURCE", &self.resource_id),
            ("BAZAAR_FUZZ_SLOT_START", &self.slot_start),
            ("BAZAAR_FUZZ_SLOT_END", &self.slot_end),
            ("BAZAAR_FUZZ_CHECK_IN", &self.check_in),
            ("BAZAAR_FUZZ_CANCEL", &self.cancel),
        ]
    }
}

/// The schemathesis invocation for `options`, with `token` and the fixture in its environment.
///
/// It runs in the report directory, not in the repo: schemathesis and Hypothesis write their
/// caches (`.schemathesis/`, `.hypothesis/`) into the working directory, and `cargo lambda
/// watch` restarts every running function on a change in the tree it watches (anything the
/// root .gitignore does not name), losing the invocations in flight: their requests then
/// never get an answer. `target/` is ignored.
pub fn command(root: &Path, schemathesis: &Path, token: &str, fixture: &Fixture, options: &FuzzOptions) -> Command {
    let api = options.api.trim_end_matches('/');
    let work_dir = root.join(&options.report_dir);
    let mut cmd = Command::new(schemathesis);
    cmd.current_dir(&work_dir)
        .arg("--no-color")
        .arg("--config-file")
        .arg(root.join("infra/schemathesis.toml"))
        .arg("run")
        .arg(format!("{api}/openapi.json"))
        .args(["--url", api])
        .args(["--max-examples", &options.max_examples.to_string()])
        .args(["--phases", &options.phases])
        .args(["--workers", "2"])
        // Locally, cargo lambda watch starts a function on its first request and argon2 runs in
        // a debug build: a slow answer is not a wrong one (schemathesis waits 10 s by default).
        .args(["--request-timeout", "60"])
        .args(["--report", "junit,wfc"])
        .arg("--report-dir")
        .arg(&work_dir)
        .arg("--report-wfc-path")
        .arg(work_dir.join(COVERAGE_REPORT))
        .env(TOKEN_VAR, token)
        .envs(fixture.env());
    if let Some(seed) = options.seed {
        cmd.args(["--seed", &seed.to_string()]);
    }
    cmd
}

/// Logs in as `email`, seeds the [`Fixture`] and runs schemathesis to the end; its exit status
/// says whether every answer was a documented one. The statuses each operation answered are
/// then in the report ([`Coverage::read`]); this prints the operations that never succeeded.
pub async fn run(
    root: &Path,
    schemathesis: &Path,
    email: &str,
    password: &str,
    options: &FuzzOptions,
) -> anyhow::Result<ExitStatus> {
    let http = reqwest::Client::new();
    let api = options.api.trim_end_matches('/');
    let token = crate::seed::login(&http, api, email, password).await?;
    let fixture = fixture::seed(&http, api, &token).await.context("seeding what the fuzzer cannot make itself")?;
    let mut cmd = command(root, schemathesis, &token, &fixture, options);
    let work_dir = root.join(&options.report_dir);
    std::fs::create_dir_all(&work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    let _ = std::fs::remove_file(work_dir.join(COVERAGE_REPORT));
    let status = tokio::task::spawn_blocking(move || cmd.status())
        .await?
        .with_context(|| format!("running {} (make venv installs it)", schemathesis.display()))?;
    if let Ok(coverage) = Coverage::read(&work_dir.join(COVERAGE_REPORT), &document(root)?) {
        eprintln!("{}", coverage.summary(fixture.payments_wait));
        if !fixture.payments_wait {
            eprintln!(
                "devstack: the simulated payment provider settles payments as they are created, so {} cannot \
                 succeed: start make dev with PARAMETERS='PaymentProviderMode=sandbox' to fuzz them too",
                NEED_PENDING_PAYMENTS.join(", ")
            );
        }
    }
    Ok(status)
}

/// The committed API document (the one `GET /openapi.json` serves).
pub fn document(root: &Path) -> anyhow::Result<Value> {
    let path = root.join("functions/api/openapi/openapi.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The statuses each operation of the document answered in a run, by operationId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub statuses: BTreeMap<String, BTreeSet<u16>>,
    /// Test cases run (every phase).
    pub cases: u64,
}

/// What schemathesis never sends a request to: the document it reads (its 200 is the load).
const READ_NOT_FUZZED: &str = "getOpenApiDocument";

impl Coverage {
    /// From a run's WFC report (`problemDetails.rest.coveredHttpStatus`, endpoints named
    /// `METHOD:/path`) and the document that names their operations.
    pub fn read(report: &Path, document: &Value) -> anyhow::Result<Coverage> {
        let text = std::fs::read_to_string(report).with_context(|| format!("reading {}", report.display()))?;
        let report: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", report.display()))?;
        Ok(Coverage::from_report(&report, document))
    }

    pub fn from_report(report: &Value, document: &Value) -> Coverage {
        let mut ids = BTreeMap::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                ids.insert(format!("{}:{path}", method.to_ascii_uppercase()), id);
            }
        }
        let mut statuses: BTreeMap<String, BTreeSet<u16>> =
            ids.values().map(|id| (id.clone(), BTreeSet::new())).collect();
        for covered in report["problemDetails"]["rest"]["coveredHttpStatus"].as_array().into_iter().flatten() {
            if let Some(id) = covered["endpointId"].as_str().and_then(|e| ids.get(e)) {
                let answered = covered["httpStatus"].as_array().into_iter().flatten().filter_map(Value::as_u64);
                statuses.entry(id.clone()).or_default().extend(answered.filter_map(|s| u16::try_from(s).ok()));
            }
        }
        Coverage { statuses, cases: report["totalTests"].as_u64().unwrap_or(0) }
    }

    /// Operations that never answered 2xx, but for [`NEVER_SUCCEED`]'s and the document itself
    /// (and [`NEED_PENDING_PAYMENTS`]'s unless `payments_wait`: the stack's provider leaves
    /// payments PENDING).
    pub fn never_succeeded(&self, payments_wait: bool) -> Vec<&str> {
        let pending = if payments_wait { &[][..] } else { &NEED_PENDING_PAYMENTS[..] };
        let exempt: BTreeSet<&str> =
            NEVER_SUCCEED.iter().map(|(id, _)| *id).chain([READ_NOT_FUZZED]).chain(pending.iter().copied()).collect();
        self.statuses
            .iter()
            .filter(|(id, statuses)| !exempt.contains(id.as_str()) && !statuses.iter().any(|s| (200..300).contains(s)))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// Operations that answered a 5xx (the run fails on one anyway; this names them).
    pub fn server_errors(&self) -> Vec<&str> {
        let failed = |statuses: &BTreeSet<u16>| statuses.iter().any(|s| *s >= 500);
        self.statuses.iter().filter(|(_, s)| failed(s)).map(|(id, _)| id.as_str()).collect()
    }

    /// One line per operation with the statuses it answered, then what is missing.
    pub fn summary(&self, payments_wait: bool) -> String {
        let mut lines: Vec<String> = self
            .statuses
            .iter()
            .map(|(id, statuses)| {
                let answered: Vec<String> = statuses.iter().map(u16::to_string).collect();
                format!("  {id:<28} {}", answered.join(" "))
            })
            .collect();
        let succeeded = self.statuses.values().filter(|s| s.iter().any(|s| (200..300).contains(s))).count();
        lines.push(format!(
            "{} cases; {succeeded} operations answered 2xx, {} never did but should ({:?}), {} answered 5xx",
            self.cases,
            self.never_succeeded(payments_wait).len(),
            self.never_succeeded(payments_wait),
            self.server_errors().len(),
        ));
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Fixture {
        Fixture {
            user_email: "fuzz@bazaar.local".into(),
            user_password: "user-secret-7".into(),
            user_token: "user-token".into(),
            product_id: "p".into(),
            open_order: "o".into(),
            payment_to_complete: "pc".into(),
            payment_to_cancel: "px".into(),
            payments_wait: true,
            resource_id: "r".into(),
            slot_start: "2030-01-02T00:00:00+00:00".into(),
            slot_end: "2030-01-02T01:00:00+00:00".into(),
            check_in: "c".into(),
            cancel: "x".into(),
        }
    }

    #[test]
    fn the_token_travels_in_the_environment_not_the_arguments() {
        let options = FuzzOptions {
            api: "http://127.0.0.1:3000/".into(),
            max_examples: 3,
            phases: "examples,fuzzing".into(),
            seed: Some(7),
            report_dir: "target/fuzz".into(),
        };
        let cmd = command(Path::new("/repo"), Path::new("schemathesis"), "secret-token", &fixture(), &options);
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(args.iter().all(|a| !a.contains("secret") && !a.contains("user-token")), "{args:?}");
        assert!(args.contains(&"http://127.0.0.1:3000/openapi.json".to_owned()), "{args:?}");
        assert!(args.windows(2).any(|w| w == ["--seed", "7"]), "{args:?}");
        assert_eq!(cmd.get_current_dir(), Some(Path::new("/repo/target/fuzz")), "outside the watched tree");
        assert!(args.windows(2).any(|w| w == ["--report-dir", "/repo/target/fuzz"]), "{args:?}");
        assert!(args.windows(2).any(|w| w == ["--report-wfc-path", "/repo/target/fuzz/coverage.json"]), "{args:?}");
        let env: Vec<_> = cmd.get_envs().collect();
        assert!(env.iter().any(|(k, v)| *k == TOKEN_VAR && v.is_some_and(|v| v == "secret-token")));
        assert!(env.iter().any(|(k, v)| *k == "BAZAAR_FUZZ_CHECK_IN" && v.is_some_and(|v| v == "c")));
    }

    #[test]
    fn every_fixture_variable_the_config_reads_is_set() {
        let config =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemathesis.toml")).expect("config");
        let set: BTreeSet<&str> = fixture().env().iter().map(|(k, _)| *k).chain([TOKEN_VAR]).collect();
        let read: BTreeSet<&str> = config.split("${").skip(1).filter_map(|rest| rest.split('}').next()).collect();
        assert!(read.iter().all(|name| set.contains(name)), "the config reads {read:?}, the fixture sets {set:?}");
    }

    #[test]
    fn coverage_names_operations_and_finds_those_that_never_succeeded() {
        let document = serde_json::json!({ "paths": {
            "/a": { "get": { "operationId": "getA" }, "post": { "operationId": "makeA" } },
            "/a/{id}": { "delete": { "operationId": "deleteA" } },
            "/payments/webhook": { "post": { "operationId": "paymentWebhook" } },
        } });
        let report = serde_json::json!({ "totalTests": 12, "problemDetails": { "rest": { "coveredHttpStatus": [
            { "endpointId": "GET:/a", "httpStatus": [200, 400] },
            { "endpointId": "POST:/a", "httpStatus": [400, 422] },
            { "endpointId": "POST:/payments/webhook", "httpStatus": [401] },
            { "endpointId": "PUT:/a", "httpStatus": [404] },
        ] } } });
        let coverage = Coverage::from_report(&report, &document);
        assert_eq!(coverage.cases, 12);
        assert_eq!(coverage.statuses["getA"], BTreeSet::from([200, 400]));
        assert!(coverage.statuses["deleteA"].is_empty(), "never sent: never succeeded");
        assert_eq!(coverage.never_succeeded(true), ["deleteA", "makeA"], "the webhook is exempt");
        assert!(coverage.server_errors().is_empty());
        let unsettled =
            serde_json::json!({ "paths": { "/orders/{id}/cancel": { "post": { "operationId": "cancelOrder" } } } });
        let report = serde_json::json!({ "problemDetails": { "rest": { "coveredHttpStatus": [
            { "endpointId": "POST:/orders/{id}/cancel", "httpStatus": [409] },
        ] } } });
        let coverage = Coverage::from_report(&report, &unsettled);
        assert_eq!(coverage.never_succeeded(true), ["cancelOrder"], "payments wait: an order can be cancelled");
        assert!(coverage.never_succeeded(false).is_empty(), "the simulated provider settles every order at once");
    }
}

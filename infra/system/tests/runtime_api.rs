//! coldstart's Runtime API (`bazaar_system::runtime_api`), driven by a client that behaves as
//! lambda_runtime does: ask for the next invocation, answer it by its request id.

use std::time::Duration;

use bazaar_system::runtime_api::RuntimeApi;
use serde_json::{Value, json};

/// A function that answers each event with `{"echo": event}`, or reports an error for an
/// event holding `"fail"`, until the API goes away. An event holding `"spin": ms` is worked
/// on first, until its thread has spent that long on a CPU (however busy the machine).
async fn function(base: String) {
    let http = reqwest::Client::new();
    loop {
        let Ok(next) = http.get(format!("{base}/2018-06-01/runtime/invocation/next")).send().await else { return };
        if next.status() != 200 {
            return;
        }
        let id = next.headers()["lambda-runtime-aws-request-id"].to_str().expect("a request id").to_owned();
        assert!(next.headers().contains_key("lambda-runtime-deadline-ms"));
        assert!(next.headers().contains_key("lambda-runtime-invoked-function-arn"));
        let event: Value = next.json().await.expect("the event is JSON");
        tokio::time::sleep(Duration::from_millis(5)).await;
        if let Some(ms) = event.get("spin").and_then(Value::as_u64) {
            let began = thread_cpu();
            while thread_cpu() - began < Duration::from_millis(ms) {
                std::hint::black_box(0u64);
            }
        }
        let url = if event.get("fail").is_some() {
            format!("{base}/2018-06-01/runtime/invocation/{id}/error")
        } else {
            format!("{base}/2018-06-01/runtime/invocation/{id}/response")
        };
        let posted = http.post(url).json(&json!({ "echo": event })).send().await.expect("the answer is taken");
        assert_eq!(posted.status(), 202);
    }
}

#[tokio::test]
async fn init_ends_at_the_first_next_and_each_call_is_timed_from_hand_over_to_answer() {
    let mut api = RuntimeApi::start().await.unwrap();
    let before = std::time::Instant::now();
    tokio::spawn(function(format!("http://{}", api.addr)));
    let initialised = tokio::time::timeout(Duration::from_secs(10), api.initialised()).await.unwrap().unwrap();
    assert!(initialised >= before);
    assert!(api.initialised().await.is_err(), "init ends once");

    for n in 0..3 {
        let answer = api.invoke(json!({ "n": n })).await.unwrap();
        assert_eq!(answer.payload.unwrap(), json!({ "echo": { "n": n } }));
        // The function sleeps 5 ms between taking the event and answering it.
        assert!(answer.took >= Duration::from_millis(5), "{:?}", answer.took);
        assert_eq!(answer.cpu, None, "no process is watched");
    }
    let failed = api.invoke(json!({ "fail": true })).await.unwrap();
    let said = failed.payload.unwrap_err();
    assert!(said.contains("echo"), "{said}");
    // Answers still pair with their invocations after an error.
    assert_eq!(api.invoke(json!({ "n": 9 })).await.unwrap().payload.unwrap(), json!({ "echo": { "n": 9 } }));
}

/// The CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).expect("the thread's CPU clock");
    Duration::from(t)
}

#[tokio::test]
async fn a_watched_process_has_the_cpu_time_of_each_call_counted() {
    let mut api = RuntimeApi::start().await.unwrap();
    // The function runs in this process: watch it.
    api.watch(std::process::id());
    tokio::spawn(function(format!("http://{}", api.addr)));
    tokio::time::timeout(Duration::from_secs(10), api.initialised()).await.unwrap().unwrap();
    for _ in 0..2 {
        let answer = api.invoke(json!({ "spin": 30 })).await.unwrap();
        let cpu = answer.cpu.expect("the CPU time of a watched process");
        // At least the 30 ms on a CPU; the 5 ms sleep is not counted.
        assert!(cpu >= Duration::from_millis(30), "{cpu:?}");
        assert!(cpu < answer.took + Duration::from_millis(50), "{cpu:?} against {:?}", answer.took);
    }
}

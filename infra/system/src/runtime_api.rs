//! A Lambda Runtime API for one function process, as `make bench-init` needs it: it notes
//! when the process first asks for an invocation (where Lambda's Init Duration ends), then
//! hands it the events it is given, one at a time, and times each from the moment the event
//! is handed over to the moment the process posts its response: the handler's duration as
//! Lambda bills it. With the process's pid (`watch`), each call also counts the CPU time the
//! process spent on it: its CPU-time clock (every thread's time on a CPU) between the request
//! for the call's event and the request for the next one, when the process is idle again.
//! That is the function's own work for the call, apart from the Runtime API's and the
//! services' it calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// One invocation's outcome: how long the handler took and what it answered.
#[derive(Debug)]
pub struct Answer {
    pub took: Duration,
    /// The CPU time the process spent on the call, when its pid is watched.
    pub cpu: Option<Duration>,
    /// The response payload, or the error the function reported.
    pub payload: Result<Value, String>,
}

struct Shared {
    first_next: Mutex<Option<oneshot::Sender<Instant>>>,
    events: tokio::sync::Mutex<mpsc::Receiver<(String, Value)>>,
    handed: Mutex<HashMap<String, Instant>>,
    answers: mpsc::UnboundedSender<(String, Instant, Result<Value, String>)>,
    /// The watched process, and its CPU time at each request for an invocation.
    pid: Mutex<Option<u32>>,
    idle: mpsc::UnboundedSender<Option<Duration>>,
}

/// The Runtime API of one process; dropping it stops the server.
pub struct RuntimeApi {
    pub addr: std::net::SocketAddr,
    first_next: Option<oneshot::Receiver<Instant>>,
    events: mpsc::Sender<(String, Value)>,
    answers: mpsc::UnboundedReceiver<(String, Instant, Result<Value, String>)>,
    idle: mpsc::UnboundedReceiver<Option<Duration>>,
    /// The process's CPU time when it asked for the event `invoke` hands over next.
    idle_at: Option<Option<Duration>>,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
    invocations: u64,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> anyhow::Result<RuntimeApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (first_tx, first_rx) = oneshot::channel();
        let (events_tx, events_rx) = mpsc::channel(1);
        let (answers_tx, answers_rx) = mpsc::unbounded_channel();
        let (idle_tx, idle_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            first_next: Mutex::new(Some(first_tx)),
            events: tokio::sync::Mutex::new(events_rx),
            handed: Mutex::new(HashMap::new()),
            answers: answers_tx,
            pid: Mutex::new(None),
            idle: idle_tx,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            addr,
            first_next: Some(first_rx),
            events: events_tx,
            answers: answers_rx,
            idle: idle_rx,
            idle_at: None,
            shared,
            server,
            invocations: 0,
        })
    }

    /// Counts the CPU time of process `pid` (the one this API serves) in every `Answer`.
    pub fn watch(&self, pid: u32) {
        if let Ok(mut watched) = self.shared.pid.lock() {
            *watched = Some(pid);
        }
    }

    /// When the process first asked for an invocation. Waits for it.
    pub async fn initialised(&mut self) -> anyhow::Result<Instant> {
        let first = self.first_next.take().context("initialised() is asked once")?;
        first.await.context("the Runtime API stopped")
    }

    /// Hands `event` to the process and waits for its answer.
    pub async fn invoke(&mut self, event: Value) -> anyhow::Result<Answer> {
        self.invocations += 1;
        let id = format!("bench-{:08}", self.invocations);
        self.events.send((id.clone(), event)).await.context("the Runtime API stopped")?;
        let (answered, at, payload) = self.answers.recv().await.context("the Runtime API stopped")?;
        anyhow::ensure!(answered == id, "answer for {answered}, expected {id}");
        let handed = self.shared.handed.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.remove(&id);
        let handed = handed.context("an answer to an invocation never handed over")?;
        // The CPU count when the process asked for this event, and when it asks for the next
        // one (it does so right after answering; a process that does not is not counted).
        let before = match self.idle_at.take() {
            Some(at) => at,
            None => self.idle.recv().await.flatten(),
        };
        let after = tokio::time::timeout(Duration::from_secs(5), self.idle.recv()).await.ok().flatten();
        self.idle_at = after;
        let cpu = match (before, after.flatten()) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b)),
            _ => None,
        };
        Ok(Answer { took: at.saturating_duration_since(handed), cpu, payload })
    }
}

/// The CPU time process `pid` has used so far: every thread's, those that have ended too (its
/// CPU-time clock, `clock_getcpuclockid`); `None` when it cannot be read.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    use nix::time::{clock_getcpuclockid, clock_gettime};
    let clock = clock_getcpuclockid(nix::unistd::Pid::from_raw(i32::try_from(pid).ok()?)).ok()?;
    Some(Duration::from(clock_gettime(clock).ok()?))
}

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let pid = shared.pid.lock().ok().and_then(|p| *p);
    let _ = shared.idle.send(pid.and_then(cpu_time));
    if let Some(first) = shared.first_next.lock().ok().and_then(|mut f| f.take()) {
        let _ = first.send(Instant::now());
    }
    // One process asks for one invocation at a time: the lock is never contended.
    let event = shared.events.lock().await.recv().await;
    let Some((id, event)) = event else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now() + Duration::from_secs(30);
    let deadline_ms = deadline.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", id.clone()),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:bench".to_owned()),
        ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned()),
        ("content-type", "application/json".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    let body = event.to_string();
    if let Ok(mut handed) = shared.handed.lock() {
        handed.insert(id, Instant::now());
    }
    (StatusCode::OK, headers, body)
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let payload = serde_json::from_slice(&body).map_err(|e| format!("the response is not JSON: {e}"));
    let _ = shared.answers.send((id, at, payload));
    StatusCode::ACCEPTED
}

async fn error(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let _ = shared.answers.send((id, at, Err(String::from_utf8_lossy(&body).into_owned())));
    StatusCode::ACCEPTED
}

async fn init_error(body: Bytes) -> StatusCode {
    tracing::warn!("init error: {}", String::from_utf8_lossy(&body));
    StatusCode::ACCEPTED
}

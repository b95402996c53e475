//! Every function of the template, in process (`devstack::registry`), counted: each
//! invocation runs with [`CURRENT_FUNCTION`] set, so the AWS requests it makes are
//! attributed to it ([`crate::counting`]), and the invocations per function are kept, with
//! how many are running ([`Activity`], for the wait for quiet: [`crate::quiet`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use devstack::invoke::{InvokeOutcome, Invoker};
use devstack::model::Stack;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::counting::CURRENT_FUNCTION;

pub struct Registry {
    functions: devstack::registry::Registry,
    invocations: std::sync::Mutex<BTreeMap<String, u64>>,
    started: AtomicU64,
    running: AtomicU64,
}

/// Invocations of any function (gateway, pollers, schedules) since the system started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// Every invocation begun so far (never reset).
    pub started: u64,
    /// Those whose future has not finished (or been dropped) yet.
    pub running: u64,
}

/// Counts an invocation as running until it is dropped, finished or not.
struct Running<'a>(&'a AtomicU64);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Invoker for Registry {
    fn invoke<'a>(&'a self, binary: &'a str, payload: Value) -> BoxFuture<'a, anyhow::Result<InvokeOutcome>> {
        if let Ok(mut counts) = self.invocations.lock() {
            *counts.entry(binary.to_owned()).or_default() += 1;
        }
        // Started before running, both before the function runs: a watcher that reads
        // `started` then `running` cannot miss an invocation that begins in between.
        self.started.fetch_add(1, Ordering::SeqCst);
        self.running.fetch_add(1, Ordering::SeqCst);
        let running = Running(&self.running);
        let call = CURRENT_FUNCTION.scope(binary.to_owned(), self.functions.invoke(binary, payload));
        async move {
            let _running = running;
            call.await
        }
        .boxed()
    }
}

impl Registry {
    /// Builds every function of `stack`, each with its own role's configuration from
    /// `configs`. A function of the template missing here is an error, so the registry
    /// cannot silently fall behind the template.
    pub fn build(
        stack: &Stack,
        configs: &devstack::provision::iam::FunctionConfigs,
        moto_endpoint: &str,
    ) -> anyhow::Result<Registry> {
        let functions = devstack::registry!(all, stack, configs, moto_endpoint)?;
        let missing: Vec<&str> = stack
            .functions
            .iter()
            .map(|f| f.binary.as_str())
            .filter(|n| !functions.binaries().any(|b| b == *n))
            .collect();
        anyhow::ensure!(missing.is_empty(), "functions of the template not in the registry: {missing:?}");
        Ok(Registry {
            functions,
            invocations: Default::default(),
            started: AtomicU64::new(0),
            running: AtomicU64::new(0),
        })
    }

    /// Invocations per function since the last reset.
    pub fn invocations(&self) -> BTreeMap<String, u64> {
        self.invocations.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Invocations begun and still running, read in that order.
    pub fn activity(&self) -> Activity {
        let started = self.started.load(Ordering::SeqCst);
        Activity { started, running: self.running.load(Ordering::SeqCst) }
    }

    pub fn reset_invocations(&self) {
        if let Ok(mut counts) = self.invocations.lock() {
            counts.clear();
        }
    }
}

//! Every function of the template, in process (`devstack::registry`), counted: each
//! invocation runs with [`CURRENT_FUNCTION`] set, so the AWS requests it makes are
//! attributed to it ([`crate::counting`]), and the invocations per function are kept.

use std::collections::BTreeMap;

use devstack::invoke::{InvokeOutcome, Invoker};
use devstack::model::Stack;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::counting::CURRENT_FUNCTION;

pub struct Registry {
    functions: devstack::registry::Registry,
    invocations: std::sync::Mutex<BTreeMap<String, u64>>,
}

impl Invoker for Registry {
    fn invoke<'a>(&'a self, binary: &'a str, payload: Value) -> BoxFuture<'a, anyhow::Result<InvokeOutcome>> {
        if let Ok(mut counts) = self.invocations.lock() {
            *counts.entry(binary.to_owned()).or_default() += 1;
        }
        CURRENT_FUNCTION.scope(binary.to_owned(), self.functions.invoke(binary, payload)).boxed()
    }
}

impl Registry {
    /// Builds every function of `stack` against `config`. A function of the template
    /// missing here is an error, so the registry cannot silently fall behind the template.
    pub fn build(stack: &Stack, config: &aws_types::SdkConfig, moto_endpoint: &str) -> anyhow::Result<Registry> {
        let functions = devstack::registry!(all, stack, config, moto_endpoint)?;
        let missing: Vec<&str> = stack
            .functions
            .iter()
            .map(|f| f.binary.as_str())
            .filter(|n| !functions.binaries().any(|b| b == *n))
            .collect();
        anyhow::ensure!(missing.is_empty(), "functions of the template not in the registry: {missing:?}");
        Ok(Registry { functions, invocations: Default::default() })
    }

    /// Invocations per function since the last reset.
    pub fn invocations(&self) -> BTreeMap<String, u64> {
        self.invocations.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn reset_invocations(&self) {
        if let Ok(mut counts) = self.invocations.lock() {
            counts.clear();
        }
    }
}

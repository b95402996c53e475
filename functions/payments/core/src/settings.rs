//! Payments settings, read once at init from the environment the template sets (through
//! [`Env`], so several functions can run in one process with their own variables).

use bazaar_runtime::config::{ConfigError, Env};

/// Where charges are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderMode {
    /// A sandbox: decided at once when the stock is reserved, by a seeded coin.
    Simulated,
    /// A sandbox: left PENDING, and the payer decides (`POST /payments/{id}/complete` stands
    /// in for the provider's checkout), or the webhook.
    Sandbox,
    /// A real provider: left PENDING until its signed webhook settles it (or an operator
    /// holding `payments:settle`). The payer may only abandon a pending payment.
    Manual,
}

impl ProviderMode {
    /// Whether the payer completes their own payments (a mode without real money). The
    /// template's Rules refuse these modes outside dev unless a stage opts in.
    pub fn is_sandbox(self) -> bool {
        matches!(self, ProviderMode::Simulated | ProviderMode::Sandbox)
    }
}

impl std::str::FromStr for ProviderMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "simulated" => Ok(ProviderMode::Simulated),
            "sandbox" => Ok(ProviderMode::Sandbox),
            "manual" => Ok(ProviderMode::Manual),
            other => Err(format!("{other:?} is none of simulated, sandbox and manual")),
        }
    }
}

/// `PAYMENT_PROVIDER_MODE` (default `simulated`).
pub fn provider_mode(env: &Env) -> Result<ProviderMode, ConfigError> {
    env.parsed_or("PAYMENT_PROVIDER_MODE", ProviderMode::Simulated)
}

/// `payments-on-stock`: how a new payment is settled.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderSettings {
    pub mode: ProviderMode,
    /// Probability (0..=1) that a simulated charge succeeds.
    pub success_rate: f64,
    pub seed: Option<String>,
}

impl ProviderSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let success_rate: f64 = env.parsed_or("PAYMENT_SUCCESS_RATE", 0.8)?;
        if !(0.0..=1.0).contains(&success_rate) {
            return Err(ConfigError::Invalid { name: "PAYMENT_SUCCESS_RATE", reason: "must be within 0..=1".into() });
        }
        Ok(ProviderSettings { mode: provider_mode(env)?, success_rate, seed: env.optional("PAYMENT_SIMULATION_SEED") })
    }
}

/// `PAYMENT_WINDOW_SECONDS` (default 900): a PENDING payment older than this cannot succeed.
pub fn window_seconds(env: &Env) -> Result<i64, ConfigError> {
    let seconds: i64 = env.parsed_or("PAYMENT_WINDOW_SECONDS", 900)?;
    if seconds <= 0 {
        return Err(ConfigError::Invalid { name: "PAYMENT_WINDOW_SECONDS", reason: "must be positive".into() });
    }
    Ok(seconds)
}

/// `WEBHOOK_TOLERANCE_SECONDS` (default 300): how far a signature's timestamp may be from now.
pub fn webhook_tolerance_seconds(env: &Env) -> Result<i64, ConfigError> {
    let seconds: i64 = env.parsed_or("WEBHOOK_TOLERANCE_SECONDS", 300)?;
    if seconds < 0 {
        return Err(ConfigError::Invalid { name: "WEBHOOK_TOLERANCE_SECONDS", reason: "must not be negative".into() });
    }
    Ok(seconds)
}

/// `PAYMENTS_TABLE`: the table of every payments function.
pub fn table(env: &Env) -> Result<String, ConfigError> {
    env.required("PAYMENTS_TABLE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_map(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn defaults_are_simulated_at_eighty_percent_with_a_fifteen_minute_window() {
        let s = ProviderSettings::from_env(&env(&[])).expect("defaults");
        assert_eq!(s, ProviderSettings { mode: ProviderMode::Simulated, success_rate: 0.8, seed: None });
        assert_eq!(window_seconds(&env(&[])).expect("default"), 900);
        assert_eq!(webhook_tolerance_seconds(&env(&[])).expect("default"), 300);
    }

    #[test]
    fn the_template_values_parse() {
        let s = ProviderSettings::from_env(&env(&[
            ("PAYMENT_PROVIDER_MODE", "manual"),
            ("PAYMENT_SUCCESS_RATE", "1.0"),
            ("PAYMENT_SIMULATION_SEED", "bench"),
        ]))
        .expect("parses");
        assert_eq!(s.mode, ProviderMode::Manual);
        assert_eq!((s.success_rate, s.seed.as_deref()), (1.0, Some("bench")));
        assert_eq!(window_seconds(&env(&[("PAYMENT_WINDOW_SECONDS", "60")])).expect("parses"), 60);
        let sandbox = provider_mode(&env(&[("PAYMENT_PROVIDER_MODE", "sandbox")])).expect("parses");
        assert_eq!(sandbox, ProviderMode::Sandbox);
    }

    #[test]
    fn only_the_simulated_and_sandbox_modes_let_payers_pay_by_saying_so() {
        assert!(ProviderMode::Simulated.is_sandbox() && ProviderMode::Sandbox.is_sandbox());
        assert!(!ProviderMode::Manual.is_sandbox());
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (name, value) in
            [("PAYMENT_PROVIDER_MODE", "stripe"), ("PAYMENT_SUCCESS_RATE", "1.5"), ("PAYMENT_SUCCESS_RATE", "x")]
        {
            let err = ProviderSettings::from_env(&env(&[(name, value)])).expect_err(value);
            assert!(err.to_string().contains(name), "{err}");
        }
        assert!(window_seconds(&env(&[("PAYMENT_WINDOW_SECONDS", "0")])).is_err());
        assert!(webhook_tolerance_seconds(&env(&[("WEBHOOK_TOLERANCE_SECONDS", "-1")])).is_err());
        assert!(table(&env(&[])).is_err());
    }
}

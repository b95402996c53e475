//! JSON structured logs (one object per line), as the template's `LogFormat: JSON` expects.
//! The level comes from `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.
//! Filters are `Targets` (`warn`, `info,aws_smithy_runtime=debug`): what a function needs,
//! without the regex engine `EnvFilter` links (a tenth of a zip).

use std::str::FromStr as _;

use tracing_subscriber::filter::{LevelFilter, Targets};

/// The filter a `RUST_LOG`-style directive string asks for; `info` when it cannot be parsed
/// (a typo in a log setting never silences a function).
pub fn filter(directives: Option<&str>) -> Targets {
    directives
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .and_then(|d| Targets::from_str(d).ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// Installs the JSON subscriber; call once at the top of `main`.
pub fn init() {
    let directives =
        std::env::var("RUST_LOG").ok().or_else(|| std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().map(|l| l.to_lowercase()));
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let json = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false);
    let _ = tracing_subscriber::registry().with(json).with(filter(directives.as_deref())).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn levels_and_per_target_directives_are_honoured() {
        let warn = filter(Some("warn"));
        assert!(warn.would_enable("orders_place", &Level::WARN));
        assert!(!warn.would_enable("orders_place", &Level::INFO));
        let mixed = filter(Some("info,aws_smithy_runtime=debug"));
        assert!(mixed.would_enable("aws_smithy_runtime::client", &Level::DEBUG));
        assert!(!mixed.would_enable("orders_place", &Level::DEBUG));
    }

    #[test]
    fn a_missing_or_garbled_setting_logs_at_info() {
        for directives in [None, Some("lots!=of=garbage=="), Some("")] {
            let f = filter(directives);
            assert!(f.would_enable("x", &Level::INFO), "{directives:?}");
            assert!(!f.would_enable("x", &Level::DEBUG), "{directives:?}");
        }
    }
}

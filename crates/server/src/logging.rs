//! Where the log goes and in which shape: human-readable lines, or one JSON object per event
//! for a log collector (`ENISHI_LOG_FORMAT=json`). Which events, by `ENISHI_LOG` (a
//! `tracing` filter such as `info` or `info,enishi_apub=debug`).

use crate::config::ConfigError;

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable text (the default).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields` (with `message`)
    /// and the spans.
    Json,
}

impl LogFormat {
    /// Reads `value`, which came from `setting`.
    pub fn parse(setting: &str, value: &str) -> Result<LogFormat, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(ConfigError {
                setting: setting.to_owned(),
                message: format!("{other:?} is not a log format (expected text or json)"),
            }),
        }
    }

    /// Its name in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// The filter without `ENISHI_LOG`: information, without the migrator's step-by-step account
/// and PostgreSQL's notices (its "relation already exists, skipping" at every start).
pub const DEFAULT_FILTER: &str = "info,sea_orm_migration=warn,sqlx::postgres::notice=warn";

/// Sends the process's log to standard error in `format`, filtered by `ENISHI_LOG`; colours
/// only when standard error is a terminal (not in the journal or a file).
pub fn init(format: LogFormat) {
    let filter = std::env::var("ENISHI_LOG").unwrap_or_else(|_| DEFAULT_FILTER.into());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|_| "info".into());
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(false).init(),
    }
}

//! Configuration: parsed once from an optional TOML file and `ENISHI_*` environment variables
//! (the environment wins), validated, then passed around as state.

use enishi_core::{ContentLimits, InstanceSettings, RegistrationMode, Scheme, ValidationError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything the `enishi` binary needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// What the instance is (domain, scheme, policies, limits).
    pub instance: InstanceSettings,
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// Directory for the SQLite file and other local data.
    pub data_dir: PathBuf,
    /// Size of the database connection pool.
    pub db_max_connections: u32,
    /// How outgoing deliveries are made.
    pub delivery: DeliveryConfig,
    /// Whether `serve` runs delivery workers (`--no-workers` turns them off).
    pub run_workers: bool,
    /// Servers this instance refuses to federate with (`host[:port]`, lower-case).
    pub blocked_domains: Vec<String>,
    /// Certificate and key to serve https with directly (else plain http, usually behind a
    /// reverse proxy that terminates TLS).
    pub tls: Option<TlsFiles>,
    /// A PEM file of CA certificates to trust, besides the system's, for outgoing requests
    /// (a private or test CA; verification is never turned off).
    pub extra_ca_certs: Option<PathBuf>,
    /// Trusted proxies and where `/metrics` is served.
    pub access: crate::access::AccessConfig,
    /// Photo limits and store.
    pub media: crate::media_config::MediaConfig,
    /// Whether outgoing requests may go to loopback and private networks
    /// (`ENISHI_ALLOW_PRIVATE_NETWORKS`); `None`: only when the domain is `localhost`. See
    /// [`Config::allows_private_networks`].
    pub allow_private_networks: Option<bool>,
    /// Resolves names for outgoing requests instead of the system's resolver (tests); the
    /// outgoing-request policy still filters its answers. Not a setting.
    pub resolver: Option<enishi_apub::egress::CustomResolver>,
    /// The shape of log lines (`ENISHI_LOG_FORMAT`).
    pub log_format: crate::logging::LogFormat,
}

/// PEM files for serving https.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Settings of the delivery workers (DESIGN §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Deliveries in flight at once per process.
    pub concurrency: usize,
    /// Deliveries in flight at once to one host.
    pub per_host: usize,
    /// Seconds allowed for one delivery request.
    pub timeout_secs: u64,
    /// Hours after which a failing delivery is given up.
    pub give_up_hours: u64,
    /// Days delivered rows are kept.
    pub retention_days: u64,
    /// Milliseconds before the first retry (doubled after each failure).
    pub retry_base_ms: u64,
    /// Failures in a row after which a host rests.
    pub host_failure_threshold: u32,
    /// Seconds a claimed delivery stays reserved for its worker (after a crash it waits this
    /// long before another worker takes it).
    pub lease_secs: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            concurrency: 64,
            per_host: 8,
            timeout_secs: 10,
            give_up_hours: 96,
            retention_days: 7,
            retry_base_ms: 30_000,
            host_failure_threshold: 5,
            lease_secs: 60,
        }
    }
}

/// A configuration value that cannot be used; names the setting and says what is expected.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    /// Where the value came from (`ENISHI_BIND`, or `bind` in the TOML file).
    pub setting: String,
    /// What is wrong.
    pub message: String,
}

/// A file setting must name a readable file; say which setting when it does not.
fn readable(setting: &str, path: &std::path::Path) -> Result<(), ConfigError> {
    std::fs::metadata(path)
        .map_err(|e| err(setting, format!("cannot read {}: {e}", path.display())))
        .and_then(|m| {
            if m.is_file() {
                Ok(())
            } else {
                Err(err(setting, format!("{} is not a file", path.display())))
            }
        })
}

fn err(setting: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.into(),
        message: message.into(),
    }
}

/// The TOML file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    domain: Option<String>,
    bind: Option<String>,
    scheme: Option<String>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    registration: Option<String>,
    name: Option<String>,
    db_max_connections: Option<u32>,
    blocked_domains: Option<Vec<String>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    extra_ca_certs: Option<PathBuf>,
    allow_private_networks: Option<bool>,
    #[serde(default)]
    limits: Option<ContentLimits>,
    trusted_proxies: Option<Vec<String>>,
    metrics_bind: Option<String>,
    metrics_token: Option<String>,
    rate_limits: Option<String>,
    media: Option<crate::media_config::MediaFile>,
    log_format: Option<String>,
}

/// Environment variables that configure Enishi, with what they set.
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "ENISHI_DOMAIN",
        "host[:port] in every id (default localhost:8080)",
    ),
    ("ENISHI_BIND", "listen address (default 127.0.0.1:8080)"),
    (
        "ENISHI_LOG_FORMAT",
        "text or json: the shape of log lines on standard error (default text)",
    ),
    (
        "ENISHI_SCHEME",
        "https or http (default http for localhost domains, else https)",
    ),
    (
        "ENISHI_DATABASE_URL",
        "sqlite://… or postgres://… (default SQLite in the data dir)",
    ),
    (
        "ENISHI_DATA_DIR",
        "local data directory (default ./enishi-data)",
    ),
    (
        "ENISHI_REGISTRATION",
        "open, invite or closed (default invite)",
    ),
    (
        "ENISHI_NAME",
        "instance name shown on pages and in NodeInfo (default Enishi)",
    ),
    (
        "ENISHI_BLOCKED_DOMAINS",
        "comma-separated host[:port] of servers to reject, put in the run-time block list once at start (default none)",
    ),
    (
        "ENISHI_TLS_CERT",
        "PEM certificate chain: serve https directly (with ENISHI_TLS_KEY)",
    ),
    ("ENISHI_TLS_KEY", "PEM private key for ENISHI_TLS_CERT"),
    (
        "ENISHI_EXTRA_CA_CERTS",
        "PEM file of CA certificates to trust besides the system's",
    ),
    (
        "ENISHI_ALLOW_PRIVATE_NETWORKS",
        "true: outgoing requests may reach loopback and private networks (default true only for localhost)",
    ),
    (
        "ENISHI_DB_MAX_CONNECTIONS",
        "database pool size (default 16)",
    ),
    (
        "ENISHI_LIMIT_DIARY_TITLE",
        "longest diary title in characters (default 100)",
    ),
    (
        "ENISHI_LIMIT_DIARY_BODY",
        "longest diary body in characters (default 10000)",
    ),
    (
        "ENISHI_LIMIT_VOICE",
        "longest voice post in characters (default 150)",
    ),
    (
        "ENISHI_LIMIT_COMMENT",
        "longest comment in characters (default 1000)",
    ),
    (
        "ENISHI_LIMIT_INTRODUCTION",
        "longest introduction in characters (default 1000)",
    ),
    (
        "ENISHI_LIMIT_FRIENDS",
        "most friends per member (default 1000)",
    ),
    (
        "ENISHI_DELIVERY_CONCURRENCY",
        "deliveries in flight per worker process (default 64)",
    ),
    (
        "ENISHI_DELIVERY_PER_HOST",
        "deliveries in flight to one host (default 8)",
    ),
    (
        "ENISHI_DELIVERY_TIMEOUT_SECS",
        "seconds allowed for one delivery (default 10)",
    ),
    (
        "ENISHI_DELIVERY_GIVE_UP_HOURS",
        "hours before a failing delivery is dead-lettered (default 96)",
    ),
    (
        "ENISHI_DELIVERY_RETENTION_DAYS",
        "days delivered rows are kept (default 7)",
    ),
    (
        "ENISHI_DELIVERY_RETRY_BASE_MS",
        "first retry delay in ms, doubled per failure (default 30000)",
    ),
    (
        "ENISHI_DELIVERY_HOST_FAILURES",
        "failures in a row before a host rests (default 5)",
    ),
    (
        "ENISHI_DELIVERY_LEASE_SECS",
        "seconds a claimed delivery is reserved for its worker (default 60)",
    ),
    (
        "ENISHI_CONFIG",
        "path of the TOML configuration file (same as --config)",
    ),
    (
        "ENISHI_LOG",
        "log filter, e.g. info or enishi=debug (default info, with the migrator and PostgreSQL notices at warn)",
    ),
];

impl Config {
    /// Builds the configuration from environment variables (`ENISHI_*` only are read) and the
    /// text of an optional TOML file.
    pub fn from_sources(
        env: &BTreeMap<String, String>,
        toml_text: Option<&str>,
    ) -> Result<Config, ConfigError> {
        for key in env.keys() {
            let known = ENV_VARS
                .iter()
                .chain(crate::access::ACCESS_VARS)
                .chain(crate::media_config::MEDIA_VARS)
                .any(|(k, _)| k == key);
            if key.starts_with("ENISHI_") && !key.starts_with("ENISHI_TEST_") && !known {
                return Err(err(
                    key.clone(),
                    "unknown setting; the Configuration section of the README lists every ENISHI_* variable",
                ));
            }
        }
        let file: FileConfig = match toml_text {
            Some(text) => {
                toml::from_str(text).map_err(|e| err("configuration file", e.to_string()))?
            }
            None => FileConfig::default(),
        };
        // Each value: environment first, then file, with the name to blame if it is bad.
        let pick =
            |env_key: &str, file_key: &str, file_val: Option<String>| -> Option<(String, String)> {
                env.get(env_key)
                    .map(|v| (env_key.to_owned(), v.clone()))
                    .or_else(|| file_val.map(|v| (format!("{file_key} (configuration file)"), v)))
            };
        let number = |env_key: &str, default: usize| -> Result<usize, ConfigError> {
            match env.get(env_key) {
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| err(env_key, format!("{v:?} is not a positive whole number"))),
                None => Ok(default),
            }
        };

        let (domain_src, domain) = pick("ENISHI_DOMAIN", "domain", file.domain)
            .unwrap_or(("ENISHI_DOMAIN".into(), "localhost:8080".into()));
        let domain = domain.trim().to_owned();
        InstanceSettings::validate_domain(&domain).map_err(|e| err(&domain_src, e.message))?;

        let path = |env_key: &str, file_val: Option<PathBuf>| -> Option<(String, PathBuf)> {
            env.get(env_key)
                .map(|v| (env_key.to_owned(), PathBuf::from(v)))
                .or_else(|| {
                    file_val.map(|p| {
                        (
                            format!("{} (configuration file)", env_key[7..].to_ascii_lowercase()),
                            p,
                        )
                    })
                })
        };
        let tls = match (
            path("ENISHI_TLS_CERT", file.tls_cert),
            path("ENISHI_TLS_KEY", file.tls_key),
        ) {
            (None, None) => None,
            (Some((cert_src, cert)), Some((key_src, key))) => {
                readable(&cert_src, &cert)?;
                readable(&key_src, &key)?;
                Some(TlsFiles { cert, key })
            }
            (Some(_), None) => {
                return Err(err("ENISHI_TLS_KEY", "must be set with ENISHI_TLS_CERT"));
            }
            (None, Some(_)) => {
                return Err(err("ENISHI_TLS_CERT", "must be set with ENISHI_TLS_KEY"));
            }
        };
        let extra_ca_certs = match path("ENISHI_EXTRA_CA_CERTS", file.extra_ca_certs) {
            Some((src, p)) => {
                readable(&src, &p)?;
                Some(p)
            }
            None => None,
        };

        let scheme = match pick("ENISHI_SCHEME", "scheme", file.scheme) {
            Some((src, v)) => v.parse::<Scheme>().map_err(|e| err(src, e.message))?,
            None if tls.is_some() => Scheme::Https,
            None if InstanceSettings::is_localhost(&domain) => Scheme::Http,
            None => Scheme::Https,
        };

        let bind = match pick("ENISHI_BIND", "bind", file.bind) {
            Some((src, v)) => v.trim().parse::<SocketAddr>().map_err(|_| {
                err(src, format!("{v:?} is not a socket address (expected ip:port such as 127.0.0.1:8080 or [::]:8080)"))
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };

        let data_dir = env
            .get("ENISHI_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("enishi-data"));
        if data_dir.as_os_str().is_empty() {
            return Err(err("ENISHI_DATA_DIR", "must not be empty"));
        }

        let database_url = match pick("ENISHI_DATABASE_URL", "database_url", file.database_url) {
            Some((src, v)) => {
                let v = v.trim().to_owned();
                validate_database_url(&v).map_err(|m| err(src, m))?;
                v
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("enishi.db").display()),
        };

        let registration = match pick("ENISHI_REGISTRATION", "registration", file.registration) {
            Some((src, v)) => v
                .parse::<RegistrationMode>()
                .map_err(|e| err(src, e.message))?,
            None => RegistrationMode::Invite,
        };

        let name = pick("ENISHI_NAME", "name", file.name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "Enishi".into());
        if name.is_empty() || name.chars().count() > 100 {
            return Err(err("ENISHI_NAME", "must be 1 to 100 characters"));
        }

        let base = file.limits.unwrap_or_default();
        let limits = ContentLimits {
            diary_title: number("ENISHI_LIMIT_DIARY_TITLE", base.diary_title)?,
            diary_body: number("ENISHI_LIMIT_DIARY_BODY", base.diary_body)?,
            voice: number("ENISHI_LIMIT_VOICE", base.voice)?,
            comment: number("ENISHI_LIMIT_COMMENT", base.comment)?,
            introduction: number("ENISHI_LIMIT_INTRODUCTION", base.introduction)?,
            friends: number("ENISHI_LIMIT_FRIENDS", base.friends)?,
        };
        limits
            .validate()
            .map_err(|ValidationError { field, message }| err(field, message))?;

        let db_max_connections = match env.get("ENISHI_DB_MAX_CONNECTIONS") {
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    err(
                        "ENISHI_DB_MAX_CONNECTIONS",
                        format!("{v:?} is not a number from 1 to 1000"),
                    )
                })?,
            None => file.db_max_connections.unwrap_or(16),
        };

        let ranged = |key: &str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match env.get(key) {
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| err(key, format!("{v:?} is not a number from 1 to {max}"))),
                None => Ok(default),
            }
        };
        let d = DeliveryConfig::default();
        let delivery = DeliveryConfig {
            concurrency: ranged("ENISHI_DELIVERY_CONCURRENCY", d.concurrency as u64, 4096)?
                as usize,
            per_host: ranged("ENISHI_DELIVERY_PER_HOST", d.per_host as u64, 1024)? as usize,
            timeout_secs: ranged("ENISHI_DELIVERY_TIMEOUT_SECS", d.timeout_secs, 300)?,
            give_up_hours: ranged("ENISHI_DELIVERY_GIVE_UP_HOURS", d.give_up_hours, 24 * 30)?,
            retention_days: ranged("ENISHI_DELIVERY_RETENTION_DAYS", d.retention_days, 365)?,
            retry_base_ms: ranged("ENISHI_DELIVERY_RETRY_BASE_MS", d.retry_base_ms, 3_600_000)?,
            host_failure_threshold: ranged(
                "ENISHI_DELIVERY_HOST_FAILURES",
                d.host_failure_threshold as u64,
                1000,
            )? as u32,
            lease_secs: ranged("ENISHI_DELIVERY_LEASE_SECS", d.lease_secs, 3600)?,
        };

        let allow_private_networks = match env.get("ENISHI_ALLOW_PRIVATE_NETWORKS") {
            Some(v) => Some(parse_bool(v).ok_or_else(|| {
                err(
                    "ENISHI_ALLOW_PRIVATE_NETWORKS",
                    format!("{v:?} is not true or false"),
                )
            })?),
            None => file.allow_private_networks,
        };

        let blocked_domains: Vec<String> = match env.get("ENISHI_BLOCKED_DOMAINS") {
            Some(list) => list
                .split(',')
                .map(|d| d.trim().to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            None => file
                .blocked_domains
                .unwrap_or_default()
                .into_iter()
                .map(|d| d.trim().to_ascii_lowercase())
                .collect(),
        };
        for d in &blocked_domains {
            if d.contains('/') || d.contains('@') || d.contains(' ') {
                return Err(err(
                    "ENISHI_BLOCKED_DOMAINS",
                    format!("{d:?} is not a host[:port]"),
                ));
            }
        }
        let access = crate::access::AccessConfig::parse(
            env,
            crate::access::AccessFile {
                trusted_proxies: file.trusted_proxies,
                metrics_bind: file.metrics_bind,
                metrics_token: file.metrics_token,
                rate_limits: file.rate_limits,
            },
        )?;
        let media = crate::media_config::MediaConfig::parse(
            env,
            file.media.unwrap_or_default(),
            &data_dir,
        )?;
        let log_format = match pick("ENISHI_LOG_FORMAT", "log_format", file.log_format) {
            Some((src, v)) => crate::logging::LogFormat::parse(&src, &v)?,
            None => crate::logging::LogFormat::default(),
        };
        Ok(Config {
            log_format,
            access,
            media,
            delivery,
            run_workers: true,
            blocked_domains,
            tls,
            extra_ca_certs,
            allow_private_networks,
            resolver: None,
            instance: InstanceSettings {
                domain,
                scheme,
                registration,
                limits,
                name,
            },
            bind,
            database_url,
            data_dir,
            db_max_connections,
        })
    }

    /// Reads the process environment and the TOML file at `path` (if given).
    pub fn load(path: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("ENISHI_"))
            .collect();
        let text = match path {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                err(
                    "configuration file",
                    format!("cannot read {}: {e}", p.display()),
                )
            })?),
            None => None,
        };
        Config::from_sources(&env, text.as_deref())
    }

    /// The effective configuration as TOML, with secrets (database password) redacted.
    pub fn describe(&self) -> String {
        let i = &self.instance;
        let l = &i.limits;
        let mut out = String::new();
        let _ = writeln!(out, "domain = {:?}", i.domain);
        let _ = writeln!(out, "scheme = {:?}", i.scheme.as_str());
        let _ = writeln!(out, "bind = {:?}", self.bind.to_string());
        let _ = writeln!(out, "log_format = {:?}", self.log_format.as_str());
        let _ = writeln!(
            out,
            "database_url = {:?}",
            redact_database_url(&self.database_url)
        );
        let _ = writeln!(out, "data_dir = {:?}", self.data_dir.display().to_string());
        let _ = writeln!(out, "registration = {:?}", i.registration.as_str());
        let _ = writeln!(out, "name = {:?}", i.name);
        let _ = writeln!(out, "db_max_connections = {}", self.db_max_connections);
        let _ = writeln!(out, "blocked_domains = {:?}", self.blocked_domains);
        if let Some(t) = &self.tls {
            let _ = writeln!(out, "tls_cert = {:?}", t.cert.display().to_string());
            let _ = writeln!(out, "tls_key = {:?}", t.key.display().to_string());
        }
        if let Some(ca) = &self.extra_ca_certs {
            let _ = writeln!(out, "extra_ca_certs = {:?}", ca.display().to_string());
        }
        self.access.describe(&mut out);
        let _ = writeln!(
            out,
            "allow_private_networks = {}{}",
            self.allows_private_networks(),
            match self.allow_private_networks {
                Some(_) => "",
                None => "  # default: true only when the domain is localhost",
            }
        );
        let d = &self.delivery;
        let _ = writeln!(out, "\n[delivery]");
        let _ = writeln!(out, "concurrency = {}", d.concurrency);
        let _ = writeln!(out, "per_host = {}", d.per_host);
        let _ = writeln!(out, "timeout_secs = {}", d.timeout_secs);
        let _ = writeln!(out, "give_up_hours = {}", d.give_up_hours);
        let _ = writeln!(out, "retention_days = {}", d.retention_days);
        let _ = writeln!(out, "retry_base_ms = {}", d.retry_base_ms);
        let _ = writeln!(out, "host_failure_threshold = {}", d.host_failure_threshold);
        let _ = writeln!(out, "lease_secs = {}", d.lease_secs);
        let _ = writeln!(out, "\n[limits]");
        let _ = writeln!(out, "diary_title = {}", l.diary_title);
        let _ = writeln!(out, "diary_body = {}", l.diary_body);
        let _ = writeln!(out, "voice = {}", l.voice);
        let _ = writeln!(out, "comment = {}", l.comment);
        let _ = writeln!(out, "introduction = {}", l.introduction);
        let _ = writeln!(out, "friends = {}", l.friends);
        self.media.describe(&mut out);
        out
    }

    /// Whether outgoing requests may reach loopback and private networks: as set, else only
    /// when the domain is `localhost` or `localhost:PORT` (tests, local development).
    pub fn allows_private_networks(&self) -> bool {
        self.allow_private_networks.unwrap_or_else(|| {
            let domain = &self.instance.domain;
            let host = domain.rsplit_once(':').map_or(domain.as_str(), |(h, _)| h);
            host.eq_ignore_ascii_case("localhost")
        })
    }

    /// Whether the database is an SQLite file (whose directory must exist before connecting).
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The SQLite database file (`None` on PostgreSQL, or for an in-memory database).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn validate_database_url(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") {
        return Ok(());
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return url::Url::parse(url).map(drop).map_err(|e| {
            format!(
                "{:?} is not a valid PostgreSQL URL: {e}",
                redact_database_url(url)
            )
        });
    }
    Err(format!(
        "{:?} is not supported; use sqlite://PATH?mode=rwc or postgres://USER@HOST:PORT/DB",
        redact_database_url(url)
    ))
}

/// The URL with any password replaced by `***`.
pub fn redact_database_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let c = Config::from_sources(&env(&[]), None).unwrap();
        assert_eq!(c.instance.domain, "localhost:8080");
        assert_eq!(c.instance.scheme, Scheme::Http);
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://enishi-data/enishi.db?mode=rwc");
        assert_eq!(c.instance.registration, RegistrationMode::Invite);
        assert_eq!(c.instance.limits, ContentLimits::default());
    }

    #[test]
    fn env_beats_file_and_https_for_real_domains() {
        let toml = "domain = \"social.example\"\nregistration = \"open\"\n[limits]\nvoice = 300\n";
        let c =
            Config::from_sources(&env(&[("ENISHI_REGISTRATION", "closed")]), Some(toml)).unwrap();
        assert_eq!(c.instance.domain, "social.example");
        assert_eq!(c.instance.scheme, Scheme::Https);
        assert_eq!(c.instance.registration, RegistrationMode::Closed);
        assert_eq!(c.instance.limits.voice, 300);
        assert_eq!(c.instance.limits.diary_title, 100);
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (pairs, setting) in [
            (vec![("ENISHI_BIND", "nowhere")], "ENISHI_BIND"),
            (vec![("ENISHI_DOMAIN", "http://x.example")], "ENISHI_DOMAIN"),
            (vec![("ENISHI_SCHEME", "gopher")], "ENISHI_SCHEME"),
            (
                vec![("ENISHI_REGISTRATION", "sometimes")],
                "ENISHI_REGISTRATION",
            ),
            (
                vec![("ENISHI_DATABASE_URL", "mysql://x/y")],
                "ENISHI_DATABASE_URL",
            ),
            (vec![("ENISHI_LIMIT_VOICE", "0")], "ENISHI_LIMIT_VOICE"),
            (vec![("ENISHI_DOMIAN", "x.example")], "ENISHI_DOMIAN"),
            (vec![("ENISHI_TLS_CERT", "Cargo.toml")], "ENISHI_TLS_KEY"),
            (vec![("ENISHI_TLS_KEY", "Cargo.toml")], "ENISHI_TLS_CERT"),
            (
                vec![
                    ("ENISHI_TLS_CERT", "/no/such/cert.pem"),
                    ("ENISHI_TLS_KEY", "Cargo.toml"),
                ],
                "ENISHI_TLS_CERT",
            ),
            (
                vec![("ENISHI_EXTRA_CA_CERTS", "/no/such/ca.pem")],
                "ENISHI_EXTRA_CA_CERTS",
            ),
        ] {
            let e = Config::from_sources(&env(&pairs), None).unwrap_err();
            assert_eq!(e.setting, setting, "{e}");
        }
        let e = Config::from_sources(&env(&[]), Some("colour = \"red\"")).unwrap_err();
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn tls_files_mean_https_and_are_shown() {
        let c = Config::from_sources(
            &env(&[
                ("ENISHI_TLS_CERT", "Cargo.toml"),
                ("ENISHI_TLS_KEY", "Cargo.toml"),
                ("ENISHI_EXTRA_CA_CERTS", "Cargo.toml"),
                ("ENISHI_BLOCKED_DOMAINS", "spam.example"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(c.instance.scheme, Scheme::Https, "even for localhost");
        assert!(c.tls.is_some() && c.extra_ca_certs.is_some());
        let shown = c.describe();
        for part in ["tls_cert", "extra_ca_certs", "spam.example"] {
            assert!(shown.contains(part), "{part}: {shown}");
        }
    }

    #[test]
    fn private_networks_are_allowed_by_default_only_for_localhost() {
        let c = Config::from_sources(&env(&[]), None).unwrap();
        assert!(c.allows_private_networks(), "localhost:8080");
        assert!(c.describe().contains("allow_private_networks = true"));
        let c = Config::from_sources(&env(&[("ENISHI_DOMAIN", "localhost")]), None).unwrap();
        assert!(c.allows_private_networks());
        for domain in [
            "social.example",
            "localhost.example",
            "example.localhost:80",
        ] {
            let c = Config::from_sources(&env(&[("ENISHI_DOMAIN", domain)]), None).unwrap();
            assert!(!c.allows_private_networks(), "{domain}");
            assert!(c.describe().contains("allow_private_networks = false"));
        }
        let c = Config::from_sources(
            &env(&[
                ("ENISHI_DOMAIN", "social.example"),
                ("ENISHI_ALLOW_PRIVATE_NETWORKS", "true"),
            ]),
            None,
        )
        .unwrap();
        assert!(c.allows_private_networks());
        let c = Config::from_sources(&env(&[]), Some("allow_private_networks = false")).unwrap();
        assert!(!c.allows_private_networks(), "set off even for localhost");
        let e = Config::from_sources(&env(&[("ENISHI_ALLOW_PRIVATE_NETWORKS", "maybe")]), None)
            .unwrap_err();
        assert_eq!(e.setting, "ENISHI_ALLOW_PRIVATE_NETWORKS");
    }

    #[test]
    fn redacts_passwords() {
        let c = Config::from_sources(
            &env(&[(
                "ENISHI_DATABASE_URL",
                "postgres://enishi:hunter2@db:5432/enishi",
            )]),
            None,
        )
        .unwrap();
        let shown = c.describe();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("postgres://enishi:***@db:5432/enishi"),
            "{shown}"
        );
    }
}

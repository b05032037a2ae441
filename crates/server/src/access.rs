//! The settings of who may reach what: proxies whose `X-Forwarded-For` is believed, and where
//! `/metrics` is served. Part of [`crate::config::Config`], parsed with it.

use crate::config::ConfigError;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Who is believed about client addresses, and how `/metrics` is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// Proxies in front of Enishi (addresses or CIDR ranges): a request from one of them is
    /// attributed to the address it names in `X-Forwarded-For`; any other request to its
    /// socket's peer. Rate limits key on that address.
    pub trusted_proxies: Vec<IpNet>,
    /// A separate address serving only `/metrics`, without a token (for a scraper on a private
    /// network).
    pub metrics_bind: Option<SocketAddr>,
    /// A bearer token that opens `/metrics` on the main address. Without it (and without
    /// `metrics_bind`) `/metrics` is not served at all.
    pub metrics_token: Option<String>,
    /// Login attempts per client address: how many at once, and how often one more is allowed.
    /// Not a setting: tests shorten or lengthen it.
    pub login_per_address: (u32, std::time::Duration),
    /// Failed logins per account, likewise.
    pub login_failures_per_account: (u32, std::time::Duration),
    /// Sign-ups, password changes, posting, friend requests, reports and inbound activities.
    pub rate_limits: enishi_core::rate::RateSettings,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            trusted_proxies: Vec::new(),
            metrics_bind: None,
            metrics_token: None,
            login_per_address: enishi_web::limits::PER_ADDRESS,
            login_failures_per_account: enishi_web::limits::PER_ACCOUNT,
            rate_limits: enishi_core::rate::RateSettings::default(),
        }
    }
}

/// The TOML keys of [`AccessConfig`] (at the file's top level).
#[derive(Debug, Default)]
pub(crate) struct AccessFile {
    pub(crate) trusted_proxies: Option<Vec<String>>,
    pub(crate) metrics_bind: Option<String>,
    pub(crate) metrics_token: Option<String>,
    pub(crate) rate_limits: Option<String>,
}

/// The environment variables of [`AccessConfig`], with what they set.
pub(crate) const ACCESS_VARS: &[(&str, &str)] = &[
    (
        "ENISHI_TRUSTED_PROXIES",
        "comma-separated addresses or CIDR ranges of the proxies in front (default none)",
    ),
    (
        "ENISHI_METRICS_BIND",
        "a separate listen address serving only /metrics (default none)",
    ),
    (
        "ENISHI_METRICS_TOKEN",
        "bearer token that opens /metrics on the main address (default none: not served)",
    ),
    (
        "ENISHI_RATE_LIMITS",
        "changes to the rate limits, like posting=100/1h,inbound=off (limits: signup, password, posting, friend_requests, reports, inbound)",
    ),
];

fn bad(setting: &str, message: String) -> ConfigError {
    ConfigError {
        setting: setting.to_owned(),
        message,
    }
}

impl AccessConfig {
    /// Reads the settings from the environment (which wins) and the file.
    pub(crate) fn parse(
        env: &BTreeMap<String, String>,
        file: AccessFile,
    ) -> Result<AccessConfig, ConfigError> {
        let proxies: Vec<String> = match env.get("ENISHI_TRUSTED_PROXIES") {
            Some(list) => list.split(',').map(str::to_owned).collect(),
            None => file.trusted_proxies.unwrap_or_default(),
        };
        let mut trusted_proxies = Vec::new();
        for p in proxies.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            let net = p
                .parse::<IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    bad(
                        "ENISHI_TRUSTED_PROXIES",
                        format!("{p:?} is not an IP address or CIDR range"),
                    )
                })?;
            trusted_proxies.push(net);
        }
        let metrics_bind = match env
            .get("ENISHI_METRICS_BIND")
            .cloned()
            .or(file.metrics_bind)
        {
            Some(b) => Some(b.trim().parse::<SocketAddr>().map_err(|_| {
                bad(
                    "ENISHI_METRICS_BIND",
                    format!("{b:?} is not an address like 127.0.0.1:9090"),
                )
            })?),
            None => None,
        };
        let metrics_token = env
            .get("ENISHI_METRICS_TOKEN")
            .cloned()
            .or(file.metrics_token)
            .map(|t| t.trim().to_owned());
        if let Some(t) = &metrics_token
            && t.len() < 16
        {
            return Err(bad(
                "ENISHI_METRICS_TOKEN",
                "must be at least 16 characters".into(),
            ));
        }
        let rate_limits = match env.get("ENISHI_RATE_LIMITS").cloned().or(file.rate_limits) {
            Some(list) => enishi_core::rate::RateSettings::parse(&list)
                .map_err(|e| bad("ENISHI_RATE_LIMITS", e))?,
            None => enishi_core::rate::RateSettings::default(),
        };
        Ok(AccessConfig {
            trusted_proxies,
            metrics_bind,
            metrics_token,
            rate_limits,
            ..AccessConfig::default()
        })
    }

    /// The settings as TOML lines for `enishi config check`, the token redacted.
    pub(crate) fn describe(&self, out: &mut String) {
        use std::fmt::Write as _;
        let proxies: Vec<String> = self.trusted_proxies.iter().map(|p| p.to_string()).collect();
        let _ = writeln!(out, "trusted_proxies = {proxies:?}");
        if let Some(b) = self.metrics_bind {
            let _ = writeln!(out, "metrics_bind = {:?}", b.to_string());
        }
        if self.metrics_token.is_some() {
            let _ = writeln!(out, "metrics_token = \"<redacted>\"");
        }
        let _ = writeln!(out, "rate_limits = {:?}", self.rate_limits.describe());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn proxies_metrics_and_their_errors() {
        let c = AccessConfig::parse(
            &env(&[
                ("ENISHI_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 ,::1"),
                ("ENISHI_METRICS_BIND", "127.0.0.1:9090"),
                ("ENISHI_METRICS_TOKEN", "a-long-enough-token"),
            ]),
            AccessFile::default(),
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert!(
            c.trusted_proxies
                .iter()
                .any(|n| n.contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()))
        );
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9090".parse().unwrap()));
        let mut out = String::new();
        c.describe(&mut out);
        assert!(out.contains("<redacted>") && !out.contains("a-long-enough-token"));
        for (k, v) in [
            ("ENISHI_TRUSTED_PROXIES", "proxy.example"),
            ("ENISHI_METRICS_BIND", "9090"),
            ("ENISHI_METRICS_TOKEN", "short"),
            ("ENISHI_RATE_LIMITS", "posting=lots"),
        ] {
            let e = AccessConfig::parse(&env(&[(k, v)]), AccessFile::default()).unwrap_err();
            assert_eq!(e.setting, k);
        }
        assert_eq!(
            AccessConfig::parse(&env(&[]), AccessFile::default()).unwrap(),
            AccessConfig::default()
        );
    }
}

//! Settings that describe this instance to the rest of the code, and the URLs built from them.

use crate::ValidationError;
use std::fmt;
use std::str::FromStr;
use url::Url;

/// How new members may join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationMode {
    /// Anyone may sign up.
    Open,
    /// Only with an invite code (mixi's way until 2010); the default.
    Invite,
    /// Only the admin creates accounts, from the command line.
    Closed,
}

impl RegistrationMode {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Open => "open",
            RegistrationMode::Invite => "invite",
            RegistrationMode::Closed => "closed",
        }
    }
}

impl fmt::Display for RegistrationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegistrationMode {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(Self::Open),
            "invite" => Ok(Self::Invite),
            "closed" => Ok(Self::Closed),
            other => Err(ValidationError::new(
                "registration",
                format!("unknown registration mode {other:?}; expected open, invite or closed"),
            )),
        }
    }
}

/// The URL scheme under which the instance is reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Production.
    Https,
    /// Local testing only.
    Http,
}

impl Scheme {
    /// `https` or `http`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

impl FromStr for Scheme {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "https" => Ok(Self::Https),
            "http" => Ok(Self::Http),
            other => Err(ValidationError::new(
                "scheme",
                format!("unknown scheme {other:?}; expected https or http"),
            )),
        }
    }
}

/// Content size limits (DESIGN §2); all counts are in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContentLimits {
    /// Longest diary title.
    pub diary_title: usize,
    /// Longest diary body.
    pub diary_body: usize,
    /// Longest voice post.
    pub voice: usize,
    /// Longest comment.
    pub comment: usize,
    /// Longest introduction.
    pub introduction: usize,
    /// Most friends one member may have.
    pub friends: usize,
}

impl Default for ContentLimits {
    fn default() -> Self {
        Self {
            diary_title: 100,
            diary_body: 10_000,
            voice: 150,
            comment: 1_000,
            introduction: 1_000,
            friends: 1_000,
        }
    }
}

impl ContentLimits {
    /// Refuses zero limits, which would make the feature unusable.
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (field, value) in [
            ("limits.diary_title", self.diary_title),
            ("limits.diary_body", self.diary_body),
            ("limits.voice", self.voice),
            ("limits.comment", self.comment),
            ("limits.introduction", self.introduction),
            ("limits.friends", self.friends),
        ] {
            if value == 0 {
                return Err(ValidationError::new(field, "must be greater than 0"));
            }
        }
        Ok(())
    }
}

/// What the instance is, as every layer needs to know it: its public origin and its policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    /// `host[:port]`, part of every object id. Never changes once the instance has members.
    pub domain: String,
    /// Scheme of every id.
    pub scheme: Scheme,
    /// Who may sign up.
    pub registration: RegistrationMode,
    /// Content limits.
    pub limits: ContentLimits,
    /// Display name of the instance (NodeInfo, page titles).
    pub name: String,
}

impl InstanceSettings {
    /// Validates a `host[:port]` domain: lower-case DNS name (or `localhost`), optional port,
    /// no scheme, path, user info or IP literal (the federation crate refuses IP literals).
    pub fn validate_domain(domain: &str) -> Result<(), ValidationError> {
        let err = |m: &str| ValidationError::new("domain", format!("{domain:?}: {m}"));
        if domain.is_empty() {
            return Err(err("must not be empty"));
        }
        if domain.contains("://") || domain.contains('/') || domain.contains('@') {
            return Err(err(
                "give only host[:port], without scheme, path or user (e.g. social.example or localhost:8080)",
            ));
        }
        let (host, port) = match domain.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (domain, None),
        };
        if let Some(p) = port
            && p.parse::<u16>().ok().filter(|p| *p != 0).is_none()
        {
            return Err(err("port must be a number from 1 to 65535"));
        }
        if host.parse::<std::net::Ipv4Addr>().is_ok() || host.starts_with('[') {
            return Err(err(
                "IP addresses cannot be used as a domain; use a host name such as localhost",
            ));
        }
        let valid_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if host.len() > 253 || !host.split('.').all(valid_label) {
            return Err(err(
                "host must be a lower-case DNS name (letters, digits, '-' and '.')",
            ));
        }
        Ok(())
    }

    /// Whether the host part is `localhost` (http is then allowed and is the default).
    pub fn is_localhost(domain: &str) -> bool {
        let host = domain.rsplit_once(':').map_or(domain, |(h, _)| h);
        host == "localhost" || host.ends_with(".localhost")
    }

    /// `scheme://domain`, without a trailing slash.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme.as_str(), self.domain)
    }

    /// An absolute URL on this instance for `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("{}{}", self.origin(), path))
            .expect("origin is validated at start-up and paths are built by us")
    }

    /// The id of a local member's actor.
    pub fn actor_url(&self, username: &str) -> Url {
        self.url(&format!("/users/{username}"))
    }

    /// The id of the instance actor.
    pub fn instance_actor_url(&self) -> Url {
        self.url("/actor")
    }

    /// Whether `url` is on this instance (same scheme, host and port).
    pub fn is_local_url(&self, url: &Url) -> bool {
        url.origin() == self.url("/").origin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(domain: &str) -> InstanceSettings {
        InstanceSettings {
            domain: domain.into(),
            scheme: Scheme::Http,
            registration: RegistrationMode::Invite,
            limits: ContentLimits::default(),
            name: "test".into(),
        }
    }

    #[test]
    fn domains() {
        for ok in [
            "localhost:8080",
            "social.example",
            "a-b.example.org:443",
            "localhost",
        ] {
            InstanceSettings::validate_domain(ok).unwrap();
        }
        for bad in [
            "",
            "http://x.example",
            "x.example/path",
            "127.0.0.1:8080",
            "[::1]:80",
            "Example.COM",
            "x.example:0",
            "x.example:99999",
            "-a.example",
            "a..example",
        ] {
            assert!(InstanceSettings::validate_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls() {
        let s = settings("localhost:8080");
        assert_eq!(
            s.actor_url("alice").as_str(),
            "http://localhost:8080/users/alice"
        );
        assert!(s.is_local_url(&"http://localhost:8080/x".parse().unwrap()));
        assert!(!s.is_local_url(&"http://localhost:8081/x".parse().unwrap()));
        assert!(!s.is_local_url(&"https://localhost:8080/x".parse().unwrap()));
        assert!(InstanceSettings::is_localhost("localhost:1"));
        assert!(!InstanceSettings::is_localhost("social.example"));
    }

    #[test]
    fn parses_modes() {
        assert_eq!(
            "Open".parse::<RegistrationMode>().unwrap(),
            RegistrationMode::Open
        );
        assert!("maybe".parse::<RegistrationMode>().is_err());
        assert!(
            ContentLimits {
                voice: 0,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }
}

//! Server blocks (issue 17): which other servers this instance refuses (`reject`) or holds at a
//! distance (`limit`), and the rule that says whether a host is covered by a block. The list
//! lives in the database and is shared by every process through [`LiveBlocks`].

use crate::ValidationError;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

/// How hard a server is blocked, in the words operators know from Mastodon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Its accounts can only reach members who are already their friends; their friend
    /// requests wait in a list of their own (Mastodon's "silence", later "limit").
    Limit,
    /// Nothing in, nothing out, its content hidden here and friendships with its accounts
    /// ended (Mastodon's "suspend").
    Reject,
}

impl Severity {
    /// Storage and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Limit => "limit",
            Severity::Reject => "reject",
        }
    }

    /// The name Mastodon's domain block CSV uses.
    pub fn mastodon_name(self) -> &'static str {
        match self {
            Severity::Limit => "silence",
            Severity::Reject => "suspend",
        }
    }
}

impl FromStr for Severity {
    type Err = ValidationError;

    /// Accepts Enishi's names and Mastodon's (`suspend`, `silence`, `limit`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reject" | "suspend" => Ok(Severity::Reject),
            "limit" | "silence" => Ok(Severity::Limit),
            other => Err(ValidationError::new(
                "severity",
                format!("{other:?} is not a severity: use reject or limit"),
            )),
        }
    }
}

/// Checks and normalises a domain to block: a host name (or address) with an optional port,
/// lower-case, without a scheme, path or trailing dot. A block covers the host's subdomains.
pub fn normalize_domain(input: &str) -> Result<String, ValidationError> {
    let bad = |why: &str| ValidationError::new("domain", format!("{input:?}: {why}"));
    let d = input.trim().trim_end_matches('.').to_ascii_lowercase();
    if d.is_empty() {
        return Err(bad("a domain is needed"));
    }
    if d.contains("://") || d.contains('/') || d.contains('@') || d.contains(char::is_whitespace) {
        return Err(bad("give the server's domain only, such as example.social"));
    }
    let url = url::Url::parse(&format!("https://{d}/")).map_err(|_| bad("not a domain"))?;
    let host = url.host_str().ok_or_else(|| bad("not a domain"))?;
    if !host.contains('.') && !host.contains(':') && host != "localhost" {
        return Err(bad("a domain has at least one dot"));
    }
    Ok(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    })
}

/// The blocks in force: each a normalised domain and its severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainBlocks {
    entries: Vec<(String, Severity)>,
    /// Single accounts suspended (`Reject`) or limited, by actor id without its fragment.
    accounts: std::collections::BTreeMap<String, Severity>,
}

impl DomainBlocks {
    /// The blocks `entries` make.
    pub fn new(entries: impl IntoIterator<Item = (String, Severity)>) -> Self {
        DomainBlocks {
            entries: entries.into_iter().collect(),
            accounts: Default::default(),
        }
    }

    /// These blocks and single accounts suspended or limited (actor ids and severities).
    pub fn with_accounts(mut self, accounts: impl IntoIterator<Item = (String, Severity)>) -> Self {
        self.accounts = accounts
            .into_iter()
            .map(|(id, s)| (id.split('#').next().unwrap_or(&id).to_owned(), s))
            .collect();
        self
    }

    /// How hard the account `actor` (an actor id) is held back: by a block of its server or
    /// of the account itself, whichever is harder.
    pub fn account_severity(&self, actor: &url::Url) -> Option<Severity> {
        let mut id = actor.clone();
        id.set_fragment(None);
        let own = self.accounts.get(id.as_str()).copied();
        let server = actor.host_str().and_then(|h| {
            let authority = match actor.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            };
            self.severity_of(&authority)
        });
        own.max(server)
    }

    /// Every server blocked with `reject` (a start-up setting's list).
    pub fn rejecting(domains: &[String]) -> Self {
        Self::new(domains.iter().map(|d| (d.clone(), Severity::Reject)))
    }

    /// Whether no server or account is blocked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.accounts.is_empty()
    }

    /// The hardest block covering `authority` (`host` or `host:port`): a block of exactly that
    /// authority, of its host (any port), or of a parent domain.
    pub fn severity_of(&self, authority: &str) -> Option<Severity> {
        let authority = authority.to_ascii_lowercase();
        let host = match authority.rsplit_once(':') {
            // An IPv6 address without a port has colons but ends in `]`.
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => authority.as_str(),
        };
        self.entries
            .iter()
            .filter(|(b, _)| {
                *b == authority
                    || *b == host
                    || (!b.contains(':')
                        && host.len() > b.len()
                        && host.ends_with(b.as_str())
                        && host.as_bytes()[host.len() - b.len() - 1] == b'.')
            })
            .map(|(_, s)| *s)
            .max()
    }

    /// Whether `authority` is refused outright.
    pub fn rejects(&self, authority: &str) -> bool {
        self.severity_of(authority) == Some(Severity::Reject)
    }

    /// Whether `url` is refused outright: its server is, or it is (or is the key of) a
    /// suspended account.
    pub fn rejects_url(&self, url: &url::Url) -> bool {
        let mut id = url.clone();
        id.set_fragment(None);
        if self.accounts.get(id.as_str()) == Some(&Severity::Reject) {
            return true;
        }
        url.host_str().is_some_and(|h| {
            let authority = match url.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            };
            self.rejects(&authority)
        })
    }
}

/// The blocks as every part of a process sees them, replaced whole when the database's list
/// changes (a refresher polls it), so that a block made by one process takes effect in all.
#[derive(Debug, Clone, Default)]
pub struct LiveBlocks(Arc<RwLock<Arc<DomainBlocks>>>);

impl LiveBlocks {
    /// A list that starts as `blocks`.
    pub fn new(blocks: DomainBlocks) -> Self {
        LiveBlocks(Arc::new(RwLock::new(Arc::new(blocks))))
    }

    /// The blocks in force now.
    pub fn current(&self) -> Arc<DomainBlocks> {
        self.0.read().map(|b| b.clone()).unwrap_or_default()
    }

    /// Puts `blocks` in force.
    pub fn replace(&self, blocks: DomainBlocks) {
        if let Ok(mut b) = self.0.write() {
            *b = Arc::new(blocks);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_subdomains_and_ports() {
        let b = DomainBlocks::new([
            ("bad.example".to_owned(), Severity::Reject),
            ("loud.example".to_owned(), Severity::Limit),
            ("localhost:4000".to_owned(), Severity::Reject),
        ]);
        assert_eq!(b.severity_of("bad.example"), Some(Severity::Reject));
        assert_eq!(b.severity_of("BAD.example:443"), Some(Severity::Reject));
        assert_eq!(b.severity_of("a.b.bad.example"), Some(Severity::Reject));
        assert_eq!(b.severity_of("notbad.example"), None);
        assert_eq!(b.severity_of("loud.example"), Some(Severity::Limit));
        assert_eq!(b.severity_of("localhost:4000"), Some(Severity::Reject));
        assert_eq!(b.severity_of("localhost:4001"), None);
        assert_eq!(b.severity_of("localhost"), None);
        assert!(b.rejects_url(&"http://localhost:4000/inbox".parse().unwrap()));
        assert!(!b.rejects_url(&"https://loud.example/inbox".parse().unwrap()));
        let both = DomainBlocks::new([
            ("example".to_owned(), Severity::Limit),
            ("x.example".to_owned(), Severity::Reject),
        ]);
        assert_eq!(both.severity_of("a.x.example"), Some(Severity::Reject));
    }

    #[test]
    fn domains_are_normalised_or_refused() {
        assert_eq!(normalize_domain(" Bad.Example. ").unwrap(), "bad.example");
        assert_eq!(
            normalize_domain("localhost:4000").unwrap(),
            "localhost:4000"
        );
        assert_eq!(
            normalize_domain("127.0.0.1:8080").unwrap(),
            "127.0.0.1:8080"
        );
        for bad in [
            "",
            "https://bad.example",
            "bad.example/path",
            "user@bad.example",
            "bad example",
            "nodot",
        ] {
            let e = normalize_domain(bad).unwrap_err();
            assert_eq!(e.field, "domain", "{bad}");
        }
        assert_eq!("suspend".parse::<Severity>().unwrap(), Severity::Reject);
        assert_eq!("silence".parse::<Severity>().unwrap(), Severity::Limit);
        assert!("noop".parse::<Severity>().is_err());
    }

    #[test]
    fn single_accounts_are_held_back_alone() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let b = DomainBlocks::new([("loud.example".to_owned(), Severity::Limit)]).with_accounts([
            (
                "https://ok.example/users/troll".to_owned(),
                Severity::Reject,
            ),
            ("https://ok.example/users/noisy".to_owned(), Severity::Limit),
            ("https://loud.example/users/x".to_owned(), Severity::Reject),
        ]);
        assert!(b.rejects_url(&u("https://ok.example/users/troll#main-key")));
        assert!(!b.rejects_url(&u("https://ok.example/users/friend")));
        assert_eq!(
            b.account_severity(&u("https://ok.example/users/noisy")),
            Some(Severity::Limit)
        );
        assert_eq!(
            b.account_severity(&u("https://ok.example/users/friend")),
            None
        );
        assert_eq!(
            b.account_severity(&u("https://loud.example/users/y")),
            Some(Severity::Limit),
            "the server's block"
        );
        assert_eq!(
            b.account_severity(&u("https://loud.example/users/x")),
            Some(Severity::Reject),
            "the harder of the two"
        );
    }
}

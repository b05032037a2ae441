//! OAuth scopes of Mastodon apps (issue 18), as Mastodon defines them: `read`, `write`,
//! `follow`, `push`, `profile` and their sub-scopes (`read:statuses`, `write:favourites`, …).
//!
//! A token holds a set of scopes; an operation asks for one. `read` covers every `read:*`,
//! `write` every `write:*`, and the legacy `follow` covers the relationship scopes
//! (`read:follows`, `write:follows`, blocks and mutes), as in Mastodon.

use std::fmt;

/// The scopes an app may ask for. Anything else in a request is refused as `invalid_scope`.
pub const KNOWN: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
];

/// What the legacy `follow` scope grants.
const FOLLOW_FAMILY: &[&str] = &[
    "read:blocks",
    "read:follows",
    "read:mutes",
    "write:blocks",
    "write:follows",
    "write:mutes",
];

/// A set of granted scopes, or all of them (Enishi's own tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scopes {
    /// Everything the member may do: a token from `POST /api/v1/sessions` or the CLI.
    All,
    /// The scopes an app was granted, each one of [`KNOWN`], without repeats, in order.
    Granted(Vec<String>),
}

/// A scope that Mastodon does not define, named.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown scope {:?}", self.0)
    }
}

impl std::error::Error for UnknownScope {}

impl Scopes {
    /// Parses a space-separated list (`+` separates too, as some apps send it unencoded). An
    /// empty list is `read`, Mastodon's default.
    pub fn parse(text: &str) -> Result<Scopes, UnknownScope> {
        let mut out: Vec<String> = Vec::new();
        for s in text.split([' ', '+']).filter(|s| !s.is_empty()) {
            if !KNOWN.contains(&s) {
                return Err(UnknownScope(s.to_owned()));
            }
            if !out.iter().any(|o| o == s) {
                out.push(s.to_owned());
            }
        }
        if out.is_empty() {
            out.push("read".to_owned());
        }
        Ok(Scopes::Granted(out))
    }

    /// Whether `required` (one of [`KNOWN`]) is granted.
    pub fn allows(&self, required: &str) -> bool {
        let Scopes::Granted(list) = self else {
            return true;
        };
        let parent = required.split(':').next().unwrap_or(required);
        list.iter().any(|s| {
            s == required
                || s == parent
                || (s == "follow" && FOLLOW_FAMILY.contains(&required))
                // `profile` reads no more than the caller's own account.
                || (s == "read:accounts" && required == "profile")
                || (s == "read" && required == "profile")
        })
    }

    /// Whether every scope of `other` is granted here (a token may not exceed its app).
    pub fn covers(&self, other: &Scopes) -> bool {
        match other {
            Scopes::All => *self == Scopes::All,
            Scopes::Granted(list) => list.iter().all(|s| self.allows(s)),
        }
    }

    /// The space-separated form, as stored and as `/oauth/token` echoes it.
    pub fn to_text(&self) -> String {
        match self {
            Scopes::All => "read write follow push".to_owned(),
            Scopes::Granted(list) => list.join(" "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_cover_their_sub_scopes() {
        let s = Scopes::parse("read write:favourites").unwrap();
        assert!(s.allows("read:statuses"));
        assert!(s.allows("write:favourites"));
        assert!(!s.allows("write:statuses"));
        assert!(!s.allows("write"));
        assert!(s.allows("profile"));
    }

    #[test]
    fn follow_grants_relationships_only() {
        let s = Scopes::parse("follow").unwrap();
        assert!(s.allows("write:follows"));
        assert!(s.allows("read:blocks"));
        assert!(!s.allows("write:statuses"));
        assert!(!s.allows("read:statuses"));
    }

    #[test]
    fn parsing_refuses_strangers_and_defaults_to_read() {
        assert_eq!(
            Scopes::parse("read admin:write"),
            Err(UnknownScope("admin:write".into()))
        );
        assert_eq!(Scopes::parse(""), Ok(Scopes::Granted(vec!["read".into()])));
        assert_eq!(
            Scopes::parse("read+write read").unwrap().to_text(),
            "read write"
        );
    }

    #[test]
    fn a_token_stays_within_its_app() {
        let app = Scopes::parse("read write").unwrap();
        assert!(app.covers(&Scopes::parse("read:statuses write").unwrap()));
        assert!(!app.covers(&Scopes::parse("follow").unwrap()));
        assert!(!app.covers(&Scopes::All));
        assert!(Scopes::All.covers(&app));
    }
}

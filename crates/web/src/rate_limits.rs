//! Rate limits on what members do (issue 17): sign-ups per client address; password changes,
//! posting, friend requests and reports per member. Each refusal is 429 with `Retry-After`
//! and is counted in `/metrics` (`enishi_rate_limited_total{limit=…}`). Inbound activities per
//! remote host are limited by the inbox (`enishi_apub::inbox`), with the same rates type.

use crate::AppError;
use enishi_core::ActorId;
use enishi_core::rate::{KeyedLimit, RateSettings};
use std::fmt::Write as _;
use std::net::IpAddr;

/// The per-action limits of one process.
#[derive(Debug)]
pub struct ActionLimits {
    /// Sign-ups per client address.
    pub signup: KeyedLimit<IpAddr>,
    /// Password changes per member (actor id).
    pub password: KeyedLimit<ActorId>,
    /// Diaries, voice posts, comments and introductions per member.
    pub posting: KeyedLimit<ActorId>,
    /// Friend requests per member.
    pub friend_requests: KeyedLimit<ActorId>,
    /// Reports per member.
    pub reports: KeyedLimit<ActorId>,
    /// Searches per member.
    pub search: KeyedLimit<ActorId>,
    /// Mastodon app registrations per client address.
    pub apps: KeyedLimit<IpAddr>,
}

impl Default for ActionLimits {
    fn default() -> Self {
        ActionLimits::new(&RateSettings::default())
    }
}

impl ActionLimits {
    /// The limits of `settings`.
    pub fn new(settings: &RateSettings) -> Self {
        ActionLimits {
            signup: KeyedLimit::new(settings.signup),
            password: KeyedLimit::new(settings.password),
            posting: KeyedLimit::new(settings.posting),
            friend_requests: KeyedLimit::new(settings.friend_requests),
            reports: KeyedLimit::new(settings.reports),
            search: KeyedLimit::new(settings.search),
            apps: KeyedLimit::new(settings.apps),
        }
    }

    /// The refusal counters as Prometheus sample lines (the `# TYPE` line is the login
    /// limits').
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, n) in [
            ("signup", self.signup.refused()),
            ("password", self.password.refused()),
            ("posting", self.posting.refused()),
            ("friend_requests", self.friend_requests.refused()),
            ("reports", self.reports.refused()),
            ("search", self.search.refused()),
            ("apps", self.apps.refused()),
        ] {
            let _ = writeln!(out, "enishi_rate_limited_total{{limit=\"{name}\"}} {n}");
        }
        out
    }
}

/// Spends one of `key`'s allowance of `limit`; 429 naming `what` when it is used up.
pub fn admit<K: std::hash::Hash + Eq + Clone>(
    limit: &KeyedLimit<K>,
    key: &K,
    what: &str,
) -> Result<(), AppError> {
    limit.admit(key).map_err(|wait| {
        let mut e = AppError::too_many_requests(wait);
        let secs = e.retry_after.unwrap_or(1);
        e.message = format!("too many {what} for now; try again in {secs} s");
        e
    })
}

//! Rate limits on what members and other servers do (issue 17): sign-ups, password changes,
//! posting, friend requests, reports, and inbound activities per remote host.
//!
//! A [`Rate`] is "N per period": N may be spent at once, and one more comes back every
//! period / N. Each limit is kept per key (a client address, a member, a host) in memory by
//! one process; with several web processes each enforces its own share.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::fmt;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Entries kept before stale ones are swept.
const SWEEP_AT: usize = 10_000;

/// N actions per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many at once (and per period).
    pub count: u32,
    /// Over how long.
    pub per: Duration,
}

impl Rate {
    /// `count` per `per`.
    pub const fn new(count: u32, per: Duration) -> Rate {
        Rate { count, per }
    }

    /// Reads `300/3h`, `5/30m`, `100/1s`, `20/1d` (units s, m, h, d).
    pub fn parse(text: &str) -> Result<Rate, String> {
        let (count, per) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not a rate like 300/3h"))?;
        let count: u32 = count
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{count:?} is not a positive whole number"))?;
        let per = per.trim();
        let split = per.len().saturating_sub(1);
        let (amount, unit) = per.split_at(split);
        let amount: u64 = if amount.is_empty() {
            1
        } else {
            amount
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{per:?} is not a period like 30m"))?
        };
        let unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(format!("{per:?}: the period ends in s, m, h or d")),
        };
        Ok(Rate::new(count, Duration::from_secs(amount * unit)))
    }

    fn quota(self) -> Quota {
        let count = NonZeroU32::new(self.count.max(1)).expect("positive");
        let each = (self.per / count.get()).max(Duration::from_nanos(1));
        Quota::with_period(each)
            .expect("a positive period")
            .allow_burst(count)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.per.as_secs();
        let (n, unit) = if s.is_multiple_of(86_400) && s > 0 {
            (s / 86_400, "d")
        } else if s.is_multiple_of(3600) && s > 0 {
            (s / 3600, "h")
        } else if s.is_multiple_of(60) && s > 0 {
            (s / 60, "m")
        } else {
            (s, "s")
        };
        write!(f, "{}/{n}{unit}", self.count)
    }
}

/// One limit kept per key, or none at all (`off`), counting what it refused.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    rate: Option<Rate>,
    refused: AtomicU64,
}

impl<K: Hash + Eq + Clone> fmt::Debug for KeyedLimit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimit")
            .field("rate", &self.rate)
            .field("refused", &self.refused())
            .finish()
    }
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// A limit of `rate` per key; `None` limits nothing.
    pub fn new(rate: Option<Rate>) -> Self {
        KeyedLimit {
            limiter: rate.map(|r| RateLimiter::keyed(r.quota())),
            rate,
            refused: AtomicU64::new(0),
        }
    }

    /// The rate in force.
    pub fn rate(&self) -> Option<Rate> {
        self.rate
    }

    /// Spends one action of `key`'s allowance; when it is used up, how long until one more
    /// is allowed.
    pub fn admit(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > SWEEP_AT {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            self.refused.fetch_add(1, Ordering::Relaxed);
            not_until.wait_time_from(DefaultClock::default().now())
        })
    }

    /// How many actions this limit has refused.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// The limits an instance enforces; `None` turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSettings {
    /// Sign-ups per client address.
    pub signup: Option<Rate>,
    /// Password changes per member.
    pub password: Option<Rate>,
    /// Diaries, voice posts, comments and introductions per member.
    pub posting: Option<Rate>,
    /// Friend requests per member.
    pub friend_requests: Option<Rate>,
    /// Reports per member.
    pub reports: Option<Rate>,
    /// Inbound activities per remote host (after their signature is verified).
    pub inbound: Option<Rate>,
    /// Searches per member (a search may fetch accounts and posts from other servers).
    pub search: Option<Rate>,
    /// Registrations of Mastodon apps per client address.
    pub apps: Option<Rate>,
}

impl Default for RateSettings {
    /// Mastodon's figures where it has one (5 sign-ups per address in 30 minutes, 300 posts
    /// in 3 hours); the rest generous enough that no person acting by hand meets them.
    fn default() -> Self {
        let h = |n: u64| Duration::from_secs(n * 3600);
        RateSettings {
            signup: Some(Rate::new(5, Duration::from_secs(1800))),
            password: Some(Rate::new(10, h(1))),
            posting: Some(Rate::new(300, h(3))),
            friend_requests: Some(Rate::new(100, h(24))),
            reports: Some(Rate::new(30, h(1))),
            inbound: Some(Rate::new(6000, Duration::from_secs(60))),
            search: Some(Rate::new(100, Duration::from_secs(300))),
            apps: Some(Rate::new(30, h(1))),
        }
    }
}

impl RateSettings {
    /// The names of the limits, as `ENISHI_RATE_LIMITS` and `/metrics` spell them.
    pub const NAMES: [&'static str; 8] = [
        "signup",
        "password",
        "posting",
        "friend_requests",
        "reports",
        "inbound",
        "search",
        "apps",
    ];

    /// None at all (for benchmarks that measure something else).
    pub const OFF: RateSettings = RateSettings {
        signup: None,
        password: None,
        posting: None,
        friend_requests: None,
        reports: None,
        inbound: None,
        search: None,
        apps: None,
    };

    fn slot(&mut self, name: &str) -> Option<&mut Option<Rate>> {
        Some(match name {
            "signup" => &mut self.signup,
            "password" => &mut self.password,
            "posting" => &mut self.posting,
            "friend_requests" => &mut self.friend_requests,
            "reports" => &mut self.reports,
            "inbound" => &mut self.inbound,
            "search" => &mut self.search,
            "apps" => &mut self.apps,
            _ => return None,
        })
    }

    /// The defaults changed by a list like `posting=100/1h, inbound=off`.
    pub fn parse(list: &str) -> Result<RateSettings, String> {
        let mut out = RateSettings::default();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?} is not NAME=RATE (like posting=300/3h)"))?;
            let name = name.trim();
            let slot = out.slot(name).ok_or_else(|| {
                format!(
                    "{name:?} is not a limit (one of {})",
                    RateSettings::NAMES.join(", ")
                )
            })?;
            *slot = match value.trim() {
                "off" => None,
                v => Some(Rate::parse(v).map_err(|e| format!("{name}: {e}"))?),
            };
        }
        Ok(out)
    }

    /// Every limit as `name=rate` (or `name=off`), in [`RateSettings::NAMES`]' order.
    pub fn describe(&self) -> String {
        let mut me = *self;
        RateSettings::NAMES
            .iter()
            .map(|n| {
                let rate = *me.slot(n).expect("a known name");
                match rate {
                    Some(r) => format!("{n}={r}"),
                    None => format!("{n}=off"),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_and_print() {
        assert_eq!(
            Rate::parse("300/3h").unwrap(),
            Rate::new(300, Duration::from_secs(3 * 3600))
        );
        assert_eq!(
            Rate::parse(" 5 / 30m ").unwrap(),
            Rate::new(5, Duration::from_secs(1800))
        );
        assert_eq!(
            Rate::parse("20/d").unwrap(),
            Rate::new(20, Duration::from_secs(86_400))
        );
        for bad in ["300", "0/1h", "x/1h", "5/1w", "5/0s", "5/"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
        for text in ["300/3h", "5/30m", "20/1d", "100/1s", "7/90s"] {
            assert_eq!(Rate::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn settings_change_the_defaults_by_name() {
        let s = RateSettings::parse("posting=10/1m, inbound=off").unwrap();
        assert_eq!(s.posting, Some(Rate::new(10, Duration::from_secs(60))));
        assert_eq!(s.inbound, None);
        assert_eq!(s.signup, RateSettings::default().signup);
        assert_eq!(RateSettings::parse(&s.describe()).unwrap(), s);
        assert!(
            RateSettings::parse("posts=1/1h")
                .unwrap_err()
                .contains("posting")
        );
        assert!(RateSettings::parse("posting").is_err());
        assert!(
            RateSettings::parse("posting=fast")
                .unwrap_err()
                .starts_with("posting")
        );
    }

    #[test]
    fn a_limit_spends_its_allowance_then_refuses_each_key_alone() {
        let l = KeyedLimit::new(Some(Rate::new(3, Duration::from_secs(60))));
        for _ in 0..3 {
            assert!(l.admit(&"a").is_ok());
        }
        let wait = l.admit(&"a").unwrap_err();
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20));
        assert!(l.admit(&"b").is_ok(), "another key has its own allowance");
        assert_eq!(l.refused(), 1);
        let off = KeyedLimit::new(None);
        for _ in 0..1000 {
            assert!(off.admit(&"a").is_ok());
        }
    }
}

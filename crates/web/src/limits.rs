//! Login rate limits (DESIGN §8) and the client address they key on.
//!
//! Two limits guard `POST /api/v1/sessions`: every attempt counts against the client's address,
//! and every *failed* attempt against the account. While either is exhausted the answer is 429
//! with `Retry-After`, whatever the password (a guess that happens to be right is refused too,
//! so limiting cannot be used as an oracle). An account is never locked for long: its lock
//! lasts until the next failure would be allowed again, a few seconds after the last one.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Attempts one address may make at once, and how often one more is allowed.
pub const PER_ADDRESS: (u32, Duration) = (10, Duration::from_secs(6));
/// Failed attempts one account may take at once, and how often one more is allowed.
pub const PER_ACCOUNT: (u32, Duration) = (10, Duration::from_secs(10));
/// Entries kept before stale ones are swept.
const SWEEP_AT: usize = 10_000;

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Too many attempts from this address.
    Address(Duration),
    /// Too many failed attempts for this account.
    Account(Duration),
}

impl Limited {
    /// How long until another attempt is allowed.
    pub fn wait(self) -> Duration {
        match self {
            Limited::Address(d) | Limited::Account(d) => d,
        }
    }
}

/// The login limits of one process, and counts of what they refused (for `/metrics`).
pub struct LoginLimits {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_account: DefaultKeyedRateLimiter<String>,
    locked: Mutex<HashMap<String, Instant>>,
    refused_address: AtomicU64,
    refused_account: AtomicU64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits::new(PER_ADDRESS, PER_ACCOUNT)
    }
}

fn quota((burst, every): (u32, Duration)) -> Quota {
    Quota::with_period(every)
        .expect("a positive period")
        .allow_burst(NonZeroU32::new(burst.max(1)).expect("positive"))
}

impl LoginLimits {
    /// Limits of `(burst, one more every)` per address and per account.
    pub fn new(address: (u32, Duration), account: (u32, Duration)) -> Self {
        LoginLimits {
            by_address: RateLimiter::keyed(quota(address)),
            by_account: RateLimiter::keyed(quota(account)),
            locked: Mutex::new(HashMap::new()),
            refused_address: AtomicU64::new(0),
            refused_account: AtomicU64::new(0),
        }
    }

    fn account_key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Counts an attempt from `address` for `username`; refuses it when either limit is
    /// exhausted.
    pub fn admit(&self, address: IpAddr, username: &str) -> Result<(), Limited> {
        if self.by_address.len() > SWEEP_AT {
            self.by_address.retain_recent();
        }
        if let Err(not_until) = self.by_address.check_key(&address) {
            self.refused_address.fetch_add(1, Ordering::Relaxed);
            return Err(Limited::Address(
                not_until.wait_time_from(DefaultClock::default().now()),
            ));
        }
        let key = Self::account_key(username);
        let mut locked = self.locked.lock().expect("not poisoned");
        let now = Instant::now();
        match locked.get(&key) {
            Some(until) if *until > now => {
                self.refused_account.fetch_add(1, Ordering::Relaxed);
                Err(Limited::Account(*until - now))
            }
            Some(_) => {
                locked.remove(&key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed attempt for `username`; once the account's allowance is used up, it is
    /// locked until one more attempt is allowed.
    pub fn failed(&self, username: &str) {
        if self.by_account.len() > SWEEP_AT {
            self.by_account.retain_recent();
        }
        let key = Self::account_key(username);
        if let Err(not_until) = self.by_account.check_key(&key) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let mut locked = self.locked.lock().expect("not poisoned");
            if locked.len() > SWEEP_AT {
                let now = Instant::now();
                locked.retain(|_, until| *until > now);
            }
            locked.insert(key, Instant::now() + wait);
        }
    }

    /// The counters in Prometheus text format.
    pub fn render(&self) -> String {
        format!(
            "# HELP enishi_rate_limited_total Requests refused by a rate limit.\n\
             # TYPE enishi_rate_limited_total counter\n\
             enishi_rate_limited_total{{limit=\"login_address\"}} {}\n\
             enishi_rate_limited_total{{limit=\"login_account\"}} {}\n",
            self.refused_address.load(Ordering::Relaxed),
            self.refused_account.load(Ordering::Relaxed),
        )
    }
}

/// The address of the client a request comes from: the socket's peer, or — when that peer is
/// a trusted proxy — the nearest address in `X-Forwarded-For` that is not a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Works out [`ClientAddr`] from the peer and the `X-Forwarded-For` values of a request.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |a: &IpAddr| trusted.iter().any(|n| n.contains(a));
    if !is_trusted(&peer) {
        return peer;
    }
    // Each proxy appends the address it heard from; read from the nearest one backwards.
    let hops: Vec<IpAddr> = forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse::<IpAddr>().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|a| !is_trusted(a))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

impl FromRequestParts<crate::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientAddr(client_address(
            peer,
            &forwarded,
            &state.access.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_says_otherwise() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_address(ip("203.0.113.9"), &["198.51.100.1"], &trusted),
            ip("203.0.113.9"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &["198.51.100.1, 10.0.0.3"], &trusted),
            ip("198.51.100.1"),
            "the nearest untrusted hop"
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &["6.6.6.6, 198.51.100.1"], &trusted),
            ip("198.51.100.1"),
            "a spoofed leftmost entry is not believed"
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &[], &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn failures_lock_an_account_briefly_and_addresses_are_counted() {
        let l = LoginLimits::new(
            (3, Duration::from_secs(60)),
            (2, Duration::from_millis(200)),
        );
        let a = ip("192.0.2.1");
        for _ in 0..2 {
            assert!(l.admit(a, "Alice").is_ok());
            l.failed("alice");
        }
        assert!(l.admit(a, "alice").is_ok(), "two failures allowed");
        l.failed("ALICE");
        assert!(matches!(
            l.admit(ip("192.0.2.2"), "alice"),
            Err(Limited::Account(_))
        ));
        std::thread::sleep(Duration::from_millis(250));
        assert!(
            l.admit(ip("192.0.2.3"), "alice").is_ok(),
            "the lock is short"
        );
        assert!(matches!(l.admit(a, "bob"), Err(Limited::Address(_))));
        assert!(l.render().contains("login_address\"} 1"));
    }
}

//! Hosts that this process saw well a moment ago, so that a flood of activities from one
//! server does not write "the host is well" once per activity.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a host seen well is taken to be well without asking the database again. A rest
/// that began in another process within this window ends at the sender's next activity after
/// it; one begun in this process ends at the next activity (see [`HostsWell::forget`]).
pub const FRESH_FOR: Duration = Duration::from_secs(10);

/// Beyond this many hosts, those not seen within [`FRESH_FOR`] are dropped (and all of them if
/// that is not enough): a cache, never a list that grows with the fediverse.
const MAX_HOSTS: usize = 4096;

/// Hosts recorded well (their delivery rest ended) within [`FRESH_FOR`], shared by the
/// handles of one process.
#[derive(Debug, Default)]
pub struct HostsWell {
    seen: Mutex<HashMap<String, Instant>>,
}

impl HostsWell {
    /// Whether `host` was recorded well within [`FRESH_FOR`].
    pub fn fresh(&self, host: &str) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(host).is_some_and(|t| t.elapsed() < FRESH_FOR)
    }

    /// Notes that `host` was just recorded well.
    pub fn mark(&self, host: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_HOSTS && !seen.contains_key(host) {
            seen.retain(|_, t| t.elapsed() < FRESH_FOR);
            if seen.len() >= MAX_HOSTS {
                seen.clear();
            }
        }
        seen.insert(host.to_owned(), Instant::now());
    }

    /// Forgets `host` (a delivery to it just failed): the next activity from it is recorded.
    pub fn forget(&self, host: &str) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_fresh_after_mark_and_not_after_forget() {
        let hosts = HostsWell::default();
        assert!(!hosts.fresh("a.example"));
        hosts.mark("a.example");
        assert!(hosts.fresh("a.example"));
        assert!(!hosts.fresh("b.example"));
        hosts.forget("a.example");
        assert!(!hosts.fresh("a.example"));
    }

    #[test]
    fn the_cache_stays_bounded() {
        let hosts = HostsWell::default();
        for i in 0..(MAX_HOSTS * 3) {
            hosts.mark(&format!("h{i}.example"));
        }
        assert!(hosts.seen.lock().unwrap().len() <= MAX_HOSTS);
        assert!(hosts.fresh(&format!("h{}.example", MAX_HOSTS * 3 - 1)));
    }
}

//! How outgoing deliveries are judged and retried (DESIGN §6). Pure rules; the worker applies
//! them.

use std::time::Duration;

/// What to do with a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The inbox took it.
    Delivered,
    /// Try again later (not before `not_before`, if the server said so).
    Retry {
        /// A wait the receiver asked for (`Retry-After`).
        not_before: Option<Duration>,
    },
    /// Give up and keep the reason.
    Dead,
}

/// The verdict on an HTTP status: 2xx delivered; 408, 429 and 5xx retried (429 honouring
/// `Retry-After`); anything else (other 4xx, unexpected 1xx/3xx) dead-lettered.
pub fn judge_status(status: u16, retry_after: Option<Duration>) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        408 | 425 | 429 | 500..=599 => Verdict::Retry {
            not_before: retry_after.filter(|_| matches!(status, 429 | 503)),
        },
        _ => Verdict::Dead,
    }
}

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure; doubled after each further one.
    pub base: Duration,
    /// Longest wait between two attempts.
    pub max_wait: Duration,
    /// Give up once a delivery is this old.
    pub give_up_after: Duration,
    /// Consecutive failures after which a host is marked unavailable.
    pub host_failure_threshold: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            max_wait: Duration::from_secs(6 * 3600),
            give_up_after: Duration::from_secs(4 * 24 * 3600),
            host_failure_threshold: 5,
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, after `attempts` failed ones, with `jitter` in
    /// `[0, 1)` spreading it over ±25% so that retries to one host do not arrive in a herd.
    pub fn backoff(&self, attempts: u32, jitter: f64) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let raw = self
            .base
            .saturating_mul(1u32 << exp.min(20))
            .min(self.max_wait);
        let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
        raw.mul_f64(factor)
    }

    /// The wait before probing a host that has failed `failures` times in a row.
    pub fn probe_wait(&self, failures: u32, jitter: f64) -> Duration {
        self.backoff(
            failures.saturating_sub(self.host_failure_threshold) + 1,
            jitter,
        )
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(7 * 24 * 3600)));
    }
    let when = httpdate_parse(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn httpdate_parse(value: &str) -> Option<std::time::SystemTime> {
    let dt = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = u64::try_from(dt.timestamp()).ok()?;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(judge_status(202, None), Verdict::Delivered);
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(judge_status(s, None), Verdict::Retry { .. }),
                "{s}"
            );
        }
        for s in [301, 400, 401, 403, 404, 410, 413, 422] {
            assert_eq!(judge_status(s, None), Verdict::Dead, "{s}");
        }
        let wait = Some(Duration::from_secs(120));
        assert_eq!(judge_status(429, wait), Verdict::Retry { not_before: wait });
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 0.5), Duration::from_secs(30));
        assert_eq!(p.backoff(2, 0.5), Duration::from_secs(60));
        assert_eq!(p.backoff(50, 0.5), p.max_wait);
        assert_eq!(p.backoff(1, 0.0), Duration::from_secs_f64(22.5));
        assert!(p.backoff(1, 0.999) < Duration::from_secs_f64(37.6));
        // About two dozen attempts fit in the four days before giving up.
        let total: Duration = (1..=24).map(|a| p.backoff(a, 0.5)).sum();
        assert!(total > Duration::from_secs(3 * 24 * 3600), "{total:?}");
    }

    #[test]
    fn retry_after() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 09 Sep 2001 01:47:00 GMT", now),
            Some(Duration::from_secs(20))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}

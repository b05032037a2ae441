//! Counters of the delivery workers, rendered with the queue's gauges at `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the delivery latency histogram: from enqueue to acceptance.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0,
];

/// Delivery counters, shared by the workers of one process.
#[derive(Debug, Default)]
pub struct Metrics {
    delivered: AtomicU64,
    retried: AtomicU64,
    dead: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

impl Metrics {
    /// Counts a delivery accepted `latency_secs` after it was queued.
    pub fn delivered(&self, latency_secs: f64) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if latency_secs <= *bound {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add((latency_secs * 1e6) as u64, Ordering::Relaxed);
    }

    /// Counts a failed attempt that will be retried.
    pub fn retried(&self) {
        self.retried.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a delivery given up on.
    pub fn dead(&self) {
        self.dead.fetch_add(1, Ordering::Relaxed);
    }

    /// Deliveries accepted so far.
    pub fn delivered_total(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// The counters in Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP enishi_deliveries_total Delivery attempts by outcome."
        );
        let _ = writeln!(out, "# TYPE enishi_deliveries_total counter");
        for (outcome, v) in [
            ("delivered", &self.delivered),
            ("retry", &self.retried),
            ("dead", &self.dead),
        ] {
            let _ = writeln!(
                out,
                "enishi_deliveries_total{{outcome=\"{outcome}\"}} {}",
                v.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP enishi_delivery_latency_seconds Time from queueing to acceptance by the inbox."
        );
        let _ = writeln!(out, "# TYPE enishi_delivery_latency_seconds histogram");
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "enishi_delivery_latency_seconds_bucket{{le=\"{bound}\"}} {}",
                self.latency_buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "enishi_delivery_latency_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "enishi_delivery_latency_seconds_sum {}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "enishi_delivery_latency_seconds_count {count}");
        out
    }
}

//! Scenario and delivery tests that run Enishi instances (in-process on loopback ports, or as
//! real `enishi-node` processes) against stand-in remote servers (`receiver`), over real HTTP,
//! and the web UI in a real Chromium (`browser`).
//! This library holds what the tests and the benchmarks share.

pub mod browser;
pub mod cluster;
pub mod flood;
pub mod hunt;
pub mod peer;
pub mod tls;

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use url::Url;

/// A running `receiver` process (killed when dropped): one loopback port per stand-in host.
pub struct Receiver {
    child: Child,
    /// Its ports, one per host.
    pub ports: Vec<u16>,
    /// One client for the polls (a new one per poll would load the system's certificates
    /// each time, on the cores a benchmark measures).
    client: reqwest::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a receiver has accepted so far.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// `localhost:PORT/inbox/NAME` → activity ids, in arrival order.
    pub by_inbox: BTreeMap<String, Vec<String>>,
    /// Requests its verifier refused.
    pub refused: u64,
    /// Arrival time of each accepted delivery, in microseconds since the Unix epoch.
    pub arrivals_us: Vec<u128>,
}

impl Receiver {
    /// Starts the receiver binary at `binary` with `args` and waits until it listens.
    pub fn start(binary: &Path, args: &[&str]) -> anyhow::Result<Receiver> {
        let mut child = Command::new(binary)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line)?;
        let ports = line
            .trim()
            .strip_prefix("listening ")
            .ok_or_else(|| anyhow::anyhow!("receiver said {line:?}"))?
            .split(' ')
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        Ok(Receiver {
            child,
            ports,
            client: reqwest::Client::new(),
        })
    }

    /// The receiver's process id (for CPU accounting in benchmarks).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `per_host` inboxes on each of the receiver's hosts.
    pub fn inboxes(&self, per_host: usize) -> Vec<Url> {
        self.ports
            .iter()
            .flat_map(|p| {
                (0..per_host).map(move |i| {
                    Url::parse(&format!("http://localhost:{p}/inbox/{i}")).expect("valid URL")
                })
            })
            .collect()
    }

    /// A JSON document the receiver serves at `path`.
    async fn get_json(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self
            .client
            .get(format!("http://localhost:{}{path}", self.ports[0]))
            .send()
            .await?
            .json()
            .await?)
    }

    /// What it has accepted so far.
    pub async fn received(&self) -> anyhow::Result<Received> {
        let v = self.get_json("/received").await?;
        Ok(Received {
            by_inbox: serde_json::from_value(v["received"].clone())?,
            refused: v["refused"].as_u64().unwrap_or(0),
            arrivals_us: serde_json::from_value(v["arrivals_us"].clone()).unwrap_or_default(),
        })
    }

    /// Waits until `n` deliveries in all were accepted (and none refused).
    pub async fn wait_total(&self, n: usize, within: Duration) -> anyhow::Result<Received> {
        let deadline = Instant::now() + within;
        loop {
            // Counts only while waiting: the whole list grows with every delivery.
            let count = self.get_json("/count").await?;
            let (accepted, refused) = (
                count["accepted"].as_u64().unwrap_or(0),
                count["refused"].as_u64().unwrap_or(0),
            );
            anyhow::ensure!(refused == 0, "the receiver refused {refused} deliveries");
            if accepted >= n as u64 {
                return self.received().await;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "only {accepted} of {n} arrived within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A loopback port that was free a moment ago (and is closed now).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("address").port()
}

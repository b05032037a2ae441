//! `enishi-bench footprint`: what `enishi serve` costs the small machine a community runs on
//! (issue 19), on embedded SQLite as the one-command set-up runs it: the binary's size (as
//! built and stripped), the time from starting the process to its first answer (on a new
//! database, migrations included, and again on the existing one), and its resident memory
//! idle after start and idle after a run of API requests, with the peak. Medians over several
//! runs, each on a fresh data directory.

use crate::timeline::{enishi_binary, percentile};
use clap::Parser;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Options.
#[derive(Parser, Debug)]
pub struct Args {
    /// How many fresh starts to measure (medians are reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// API requests made between the two idle measurements.
    #[arg(long, default_value_t = 1000)]
    pub requests: usize,
    /// `ENISHI_DB_MAX_CONNECTIONS` for the server (its default when omitted), to see what the
    /// pool's connections cost.
    #[arg(long)]
    pub connections: Option<u32>,
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(what: &str) -> anyhow::Result<Scratch> {
        let dir = std::env::temp_dir().join(format!(
            "enishi-bench-{what}-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A field of `/proc/{pid}/status` (`VmRSS`, `VmHWM`) or `smaps_rollup` (`Anonymous`) in MiB.
fn status_mib(pid: u32, field: &str) -> Option<f64> {
    let file = if field == "Anonymous:" {
        "smaps_rollup"
    } else {
        "status"
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn env(cmd: &mut Command, dir: &Path, port: u16, connections: Option<u32>) {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ENISHI_DATA_DIR", dir)
        .env("ENISHI_DOMAIN", format!("localhost:{port}"))
        .env("ENISHI_SCHEME", "http")
        .env("ENISHI_BIND", format!("127.0.0.1:{port}"))
        .env("ENISHI_LOG", "warn");
    if let Some(n) = connections {
        cmd.env("ENISHI_DB_MAX_CONNECTIONS", n.to_string());
    }
}

/// Starts `enishi serve` on `dir`; returns it and the time to its first answer.
async fn start(
    dir: &Path,
    port: u16,
    connections: Option<u32>,
) -> anyhow::Result<(Server, Duration)> {
    let mut cmd = Command::new(enishi_binary()?);
    cmd.arg("serve");
    env(&mut cmd, dir, port, connections);
    let client = reqwest::Client::new();
    let probe = format!("http://127.0.0.1:{port}/nodeinfo/2.1");
    let t0 = Instant::now();
    let server = Server(cmd.stdout(Stdio::null()).spawn()?);
    while t0.elapsed() < Duration::from_secs(60) {
        if client
            .get(&probe)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return Ok((server, t0.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    anyhow::bail!("the server did not answer at {probe} within a minute")
}

/// Runs an `enishi` command as the admin would on the same data directory; its first line.
fn cli(dir: &Path, port: u16, args: &[&str]) -> anyhow::Result<String> {
    let mut cmd = Command::new(enishi_binary()?);
    cmd.args(args);
    env(&mut cmd, dir, port, None);
    let out = cmd.stderr(Stdio::null()).output()?;
    anyhow::ensure!(out.status.success(), "enishi {args:?} failed");
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

/// One run's figures.
struct Run {
    first_start_ms: f64,
    restart_ms: f64,
    idle_mib: f64,
    after_mib: f64,
    /// Of `after_mib`, what is anonymous memory (the rest is mapped files: the binary's code).
    after_anon_mib: f64,
    peak_mib: f64,
}

async fn one_run(args: &Args) -> anyhow::Result<Run> {
    let dir = Scratch::new("footprint")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let (server, first) = start(dir.path(), port, args.connections).await?;
    let pid = server.0.id();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = status_mib(pid, "VmRSS:").unwrap_or(f64::NAN);

    cli(
        dir.path(),
        port,
        &["user", "create", "bench", "--generate-password"],
    )?;
    let token = cli(dir.path(), port, &["token", "create", "bench"])?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    // What a member's phone asks for most, with a post now and then.
    let reads = [
        "/api/v1/timeline",
        "/api/v1/me",
        "/api/v1/notifications",
        "/api/v2/instance",
        "/api/v1/timelines/public",
        "/api/v1/timelines/home",
        "/nodeinfo/2.1",
        "/users/bench",
        "/api/v1/users/bench/voices",
    ];
    for i in 0..args.requests {
        let resp = if i % 10 == 9 {
            client
                .post(format!("{base}/api/v1/voices"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"text": format!("voice {i}"), "audience": "public"}))
                .send()
                .await?
        } else {
            client
                .get(format!("{base}{}", reads[i % reads.len()]))
                .bearer_auth(&token)
                .send()
                .await?
        };
        anyhow::ensure!(resp.status().is_success(), "request {i}: {}", resp.status());
        resp.bytes().await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = status_mib(pid, "VmRSS:").unwrap_or(f64::NAN);
    let after_anon = status_mib(pid, "Anonymous:").unwrap_or(f64::NAN);
    let peak = status_mib(pid, "VmHWM:").unwrap_or(f64::NAN);
    drop(server);
    let (again, restart) = start(dir.path(), port, args.connections).await?;
    drop(again);
    Ok(Run {
        first_start_ms: first.as_secs_f64() * 1000.0,
        restart_ms: restart.as_secs_f64() * 1000.0,
        idle_mib: idle,
        after_mib: after,
        after_anon_mib: after_anon,
        peak_mib: peak,
    })
}

/// The binary's size in MiB as built, and stripped of debug information and symbols (a copy
/// is stripped with `strip`, if the machine has it).
fn binary_sizes() -> anyhow::Result<(f64, Option<f64>)> {
    let binary = enishi_binary()?;
    let mib = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / (1024.0 * 1024.0));
    let built = mib(&binary)?;
    let dir = Scratch::new("strip")?;
    let copy = dir.path().join("enishi");
    std::fs::copy(&binary, &copy)?;
    let stripped = Command::new("strip")
        .arg(&copy)
        .status()
        .ok()
        .filter(|s| s.success())
        .and_then(|_| mib(&copy).ok());
    Ok((built, stripped))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.5)
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.runs > 0, "--runs must be at least 1");
    let (built, stripped) = binary_sizes()?;
    let stripped = stripped.map_or("n/a (no strip)".to_owned(), |s| format!("{s:.1} MiB"));
    println!(
        "footprint of `enishi serve` on SQLite, {} runs on fresh data directories",
        args.runs
    );
    println!("binary: {built:.1} MiB as built (with debug information), {stripped} stripped");
    let mut runs = Vec::new();
    for i in 0..args.runs {
        let r = one_run(&args).await?;
        println!(
            "run {}: first start {:.0} ms, restart {:.0} ms, idle RSS {:.1} MiB, after {} requests {:.1} MiB ({:.1} MiB anonymous; peak {:.1} MiB)",
            i + 1,
            r.first_start_ms,
            r.restart_ms,
            r.idle_mib,
            args.requests,
            r.after_mib,
            r.after_anon_mib,
            r.peak_mib
        );
        runs.push(r);
    }
    let m = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    println!(
        "median: start to first answer {:.0} ms on a new database (migrations included), {:.0} ms on the existing one | RSS idle after start {:.1} MiB, idle after {} API requests {:.1} MiB ({:.1} MiB anonymous, the rest mapped files), peak {:.1} MiB",
        m(|r| r.first_start_ms),
        m(|r| r.restart_ms),
        m(|r| r.idle_mib),
        args.requests,
        m(|r| r.after_mib),
        m(|r| r.after_anon_mib),
        m(|r| r.peak_mib),
    );
    Ok(())
}

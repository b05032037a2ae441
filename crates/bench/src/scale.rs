//! Scaling out on PostgreSQL (issue 16's measurements): what N `enishi serve --no-workers`
//! processes achieve for the home timeline under a closed-loop load, and what N `enishi worker`
//! processes achieve for a fan-out — with the CPU each costs, Enishi's and PostgreSQL's, so
//! that the first bottleneck shows in numbers.

use crate::fanout::{sibling, signing_rate};
use crate::timeline::{Args as SeedArgs, enishi_binary, percentile, seed};
use enishi_db::accounts::{self, NewMember};
use enishi_db::outbox::{self, Outgoing};
use enishi_federation_tests::Receiver;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Options of `enishi-bench scale`.
#[derive(clap::Args)]
pub struct Args {
    /// Process counts to measure, each for web processes and for workers.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    processes: Vec<usize>,
    /// Requests in flight at once (closed loop) for the timeline.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds each timeline measurement lasts (after 3 s of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Diaries and voice posts in the timeline database.
    #[arg(long, default_value_t = 100_000)]
    posts: usize,
    /// Deliveries in each fan-out (one activity to this many inboxes on 50 hosts).
    #[arg(long, default_value_t = 4_000)]
    deliveries: usize,
    /// Base PostgreSQL URL (databases are created and dropped on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
}

/// A child process, killed when dropped.
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Clock ticks of CPU (user + system) a process has used.
pub(crate) fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // The command name may hold spaces; the fields after its ')' are fixed.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// CPU ticks used by every PostgreSQL process on the machine (the server and its backends).
pub(crate) fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(cpu_ticks)
        .sum()
}

/// Seconds per clock tick (`getconf CLK_TCK`, 100 on Linux).
pub(crate) const TICK: f64 = 0.01;

fn spawn(
    url: &str,
    dir: &std::path::Path,
    domain: &str,
    args: &[&str],
    bind: u16,
) -> anyhow::Result<Proc> {
    let child = Command::new(enishi_binary()?)
        .args(args)
        .env_clear()
        .env("ENISHI_DATABASE_URL", url)
        .env("ENISHI_DATA_DIR", dir)
        .env("ENISHI_DOMAIN", domain)
        .env("ENISHI_BIND", format!("127.0.0.1:{bind}"))
        .env("ENISHI_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(Proc(child))
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub(crate) async fn wait_up(client: &reqwest::Client, port: u16) -> anyhow::Result<()> {
    for _ in 0..300 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the web process on {port} did not come up")
}

async fn database(
    admin: &sea_orm::DatabaseConnection,
    base: &str,
    name: &str,
) -> anyhow::Result<String> {
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    Ok(format!(
        "{}/{name}",
        base.rsplit_once('/').map_or(base, |b| b.0)
    ))
}

/// The timeline under a closed-loop load, spread over `n` web processes.
async fn timeline(
    url: &str,
    dir: &std::path::Path,
    token: &str,
    n: usize,
    args: &Args,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let mut ports = Vec::new();
    let mut procs = Vec::new();
    for _ in 0..n {
        let port = free_port()?;
        procs.push(spawn(
            url,
            dir,
            "localhost:8099",
            &["serve", "--no-workers"],
            port,
        )?);
        ports.push(port);
    }
    for p in &ports {
        wait_up(&client, *p).await?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..args.concurrency {
        let (client, token, ports) = (client.clone(), token.to_owned(), ports.clone());
        let (stop, measuring) = (stop.clone(), measuring.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut k = i;
            while !stop.load(Ordering::Relaxed) {
                let port = ports[k % ports.len()];
                k += 1;
                let start = Instant::now();
                let r = client
                    .get(format!("http://127.0.0.1:{port}/api/v1/timeline"))
                    .bearer_auth(&token)
                    .send()
                    .await?;
                anyhow::ensure!(r.status() == 200, "timeline: {}", r.status());
                r.bytes().await?;
                if measuring.load(Ordering::Relaxed) {
                    lat.push(start.elapsed().as_secs_f64() * 1000.0);
                }
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (enishi0, pg0) = (
        procs.iter().map(|p| cpu_ticks(p.0.id())).sum::<u64>(),
        postgres_ticks(),
    );
    let t0 = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = t0.elapsed().as_secs_f64();
    let (enishi1, pg1) = (
        procs.iter().map(|p| cpu_ticks(p.0.id())).sum::<u64>(),
        postgres_ticks(),
    );
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    lat.sort_by(f64::total_cmp);
    let done = lat.len() as f64;
    let (enishi_cpu, pg_cpu) = ((enishi1 - enishi0) as f64 * TICK, (pg1 - pg0) as f64 * TICK);
    println!(
        "timeline  {n} web process(es), {} in flight: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms | CPU per request: enishi {:.2} ms, postgres {:.2} ms | cores busy: enishi {:.2}, postgres {:.2}",
        args.concurrency,
        done / elapsed,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        1000.0 * enishi_cpu / done,
        1000.0 * pg_cpu / done,
        enishi_cpu / elapsed,
        pg_cpu / elapsed,
    );
    Ok(())
}

/// What the fan-outs share: receivers, a web process serving the sender's actor document
/// (the receivers fetch its key there), and the sender.
struct FanoutSetup {
    recv: Receiver,
    inboxes: Vec<url::Url>,
    _web: Proc,
    domain: String,
    origin: String,
    sender: enishi_core::Actor,
    db: enishi_db::Db,
}

async fn fanout_setup(
    url: &str,
    dir: &std::path::Path,
    args: &Args,
) -> anyhow::Result<FanoutSetup> {
    const HOSTS: usize = 50;
    let recv = Receiver::start(
        &sibling("receiver")?,
        &["--ports", &HOSTS.to_string(), "--verifier", "aws-lc"],
    )?;
    let inboxes = recv.inboxes(args.deliveries.div_ceil(HOSTS));
    let port = free_port()?;
    let domain = format!("localhost:{port}");
    let web = spawn(url, dir, &domain, &["serve", "--no-workers"], port)?;
    wait_up(&reqwest::Client::new(), port).await?;
    let mut config = enishi_server::default_config(url, dir);
    config.instance.domain = domain.clone();
    let db = enishi_db::connect(url, 2).await?;
    let keys = tokio::task::spawn_blocking(enishi_apub::keys::generate_actor_keys).await?;
    let sender = accounts::create(
        &db,
        &config.instance,
        NewMember {
            username: "sender",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?
    .actor;
    Ok(FanoutSetup {
        recv,
        inboxes,
        _web: web,
        domain,
        origin: config.instance.origin(),
        sender,
        db,
    })
}

/// One activity to every inbox, delivered by `n` worker processes (after a warm-up round).
async fn fanout(
    s: &FanoutSetup,
    url: &str,
    dir: &std::path::Path,
    n: usize,
    limit: f64,
) -> anyhow::Result<()> {
    let mut workers = Vec::new();
    for _ in 0..n {
        workers.push(spawn(url, dir, &s.domain, &["worker"], free_port()?)?);
    }
    let object = format!("{}/diaries/1", s.origin);
    let mut figures = None;
    for label in ["warm-up", "fanout"] {
        let id = format!("{}/activities/{label}-{n}", s.origin);
        let body = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id,
            "type": "Update", "actor": s.sender.ap_id.as_str(), "object": object})
        .to_string();
        let before = s.recv.received().await?.arrivals_us.len();
        let (w0, pg0, r0) = (
            workers.iter().map(|p| cpu_ticks(p.0.id())).sum::<u64>(),
            postgres_ticks(),
            cpu_ticks(s.recv.pid()),
        );
        let start = crate::fanout::now_us();
        outbox::enqueue(
            &s.db.conn,
            Outgoing {
                ap_id: &id,
                actor: s.sender.id,
                object_key: &object,
                body: &body,
            },
            &s.inboxes,
        )
        .await?;
        let mut arrivals: Vec<u128> = s
            .recv
            .wait_total(before + s.inboxes.len(), Duration::from_secs(600))
            .await?
            .arrivals_us
            .into_iter()
            .filter(|t| *t >= start)
            .collect();
        arrivals.sort_unstable();
        let (w1, pg1, r1) = (
            workers.iter().map(|p| cpu_ticks(p.0.id())).sum::<u64>(),
            postgres_ticks(),
            cpu_ticks(s.recv.pid()),
        );
        let span = (arrivals[arrivals.len() - 1] - arrivals[0]) as f64 / 1e6;
        let count = arrivals.len() as f64;
        figures = Some((
            count / span,
            (w1 - w0) as f64 * TICK / count,
            (pg1 - pg0) as f64 * TICK / count,
            (r1 - r0) as f64 * TICK / count,
        ));
    }
    let (rate, w, pg, r) = figures.expect("two rounds ran");
    println!(
        "fan-out   {n} worker process(es): {rate:.0} deliveries/s ({:.0}% of the signing limit) | CPU per delivery: workers {:.2} ms, postgres {:.2} ms, receivers {:.2} ms",
        100.0 * rate / limit,
        1000.0 * w,
        1000.0 * pg,
        1000.0 * r,
    );
    Ok(())
}

/// Runs the benchmark.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let limit = signing_rate(false);
    println!(
        "scale-out on PostgreSQL, {cores} cores shared by Enishi, PostgreSQL and the load; RSA signing limit {limit:.0}/s"
    );
    let dir = std::env::temp_dir().join(format!("enishi-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let admin = sea_orm::Database::connect(&args.postgres).await?;
    let pid = std::process::id();
    let names = [
        format!("enishi_scale_t_{pid}"),
        format!("enishi_scale_f_{pid}"),
    ];
    let result = async {
        let url = database(&admin, &args.postgres, &names[0]).await?;
        let seeding = SeedArgs::for_seeding(args.posts, 500, 2_000);
        let account = seed(&url, &seeding, &mut StdRng::seed_from_u64(42)).await?;
        let db = enishi_db::connect(&url, 2).await?;
        let token = enishi_db::tokens::create(&db, account, "bench").await?;
        db.close().await?;
        println!(
            "timeline: a member with 500 friends, {} posts; GET /api/v1/timeline round-robin over the web processes",
            args.posts
        );
        for &n in &args.processes {
            timeline(&url, &dir, &token, n, &args).await?;
        }
        let url = database(&admin, &args.postgres, &names[1]).await?;
        enishi_db::migrate(&enishi_db::connect(&url, 1).await?).await?;
        let setup = fanout_setup(&url, &dir, &args).await?;
        println!(
            "fan-out: one activity to {} inboxes on 50 loopback hosts (aws-lc verifier), after a warm-up round",
            setup.inboxes.len()
        );
        for &n in &args.processes {
            fanout(&setup, &url, &dir, n, limit).await?;
        }
        setup.db.close().await?;
        anyhow::Ok(())
    }
    .await;
    for name in names {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
    }
    std::fs::remove_dir_all(&dir)?;
    result
}

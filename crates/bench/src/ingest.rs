//! Inbound delivery (issue 19's benchmark): a flood of signed `Create{Note}` into the shared
//! inbox of a real `enishi serve` process, and the same flood into the Fedify peer in the same
//! run.
//!
//! The senders are members of a second Enishi instance running in this process, which serves
//! their actor documents and keys. Every run starts a fresh receiver on a fresh database, so
//! the first contact with each sender (its key fetched) is part of what is measured. Activities
//! are signed before the clock starts; the flood then goes over a fixed number of kept-alive
//! connections, and afterwards the receiver's database (or the peer's log) is read to check
//! that every activity was stored.

use crate::scale::{Proc, TICK, cpu_ticks, free_port, postgres_ticks, wait_up};
use crate::timeline::enishi_binary;
use enishi_apub::keys::generate_actor_keys;
use enishi_db::accounts::{self, NewMember};
use enishi_federation_tests::cluster::{Node, approve_request_from, eventually};
use enishi_federation_tests::flood::{self, Answer, Sender, Shape};
use enishi_federation_tests::peer::FedifyPeer;
use enishi_testkit::api::Api;
use enishi_testkit::{DbKind, TestDb};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::Instant;
use url::Url;

/// Options of `enishi-bench ingest`.
#[derive(clap::Args)]
pub struct Args {
    /// Databases to measure: sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    db: String,
    /// Workloads: one (one followed actor), many (distinct strangers mentioning a member),
    /// replies (distinct strangers replying to a member's public diary), or all.
    #[arg(long, default_value = "all")]
    workload: String,
    /// Activities per flood.
    #[arg(long, default_value_t = 5_000)]
    activities: usize,
    /// Distinct senders in the `many` and `replies` workloads.
    #[arg(long, default_value_t = 200)]
    actors: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Runs of each flood (figures are medians).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Skip the Fedify peer.
    #[arg(long)]
    no_fedify: bool,
    /// The receiver's database pool size (`ENISHI_DB_MAX_CONNECTIONS`; its default if unset).
    #[arg(long)]
    pool: Option<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    One,
    Many,
    Replies,
}

impl Workload {
    fn describe(self, args: &Args) -> String {
        let per = args.activities / args.actors.max(1);
        match self {
            Workload::One => format!(
                "one: {} Create{{Note}} to followers from one remote actor a member is friends with",
                args.activities
            ),
            Workload::Many => format!(
                "many: {} remote strangers × {per} Create{{Note}} mentioning a member (first contact: key fetched)",
                args.actors
            ),
            Workload::Replies => format!(
                "replies: {} remote strangers × {per} replies to a member's public diary (stored as comments)",
                args.actors
            ),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Workload::One => "one",
            Workload::Many => "many",
            Workload::Replies => "replies",
        }
    }
}

/// The sending instance and its actors.
struct Remote {
    node: Node,
    /// `s0`, whom the receiver's member befriends in the `one` workload.
    friend: enishi_federation_tests::cluster::Member,
    senders: Vec<Sender>,
}

async fn remote(actors: usize) -> anyhow::Result<Remote> {
    let node = Node::start(DbKind::Sqlite).await?;
    let friend = node.member("s0").await?;
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let mut senders = vec![Sender::member(&node.run.db, &friend.ap_id).await?];
    // The strangers share one key pair (each under its own key id): generating 200 RSA keys
    // would take longer than the floods, and the receiver cannot tell.
    for i in 1..actors.max(1) {
        let created = accounts::create(
            &node.run.db,
            &node.run.config.instance,
            NewMember {
                username: &format!("s{i}"),
                password: "password1",
                is_admin: false,
                keys: keys.clone(),
            },
        )
        .await?;
        senders.push(Sender::new(&created.actor, &keys.private_pem)?);
    }
    Ok(Remote {
        node,
        friend,
        senders,
    })
}

/// A receiving `enishi serve` process on a fresh database, with the member `mika`.
struct Target {
    proc: Proc,
    db: TestDb,
    inbox: Url,
    member: Url,
    diary: Url,
}

async fn target(
    kind: DbKind,
    remote: &Remote,
    workload: Workload,
    pool: Option<u32>,
) -> anyhow::Result<Target> {
    let db = TestDb::create(kind).await?;
    let port = free_port()?;
    let domain = format!("localhost:{port}");
    let mut config = enishi_server::default_config(&db.url, &db.dir);
    config.instance.domain = domain.clone();
    let store = enishi_server::open_database(&config).await?;
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let mika = accounts::create(
        &store,
        &config.instance,
        NewMember {
            username: "mika",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?;
    let token = enishi_db::tokens::create(&store, mika.account_id, "bench").await?;
    store.close().await?;
    let mut command = Command::new(enishi_binary()?);
    command.env_clear();
    if let Some(pool) = pool {
        command.env("ENISHI_DB_MAX_CONNECTIONS", pool.to_string());
    }
    let child = command
        .arg("serve")
        .env("ENISHI_DATABASE_URL", &db.url)
        .env("ENISHI_DATA_DIR", &db.dir)
        .env("ENISHI_DOMAIN", &domain)
        .env("ENISHI_BIND", format!("127.0.0.1:{port}"))
        // One sender's whole flood would pass the default allowance per server (6,000 a
        // minute) over three runs; the benchmark measures the work, not the limit.
        .env("ENISHI_RATE_LIMITS", "inbound=off")
        .env("ENISHI_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let proc = Proc(child);
    let http = reqwest::Client::new();
    wait_up(&http, port).await?;
    let base = format!("http://{domain}");
    let api = Api::new(&base, Some(token));
    let (status, diary) = api
        .post(
            "/api/v1/diaries",
            json!({"title": "Open diary", "body": "Comments welcome.", "audience": "public"}),
        )
        .await?;
    anyhow::ensure!(status == 201, "diary: {status} {diary}");
    let diary = Url::parse(diary["ap_id"].as_str().unwrap_or_default())?;
    if workload == Workload::One {
        let (status, body) = api
            .post(
                "/api/v1/friends/requests",
                json!({"target": remote.friend.ap_id.as_str()}),
            )
            .await?;
        anyhow::ensure!(status == 201, "friend request: {status} {body}");
        approve_request_from(&remote.friend, mika.actor.ap_id.as_str()).await?;
        let handle = &remote.friend.handle;
        eventually("mika is s0's friend", || async {
            let rel = api
                .ok(&format!("/api/v1/users/{handle}/relationship"))
                .await?;
            Ok((rel["friend"] == true).then_some(()))
        })
        .await?;
    }
    Ok(Target {
        proc,
        db,
        inbox: Url::parse(&format!("{base}/inbox"))?,
        member: mika.actor.ap_id.clone(),
        diary,
    })
}

/// The activities of one flood, with their senders.
fn activities(
    remote: &Remote,
    workload: Workload,
    args: &Args,
    tag: &str,
    member: &Url,
    diary: &Url,
) -> Vec<(Sender, Value)> {
    (0..args.activities)
        .map(|n| {
            let (sender, shape) = match workload {
                Workload::One => (&remote.senders[0], Shape::ToFollowers),
                Workload::Many => (
                    &remote.senders[n % remote.senders.len()],
                    Shape::Mentioning {
                        member: member.clone(),
                    },
                ),
                Workload::Replies => (
                    &remote.senders[n % remote.senders.len()],
                    Shape::ReplyTo {
                        post: diary.clone(),
                        author: member.clone(),
                    },
                ),
            };
            (sender.clone(), flood::create_note(sender, tag, n, &shape))
        })
        .collect()
}

/// What one flood measured.
#[derive(Debug, Clone, Default)]
struct Figures {
    accepted: usize,
    stored: usize,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_ms: f64,
    postgres_cpu_ms: f64,
    peak_rss_mib: f64,
}

fn latency_figures(answers: &[Answer], seconds: f64) -> (usize, f64, f64, f64) {
    let accepted = answers
        .iter()
        .filter(|a| (200..300).contains(&a.status))
        .count();
    let mut lat: Vec<f64> = answers
        .iter()
        .map(|a| a.latency.as_secs_f64() * 1000.0)
        .collect();
    lat.sort_by(f64::total_cmp);
    let pick = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    (accepted, accepted as f64 / seconds, pick(0.5), pick(0.99))
}

fn first_refusal(answers: &[Answer]) -> Option<String> {
    answers
        .iter()
        .find(|a| !(200..300).contains(&a.status))
        .map(|a| format!("{} answered {}", a.id, a.status))
}

/// The peak resident memory (`VmHWM`) of process `pid`, in MiB.
pub(crate) fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

async fn stored(db: &TestDb, workload: Workload, tag: &str) -> anyhow::Result<usize> {
    let conn = sea_orm::Database::connect(&db.url).await?;
    let table = if workload == Workload::Replies {
        "comment"
    } else {
        "post"
    };
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table} WHERE ap_id LIKE '%/flood/{tag}/%'"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count"))?;
    let n: i64 = row.try_get("", "n")?;
    conn.close().await?;
    Ok(n as usize)
}

async fn enishi_run(
    kind: DbKind,
    remote: &Remote,
    workload: Workload,
    args: &Args,
    run: usize,
) -> anyhow::Result<Figures> {
    let target = target(kind, remote, workload, args.pool).await?;
    let tag = format!("{}-{}-{run}", workload.name(), kind.name());
    let list = activities(remote, workload, args, &tag, &target.member, &target.diary);
    let inbox = target.inbox.clone();
    let deliveries = tokio::task::spawn_blocking(move || flood::sign_all(&inbox, list)).await??;
    let client = flood::client(args.connections)?;
    let pid = target.proc.0.id();
    let (cpu0, pg0) = (cpu_ticks(pid), postgres_ticks());
    let start = Instant::now();
    let answers = flood::send_all(&client, &deliveries, args.connections).await;
    let seconds = start.elapsed().as_secs_f64();
    let (cpu1, pg1) = (cpu_ticks(pid), postgres_ticks());
    let (accepted, rate, p50_ms, p99_ms) = latency_figures(&answers, seconds);
    if let Some(refusal) = first_refusal(&answers) {
        eprintln!("{} {}: {refusal}", kind.name(), workload.name());
    }
    let n = answers.len().max(1) as f64;
    let figures = Figures {
        accepted,
        stored: stored(&target.db, workload, &tag).await?,
        rate,
        p50_ms,
        p99_ms,
        cpu_ms: (cpu1 - cpu0) as f64 * TICK * 1000.0 / n,
        postgres_cpu_ms: if kind == DbKind::Postgres {
            pg1.saturating_sub(pg0) as f64 * TICK * 1000.0 / n
        } else {
            0.0
        },
        peak_rss_mib: peak_rss_mib(pid),
    };
    drop(target.proc);
    target.db.destroy().await?;
    Ok(figures)
}

async fn fedify_run(
    remote: &Remote,
    workload: Workload,
    args: &Args,
    run: usize,
) -> anyhow::Result<Figures> {
    let peer = FedifyPeer::start(&["bench"]).await?;
    let member = Url::parse(&peer.actor("bench"))?;
    let diary = Url::parse(&format!("{member}/notes/diary"))?;
    let inbox = Url::parse(&format!("{}/inbox", peer.base))?;
    let tag = format!("{}-fedify-{run}", workload.name());
    let list = activities(remote, workload, args, &tag, &member, &diary);
    let deliveries = tokio::task::spawn_blocking(move || flood::sign_all(&inbox, list)).await??;
    let client = flood::client(args.connections)?;
    let pid = peer.pid().unwrap_or(0);
    let cpu0 = cpu_ticks(pid);
    let start = Instant::now();
    let answers = flood::send_all(&client, &deliveries, args.connections).await;
    let seconds = start.elapsed().as_secs_f64();
    let cpu1 = cpu_ticks(pid);
    let (accepted, rate, p50_ms, p99_ms) = latency_figures(&answers, seconds);
    if let Some(refusal) = first_refusal(&answers) {
        eprintln!("fedify {}: {refusal}", workload.name());
    }
    // The peer has no queue: its listener has recorded an activity before the answer goes.
    let log = peer.query("inbox-log", "").await?;
    let recorded = log
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| {
                    e["recorded"].is_number()
                        && e["activityId"]
                            .as_str()
                            .is_some_and(|id| id.contains(&format!("/flood/{tag}/")))
                })
                .count()
        })
        .unwrap_or(0);
    Ok(Figures {
        accepted,
        stored: recorded,
        rate,
        p50_ms,
        p99_ms,
        cpu_ms: (cpu1 - cpu0) as f64 * TICK * 1000.0 / answers.len().max(1) as f64,
        postgres_cpu_ms: 0.0,
        peak_rss_mib: peak_rss_mib(pid),
    })
}

fn median(runs: &[Figures]) -> Figures {
    let pick = |f: fn(&Figures) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Figures {
        accepted: runs.iter().map(|r| r.accepted).min().unwrap_or(0),
        stored: runs.iter().map(|r| r.stored).min().unwrap_or(0),
        rate: pick(|r| r.rate),
        p50_ms: pick(|r| r.p50_ms),
        p99_ms: pick(|r| r.p99_ms),
        cpu_ms: pick(|r| r.cpu_ms),
        postgres_cpu_ms: pick(|r| r.postgres_cpu_ms),
        peak_rss_mib: pick(|r| r.peak_rss_mib),
    }
}

fn print_line(label: &str, f: &Figures, total: usize, runs: &[Figures]) {
    let rates: Vec<String> = runs.iter().map(|r| format!("{:.0}", r.rate)).collect();
    let pg = if f.postgres_cpu_ms > 0.0 {
        format!(", postgres {:.2} ms", f.postgres_cpu_ms)
    } else {
        String::new()
    };
    println!(
        "  {label:<9} {:>6.0} activities/s (runs {}), p50 {:.1} ms, p99 {:.1} ms | CPU per activity: server {:.2} ms{pg} | peak RSS {:.1} MiB | accepted {}/{total}, stored {}/{total}",
        f.rate,
        rates.join(", "),
        f.p50_ms,
        f.p99_ms,
        f.cpu_ms,
        f.peak_rss_mib,
        f.accepted,
        f.stored
    );
}

/// Runs the benchmark.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let workloads: Vec<Workload> = match args.workload.as_str() {
        "one" => vec![Workload::One],
        "many" => vec![Workload::Many],
        "replies" => vec![Workload::Replies],
        "all" => vec![Workload::One, Workload::Many, Workload::Replies],
        other => anyhow::bail!("unknown workload {other:?} (one, many, replies or all)"),
    };
    let kinds: Vec<DbKind> = match args.db.as_str() {
        "sqlite" => vec![DbKind::Sqlite],
        "postgres" => vec![DbKind::Postgres],
        "both" => vec![DbKind::Sqlite, DbKind::Postgres],
        other => anyhow::bail!("unknown database {other:?} (sqlite, postgres or both)"),
    };
    let setup = Instant::now();
    let remote = remote(args.actors).await?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "inbound flood: {} connections, {} runs each on a fresh receiver, {cores} cores shared by the receiver, the senders' instance and this client (senders ready in {:.1} s)",
        args.connections,
        args.runs,
        setup.elapsed().as_secs_f64()
    );
    for workload in workloads {
        println!("{}", workload.describe(&args));
        let mut fedify = None;
        if !args.no_fedify {
            let mut runs = Vec::new();
            for run in 0..args.runs {
                runs.push(fedify_run(&remote, workload, &args, run).await?);
            }
            let m = median(&runs);
            print_line("fedify", &m, args.activities, &runs);
            fedify = Some(m);
        }
        for &kind in &kinds {
            let mut runs = Vec::new();
            for run in 0..args.runs {
                runs.push(enishi_run(kind, &remote, workload, &args, run).await?);
            }
            let m = median(&runs);
            print_line(kind.name(), &m, args.activities, &runs);
            if let Some(f) = &fedify {
                println!(
                    "  {:<9} {:.1}× Fedify's rate, {:.1}× less CPU per activity (server{})",
                    "",
                    m.rate / f.rate,
                    f.cpu_ms / (m.cpu_ms + m.postgres_cpu_ms).max(1e-9),
                    if kind == DbKind::Postgres {
                        " and PostgreSQL"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    remote.node.stop().await?;
    Ok(())
}

//! Fan-out delivery (issue 4's benchmark).

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::{Data, FederationConfig};
use activitypub_federation::traits::{Activity, Actor, Object};
use enishi_apub::signatures::Signer;
use enishi_db::accounts::{self, NewMember};
use enishi_db::outbox::{self, Outgoing};
use enishi_federation_tests::Receiver;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use url::Url;

/// Options of `enishi-bench fanout`.
#[derive(clap::Args)]
pub struct Args {
    /// Databases to measure: sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    db: String,
    /// Receiving hosts (ports).
    #[arg(long, default_value_t = 50)]
    hosts: usize,
    /// Inboxes per host.
    #[arg(long, default_value_t = 20)]
    inboxes_per_host: usize,
    /// Only Enishi's outbox: no signing-rate measurement and no federation-crate comparison
    /// (for profiling; the figures then lack their reference).
    #[arg(long)]
    outbox_only: bool,
    /// How receivers verify signatures: `aws-lc` (Enishi's verifier, cheap, so that the
    /// sender is what is measured) or `crate` (the federation crate's `rsa` code).
    #[arg(long, default_value = "aws-lc")]
    verifier: String,
    /// Base PostgreSQL URL (a database is created and dropped on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
}

pub(crate) fn sibling(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let path = std::env::current_exe()?.with_file_name(name);
    anyhow::ensure!(
        path.exists(),
        "{} not found: cargo build --release -p enishi-federation-tests",
        path.display()
    );
    Ok(path)
}

fn receiver(hosts: usize, verifier: &str) -> anyhow::Result<Receiver> {
    Receiver::start(
        &sibling("receiver")?,
        &["--ports", &hosts.to_string(), "--verifier", verifier],
    )
}

pub(crate) fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Signatures per second on all cores, with a fresh RSA-2048 key.
pub(crate) fn signing_rate(rsa_crate: bool) -> f64 {
    let keys = enishi_apub::keys::generate_actor_keys();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let run_for = Duration::from_secs(2);
    let counts: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores)
            .map(|_| {
                let keys = keys.clone();
                s.spawn(move || {
                    let start = Instant::now();
                    let mut n = 0u64;
                    if rsa_crate {
                        use rsa::pkcs8::DecodePrivateKey;
                        use sha2::Digest;
                        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&keys.private_pem).unwrap();
                        while start.elapsed() < run_for {
                            let digest = sha2::Sha256::digest(format!("message {n}").as_bytes());
                            key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
                                .unwrap();
                            n += 1;
                        }
                    } else {
                        let signer = Signer::from_pem(&keys.private_pem, "k").unwrap();
                        while start.elapsed() < run_for {
                            signer.sign_raw(&format!("message {n}")).unwrap();
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    counts.iter().sum::<u64>() as f64 / run_for.as_secs_f64()
}

struct Figures {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn figures(start_us: u128, mut arrivals: Vec<u128>) -> Figures {
    arrivals.sort_unstable();
    let lat: Vec<f64> = arrivals
        .iter()
        .map(|a| (a.saturating_sub(start_us)) as f64 / 1000.0)
        .collect();
    let span = (*arrivals.last().unwrap() - start_us) as f64 / 1e6;
    Figures {
        rate: arrivals.len() as f64 / span,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
    }
}

// --- the federation crate's own path, for comparison ----------------------------------------------

#[derive(Clone, Debug)]
struct CrateActor {
    id: Url,
    inbox: Url,
    public_pem: String,
    private_pem: String,
}

#[async_trait::async_trait]
impl Object for CrateActor {
    type DataType = ();
    type Kind = Value;
    type Error = activitypub_federation::error::Error;
    fn id(&self) -> &Url {
        &self.id
    }
    async fn read_from_id(_: Url, _: &Data<()>) -> Result<Option<Self>, Self::Error> {
        Ok(None)
    }
    async fn into_json(self, _: &Data<()>) -> Result<Value, Self::Error> {
        Ok(Value::Null)
    }
    async fn verify(_: &Value, _: &Url, _: &Data<()>) -> Result<(), Self::Error> {
        Ok(())
    }
    async fn from_json(_: Value, _: &Data<()>) -> Result<Self, Self::Error> {
        Err(activitypub_federation::error::Error::NotFound)
    }
}

impl Actor for CrateActor {
    fn public_key_pem(&self) -> &str {
        &self.public_pem
    }
    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_pem.clone())
    }
    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct CrateActivity {
    id: Url,
    actor: Url,
    #[serde(rename = "type")]
    kind: String,
    object: String,
}

#[async_trait::async_trait]
impl Activity for CrateActivity {
    type DataType = ();
    type Error = activitypub_federation::error::Error;
    fn id(&self) -> &Url {
        &self.id
    }
    fn actor(&self) -> &Url {
        &self.actor
    }
    async fn verify(&self, _: &Data<()>) -> Result<(), Self::Error> {
        Ok(())
    }
    async fn receive(self, _: &Data<()>) -> Result<(), Self::Error> {
        Ok(())
    }
}

async fn through_the_crate(
    actor: CrateActor,
    args: &Args,
    concurrency: usize,
) -> anyhow::Result<Figures> {
    let recv = receiver(args.hosts, &args.verifier)?;
    let inboxes = recv.inboxes(args.inboxes_per_host);
    let n = inboxes.len();
    // debug: the crate refuses URLs with explicit ports otherwise, and every receiver here has one.
    let config = FederationConfig::builder()
        .domain("bench.localhost")
        .app_data(())
        .debug(true)
        .build()
        .await?;
    let data = config.to_request_data();
    let activity = CrateActivity {
        id: Url::parse(&format!("{}/activities/crate-{}", actor.id, now_us()))?,
        actor: actor.id.clone(),
        kind: "Update".into(),
        object: format!("{}/voices/1", actor.id),
    };
    let start = now_us();
    let tasks = SendActivityTask::prepare(&activity, &actor, inboxes, &data).await?;
    futures::stream::iter(tasks)
        .map(|t| {
            let data = data.reset_request_count();
            async move { t.sign_and_send(&data).await }
        })
        .buffer_unordered(concurrency)
        .for_each(|r| async move {
            if let Err(e) = r {
                eprintln!("crate delivery failed: {e}");
            }
        })
        .await;
    let arrivals = recv
        .wait_total(n, Duration::from_secs(300))
        .await?
        .arrivals_us;
    Ok(figures(start, arrivals))
}

async fn measure(
    label: &str,
    url: &str,
    dir: &std::path::Path,
    args: &Args,
    limit: f64,
) -> anyhow::Result<()> {
    let recv = receiver(args.hosts, &args.verifier)?;
    let inboxes = recv.inboxes(args.inboxes_per_host);
    let n = inboxes.len();
    let config = enishi_server::default_config(url, dir);
    let concurrency = config.delivery.concurrency;
    let run = enishi_server::start_on_free_port(config).await?;
    let keys = enishi_apub::keys::generate_actor_keys();
    let alice = accounts::create(
        &run.db,
        &run.config.instance,
        NewMember {
            username: "alice",
            password: "password1",
            is_admin: false,
            keys: keys.clone(),
        },
    )
    .await?
    .actor;
    let object = format!("{}/diaries/1", run.base_url);
    // A warm-up round first (connection pools, receivers' key caches), as on a server that has
    // been running; then the measured one.
    let mut ours = None;
    let mut cpu = CpuSplit::default();
    for (round, name) in ["warm-up", "fanout"].into_iter().enumerate() {
        let ticks_before = Ticks::read(recv.pid(), label == "postgres");
        let id = format!("{}/activities/{name}", run.base_url);
        let body = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Update", "actor": alice.ap_id.as_str(), "object": object}).to_string();
        let start = now_us();
        outbox::enqueue(
            &run.db.conn,
            Outgoing {
                ap_id: &id,
                actor: alice.id,
                object_key: &object,
                body: &body,
            },
            &inboxes,
        )
        .await?;
        if round == 0 && label == "postgres" {
            // The planner statistics a running server has (autovacuum analyses a table within
            // a minute of this much change), taken while the warm-up round is queued; a new
            // database's say the queue is empty, and the claims' plans follow them.
            sea_orm::ConnectionTrait::execute_unprepared(&run.db.conn, "ANALYZE delivery").await?;
        }
        run.wake.notify_one();
        let arrivals: Vec<u128> = recv
            .wait_total(n * (round + 1), Duration::from_secs(300))
            .await?
            .arrivals_us
            .into_iter()
            .filter(|t| *t >= start)
            .collect();
        cpu = Ticks::read(recv.pid(), label == "postgres").since(&ticks_before, n);
        ours = Some(figures(start, arrivals));
    }
    let ours = ours.expect("two rounds ran");
    let rss = crate::ingest::peak_rss_mib(std::process::id());
    println!(
        "{label:<9} enishi outbox: {:.0} deliveries/s ({:.0}% of the signing limit), commit→receipt p50 {:.0} ms, p99 {:.0} ms, peak RSS {rss:.1} MiB (bench process, Enishi in-process)",
        ours.rate,
        100.0 * ours.rate / limit,
        ours.p50_ms,
        ours.p99_ms
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    // One signature's CPU, from the signing limit on all cores.
    let signing_ms = 1000.0 * cores / limit;
    let sender_ms = cpu.enishi_ms + cpu.postgres_ms;
    println!(
        "{label:<9} CPU per delivery: Enishi {:.3} ms (of which signing {signing_ms:.3} ms), PostgreSQL {:.3} ms, receivers {:.3} ms | receivers' share of the CPU used {:.0}% | signing-rate-normalised: {:.0}% of the signing limit (signing's share of the sender's CPU: the rate with the cores to itself)",
        cpu.enishi_ms,
        cpu.postgres_ms,
        cpu.receivers_ms,
        100.0 * cpu.receivers_ms / (sender_ms + cpu.receivers_ms),
        100.0 * signing_ms / sender_ms,
    );
    if args.outbox_only {
        return run.stop().await;
    }
    // The federation crate, same actor (its key document is served by the instance above).
    let actor = CrateActor {
        id: alice.ap_id.clone(),
        inbox: alice.inbox.clone(),
        public_pem: keys.public_pem.clone(),
        private_pem: keys.private_pem.clone(),
    };
    let crate_fig = through_the_crate(actor, args, concurrency).await?;
    println!(
        "{label:<9} federation crate (SendActivityTask, {concurrency} concurrent, rsa crate signing, in memory): {:.0} deliveries/s, p50 {:.0} ms, p99 {:.0} ms; Enishi/crate = {:.2}",
        crate_fig.rate,
        crate_fig.p50_ms,
        crate_fig.p99_ms,
        ours.rate / crate_fig.rate
    );
    run.stop().await
}

/// CPU ticks of the benchmark process (Enishi runs in it), the receivers and PostgreSQL.
struct Ticks {
    enishi: u64,
    receivers: u64,
    postgres: u64,
}

/// CPU per delivery of one round, in milliseconds.
#[derive(Default)]
struct CpuSplit {
    enishi_ms: f64,
    receivers_ms: f64,
    postgres_ms: f64,
}

impl Ticks {
    fn read(receivers: u32, postgres: bool) -> Ticks {
        use crate::scale::{cpu_ticks, postgres_ticks};
        Ticks {
            enishi: cpu_ticks(std::process::id()),
            receivers: cpu_ticks(receivers),
            postgres: if postgres { postgres_ticks() } else { 0 },
        }
    }

    fn since(&self, before: &Ticks, deliveries: usize) -> CpuSplit {
        let ms = |a: u64, b: u64| {
            a.saturating_sub(b) as f64 * crate::scale::TICK * 1000.0 / deliveries as f64
        };
        CpuSplit {
            enishi_ms: ms(self.enishi, before.enishi),
            receivers_ms: ms(self.receivers, before.receivers),
            postgres_ms: ms(self.postgres, before.postgres),
        }
    }
}

/// Runs the benchmark.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let (aws, rsa) = if args.outbox_only {
        (f64::NAN, f64::NAN)
    } else {
        (signing_rate(false), signing_rate(true))
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "RSA-2048 PKCS#1 v1.5 signing on {cores} cores: aws-lc-rs {aws:.0}/s, rsa crate {rsa:.0}/s (ratio {:.1}×)",
        aws / rsa
    );
    println!(
        "fan-out: one activity to {} inboxes on {} loopback hosts that verify every signature ({} verifier)",
        args.hosts * args.inboxes_per_host,
        args.hosts,
        args.verifier
    );
    let dir = std::env::temp_dir().join(format!("enishi-fanout-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    if args.db == "sqlite" || args.db == "both" {
        let url = format!("sqlite://{}?mode=rwc", dir.join("fanout.db").display());
        measure("sqlite", &url, &dir, &args, aws).await?;
    }
    if args.db == "postgres" || args.db == "both" {
        use sea_orm::ConnectionTrait;
        let name = format!("enishi_fanout_{}", std::process::id());
        let admin = sea_orm::Database::connect(&args.postgres).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let url = format!("{}/{name}", args.postgres.rsplit_once('/').unwrap().0);
        let result = measure("postgres", &url, &dir, &args, aws).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        result?;
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

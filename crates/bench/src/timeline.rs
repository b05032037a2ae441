//! Home timeline latency (issue 3's benchmark).

use anyhow::Context;
use chrono::{Duration, Utc};
use enishi_core::Audience;
use enishi_db::entity::{account, actor, follow, friendship, post};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// Options of `enishi-bench timeline`.
#[derive(clap::Args)]
pub struct Args {
    /// Databases to measure: sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    db: String,
    /// Diaries and voice posts in the database.
    #[arg(long, default_value_t = 100_000)]
    posts: usize,
    /// Friends of the measured member.
    #[arg(long, default_value_t = 500)]
    friends: usize,
    /// Members in all.
    #[arg(long, default_value_t = 2_000)]
    members: usize,
    /// Timeline requests measured (after 200 warm-up requests).
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// Keep the SQLite database and print where it is (for EXPLAIN).
    #[arg(long)]
    keep: bool,
    /// Base PostgreSQL URL (a database is created and dropped on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
    /// Measure beside one CPU-bound process (a shell's busy loop), as on a small machine that
    /// runs something else busy: one of the two cores is taken while the requests are made.
    #[arg(long)]
    neighbour: bool,
}

impl Args {
    /// The seeding options alone (for other benchmarks on the same database).
    pub(crate) fn for_seeding(posts: usize, friends: usize, members: usize) -> Args {
        Args {
            db: String::new(),
            posts,
            friends,
            members,
            requests: 0,
            keep: false,
            postgres: String::new(),
            neighbour: false,
        }
    }
}

/// Path of the `enishi` binary built beside this one.
pub(crate) fn enishi_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name("enishi");
    anyhow::ensure!(
        path.exists(),
        "{} not found: build it first (cargo build --release -p enishi-server)",
        path.display()
    );
    Ok(path)
}

fn keys_placeholder() -> (String, String) {
    (
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
        "unused".into(),
    )
}

/// Seeds members, friendships and posts straight into the database; returns the viewer's
/// account id.
pub(crate) async fn seed(url: &str, args: &Args, rng: &mut StdRng) -> anyhow::Result<i64> {
    let db = enishi_db::connect(url, 4).await?;
    enishi_db::migrate(&db).await?;
    let settings = enishi_core::InstanceSettings {
        domain: "localhost:8099".into(),
        scheme: enishi_core::Scheme::Http,
        registration: enishi_core::RegistrationMode::Closed,
        limits: Default::default(),
        name: "bench".into(),
    };
    enishi_db::instance::claim_domain(&db, &settings).await?;
    let now = Utc::now();
    let (public_pem, _) = keys_placeholder();
    let txn = db.conn.begin().await?;
    let mut actors = Vec::new();
    for i in 0..args.members {
        let name = format!("m{i}");
        let ap = format!("http://localhost:8099/users/{name}");
        actors.push(actor::ActiveModel {
            id: Set(i as i64 + 1),
            ap_id: Set(ap.clone()),
            kind: Set("person".into()),
            username: Set(name.clone()),
            username_key: Set(name),
            domain: Set("localhost:8099".into()),
            is_local: Set(true),
            display_name: Set(None),
            summary: Set(None),
            url: Set(None),
            avatar_url: Set(None),
            inbox_url: Set(format!("{ap}/inbox")),
            shared_inbox_url: Set(None),
            outbox_url: Set(None),
            followers_url: Set(None),
            following_url: Set(None),
            public_key_id: Set(format!("{ap}#main-key")),
            public_key_pem: Set(public_pem.clone()),
            private_key_pem: Set(None),
            manually_approves_followers: Set(true),
            discoverable: Set(false),
            indexable: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            fetched_at: Set(None),
            friends_audience: Set(None),
            introductions_audience: Set(None),
            followers_digest: Set(None),
            moderation: Set(None),
            also_known_as: Set(None),
            moved_to: Set(None),
        });
    }
    for chunk in actors.chunks(500) {
        actor::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let viewer = 1i64;
    let mut rows = Vec::new();
    for f in 2..(args.friends as i64 + 2) {
        for (o, fr) in [(viewer, f), (f, viewer)] {
            rows.push(friendship::ActiveModel {
                owner_id: Set(o),
                friend_id: Set(fr),
                created_at: Set(now),
            });
        }
    }
    for chunk in rows.chunks(500) {
        friendship::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    // A friendship is two accepted follows, as the API makes it.
    let follows: Vec<follow::ActiveModel> = rows
        .iter()
        .map(|f| follow::ActiveModel {
            follower_id: f.owner_id.clone(),
            followee_id: f.friend_id.clone(),
            state: Set("accepted".into()),
            ap_id: Set(None),
            message: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in follows.chunks(500) {
        follow::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let acct = account::Entity::insert(account::ActiveModel {
        actor_id: Set(viewer),
        username: Set("m0".into()),
        password_hash: Set(enishi_db::password::hash("benchmark")),
        is_admin: Set(false),
        suspended_at: Set(None),
        created_at: Set(now),
        default_audience: Set("friends".into()),
        nickname_audience: Set("public".into()),
        bio_audience: Set("public".into()),
        avatar_audience: Set("public".into()),
        friends_audience: Set("friends".into()),
        introductions_audience: Set("friends_of_friends".into()),
        footprints_enabled: Set(true),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let mut batch = Vec::with_capacity(1000);
    for i in 0..args.posts {
        let author = rng.gen_range(1..=args.members as i64);
        let audience = Audience::ALL[rng.gen_range(0..5)];
        let diary = rng.gen_bool(0.3);
        let id = uuid::Uuid::now_v7().to_string();
        let kind = if diary { "diary" } else { "voice" };
        let at = now - Duration::seconds((args.posts - i) as i64 * 30);
        batch.push(post::ActiveModel {
            public_id: Set(id.clone()),
            ap_id: Set(format!(
                "http://localhost:8099/{}/{id}",
                if diary { "diaries" } else { "voices" }
            )),
            kind: Set(kind.into()),
            author_id: Set(author),
            title: Set(diary.then(|| format!("Diary {i}"))),
            body: Set("A day in the life of the community. ".repeat(if diary { 20 } else { 2 })),
            audience: Set(audience.as_str().into()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        });
        if batch.len() == 1000 {
            post::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(&txn)
                .await?;
        }
    }
    if !batch.is_empty() {
        post::Entity::insert_many(batch)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    if db.backend == enishi_db::Backend::Postgres {
        db.conn
            .execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('actor', 'id'), (SELECT MAX(id) FROM actor))",
            )
            .await?;
        db.conn.execute_unprepared("ANALYZE").await?;
    } else {
        db.conn.execute_unprepared("ANALYZE").await?;
    }
    db.close().await?;
    Ok(acct)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A CPU-bound process beside the benchmark (`--neighbour`), stopped when dropped.
pub(crate) struct Neighbour(Child);

impl Neighbour {
    /// Starts a shell spinning in a loop: one core's worth of work that never sleeps.
    pub(crate) fn start() -> anyhow::Result<Neighbour> {
        let child = Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting the busy neighbour (sh)")?;
        Ok(Neighbour(child))
    }
}

impl Drop for Neighbour {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The `p` quantile (0..=1) of sorted figures.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

async fn measure(label: &str, url: &str, dir: &std::path::Path, args: &Args) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(42);
    let t0 = Instant::now();
    let account_id = seed(url, args, &mut rng).await.context("seeding")?;
    let seeded = t0.elapsed();
    let db = enishi_db::connect(url, 2).await?;
    let token = enishi_db::tokens::create(&db, account_id, "bench").await?;
    // The same member through a Mastodon app, for the Mastodon API's home timeline.
    let (app, _) = enishi_db::oauth::register_app(
        &db,
        enishi_db::oauth::NewApp {
            name: "bench",
            website: None,
            redirect_uris: &["urn:ietf:wg:oauth:2.0:oob".to_owned()],
            scopes: &enishi_core::scopes::Scopes::parse("read")?,
        },
    )
    .await?;
    let app_token = enishi_db::tokens::create_for_app(
        &db.conn,
        account_id,
        &app,
        &enishi_core::scopes::Scopes::parse("read")?,
    )
    .await?;
    db.close().await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    // The database was claimed for localhost:8099; the server must use that domain.
    let child = Command::new(enishi_binary()?)
        .arg("serve")
        .env_clear()
        .env("ENISHI_DATABASE_URL", url)
        .env("ENISHI_DATA_DIR", dir)
        .env("ENISHI_DOMAIN", "localhost:8099")
        .env("ENISHI_BIND", format!("127.0.0.1:{port}"))
        .env("ENISHI_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let server = Server(child);
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if client
            .get(format!("{base}/.well-known/nodeinfo"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let get_as = |path: String, token: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let start = Instant::now();
            let resp = client
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await?;
            anyhow::ensure!(resp.status() == 200, "{path}: {}", resp.status());
            let body: serde_json::Value = resp.json().await?;
            Ok::<_, anyhow::Error>((start.elapsed().as_secs_f64() * 1000.0, body))
        }
    };
    let get = |path: String| get_as(path, token.clone());
    let get_app = |path: String| get_as(path, app_token.clone());
    let mut cursor: Option<String> = None;
    let mut max_id: Option<String> = None;
    for _ in 0..200 {
        get("/api/v1/timeline".into()).await?;
        get_app("/api/v1/timelines/home".into()).await?;
    }
    let neighbour = if args.neighbour {
        Some(Neighbour::start()?)
    } else {
        None
    };
    let mut first = Vec::with_capacity(args.requests);
    let mut paged = Vec::with_capacity(args.requests);
    let mut app_first = Vec::with_capacity(args.requests);
    let mut app_paged = Vec::with_capacity(args.requests);
    let mut items = 0usize;
    for i in 0..args.requests {
        // The Mastodon API's home timeline, interleaved so that both see the same machine.
        let (ms, _) = get_app("/api/v1/timelines/home".into()).await?;
        app_first.push(ms);
        let path = match (&max_id, i % 10) {
            (Some(m), n) if n != 0 => format!("/api/v1/timelines/home?max_id={m}"),
            _ => "/api/v1/timelines/home".into(),
        };
        let (ms, body) = get_app(path).await?;
        max_id = body
            .as_array()
            .and_then(|l| l.last())
            .and_then(|s| s["id"].as_str())
            .map(str::to_owned);
        app_paged.push(ms);
        let (ms, body) = get("/api/v1/timeline".into()).await?;
        items = body["items"].as_array().map_or(0, Vec::len);
        first.push(ms);
        // Walk ten pages deep, then start again: deeper pages cost more.
        let path = match (&cursor, i % 10) {
            (Some(c), n) if n != 0 => format!("/api/v1/timeline?cursor={c}"),
            _ => "/api/v1/timeline".into(),
        };
        let (ms, body) = get(path).await?;
        cursor = body["next"].as_str().map(str::to_owned);
        paged.push(ms);
    }
    drop(neighbour);
    let rss = peak_rss_kib(server.0.id()).unwrap_or(0);
    drop(server);
    for list in [&mut first, &mut paged, &mut app_first, &mut app_paged] {
        list.sort_by(f64::total_cmp);
    }
    println!(
        "{label:<9} seeded {} posts in {:.1}s | first page ({items} items): p50 {:.2} ms, p99 {:.2} ms | pages 1-10: p50 {:.2} ms, p99 {:.2} ms | server peak RSS {:.1} MiB",
        args.posts,
        seeded.as_secs_f64(),
        percentile(&first, 0.5),
        percentile(&first, 0.99),
        percentile(&paged, 0.5),
        percentile(&paged, 0.99),
        rss as f64 / 1024.0
    );
    println!(
        "{label:<9} Mastodon API /api/v1/timelines/home: first page p50 {:.2} ms, p99 {:.2} ms | pages 1-10: p50 {:.2} ms, p99 {:.2} ms | ratio to /api/v1/timeline: p50 {:.2}x, p99 {:.2}x",
        percentile(&app_first, 0.5),
        percentile(&app_first, 0.99),
        percentile(&app_paged, 0.5),
        percentile(&app_paged, 0.99),
        percentile(&app_first, 0.5) / percentile(&first, 0.5),
        percentile(&app_first, 0.99) / percentile(&first, 0.99),
    );
    Ok(())
}

/// Runs the benchmark on the chosen databases.
pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "home timeline: 1 member with {} friends among {} members, {} diaries and voice posts, {} measured requests each{}",
        args.friends,
        args.members,
        args.posts,
        args.requests,
        if args.neighbour {
            ", beside a CPU-bound process (one core busy)"
        } else {
            ""
        }
    );
    let dir = std::env::temp_dir().join(format!("enishi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    if args.db == "sqlite" || args.db == "both" {
        let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
        measure("sqlite", &url, &dir, &args).await?;
    }
    if args.db == "postgres" || args.db == "both" {
        let name = format!("enishi_bench_{}", std::process::id());
        let admin = sea_orm::Database::connect(&args.postgres).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let url = format!("{}/{name}", args.postgres.rsplit_once('/').unwrap().0);
        let result = measure("postgres", &url, &dir, &args).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        result?;
    }
    if args.keep {
        println!("kept {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

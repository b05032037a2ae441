//! Page render latency (issue 13's benchmark): a member's home page and a diary with 50
//! comments, rendered as HTML for a logged-in browser, on the timeline benchmark's database.
//!
//! The server runs in this process (`enishi_server::start`, the real router and middleware,
//! with delivery workers off) and is asked over loopback HTTP with a browser session cookie,
//! so a figure is the server's whole answer time plus one loopback round trip.

use crate::timeline::{self, percentile};
use anyhow::Context;
use chrono::Utc;
use enishi_db::entity::{comment, post};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use std::time::Instant;

/// Options of `enishi-bench pages`.
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
    /// Comments on the measured diary.
    #[arg(long, default_value_t = 50)]
    comments: usize,
    /// Requests measured per page (after the warm-up).
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// Warm-up requests per page, not measured.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Base PostgreSQL URL (a database is created and dropped on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
}

/// The targets of issue 13, in milliseconds.
const TARGET_P50: f64 = 5.0;
const TARGET_P99: f64 = 15.0;

/// A friends-only diary by one of the viewer's friends with `n` comments by other friends;
/// returns its public id. The viewer reads it with their session cookie, so the page pays for
/// the audience rule as a member's visit does.
async fn seed_diary(url: &str, args: &Args) -> anyhow::Result<String> {
    let db = enishi_db::connect(url, 2).await?;
    let now = Utc::now();
    let id = uuid::Uuid::now_v7().to_string();
    // Actor 1 is the viewer; actors 2..=friends+1 are their friends (see timeline::seed).
    let author = 2i64;
    let post_id = post::Entity::insert(post::ActiveModel {
        public_id: Set(id.clone()),
        ap_id: Set(format!("http://localhost:8099/diaries/{id}")),
        kind: Set("diary".into()),
        author_id: Set(author),
        title: Set(Some("A diary with many comments".into())),
        body: Set("What happened today, at some length. ".repeat(40)),
        audience: Set("friends".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&db.conn)
    .await?
    .last_insert_id;
    let friends = args.friends.max(1) as i64;
    let rows: Vec<comment::ActiveModel> = (0..args.comments)
        .map(|i| {
            let cid = uuid::Uuid::now_v7().to_string();
            let at = now + chrono::Duration::seconds(i as i64 + 1);
            comment::ActiveModel {
                public_id: Set(cid.clone()),
                ap_id: Set(format!("http://localhost:8099/comments/{cid}")),
                post_id: Set(post_id),
                // Friends of the viewer, the viewer among them every tenth comment.
                author_id: Set(if i % 10 == 9 {
                    1
                } else {
                    2 + (i as i64 % friends)
                }),
                body: Set(format!("Comment {i}: sounds like a good day!")),
                content_html: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        comment::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&db.conn)
            .await?;
    }
    db.close().await?;
    Ok(id)
}

/// One page's figures.
struct Figures {
    p50: f64,
    p99: f64,
    bytes: usize,
}

async fn time_page(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: &str,
    args: &Args,
) -> anyhow::Result<Figures> {
    let get = || async {
        let start = Instant::now();
        let resp = client
            .get(format!("{base}{path}"))
            .header("accept", "text/html")
            .header("cookie", cookie)
            .send()
            .await?;
        let status = resp.status();
        let html = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let body = resp.bytes().await?;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(status == 200 && html, "{path}: {status}, html: {html}");
        Ok::<_, anyhow::Error>((ms, body.len()))
    };
    let mut bytes = 0;
    for _ in 0..args.warmup {
        bytes = get().await?.1;
    }
    let mut times = Vec::with_capacity(args.requests);
    for _ in 0..args.requests {
        let (ms, len) = get().await?;
        bytes = len;
        times.push(ms);
    }
    times.sort_by(f64::total_cmp);
    Ok(Figures {
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        bytes,
    })
}

/// A row of the table: database, page, figures.
type Row = (&'static str, String, Figures);

async fn measure(
    label: &'static str,
    url: &str,
    dir: &std::path::Path,
    args: &Args,
) -> anyhow::Result<Vec<Row>> {
    let mut rng = StdRng::seed_from_u64(42);
    let t0 = Instant::now();
    let seed_args = timeline::Args::for_seeding(args.posts, args.friends, args.members);
    let account_id = timeline::seed(url, &seed_args, &mut rng)
        .await
        .context("seeding")?;
    let diary = seed_diary(url, args).await.context("seeding the diary")?;
    let seeded = t0.elapsed();
    let db = enishi_db::connect(url, 2).await?;
    let secret = enishi_db::browser_sessions::create(&db, account_id, "enishi-bench").await?;
    db.close().await?;

    // The database was claimed for localhost:8099; the server must use that domain.
    let mut config = enishi_server::default_config(url, dir);
    config.instance.domain = "localhost:8099".into();
    config.instance.scheme = enishi_core::Scheme::Http;
    config.run_workers = false;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let running = enishi_server::start(config, listener, std::future::pending()).await?;
    let client = reqwest::Client::new();
    let cookie = format!("enishi_session={secret}");
    let pages = [
        ("home (GET /)".to_owned(), "/".to_owned()),
        (
            format!("diary, {} comments", args.comments),
            format!("/diaries/{diary}"),
        ),
    ];
    let mut rows = Vec::new();
    for (name, path) in &pages {
        let f = time_page(&client, &base, path, &cookie, args).await?;
        rows.push((label, name.clone(), f));
    }
    running.stop().await?;
    println!(
        "{label}: seeded {} posts and a diary with {} comments in {:.1}s",
        args.posts,
        args.comments,
        seeded.as_secs_f64()
    );
    Ok(rows)
}

/// Runs the benchmark on the chosen databases.
pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "page render: 1 member with {} friends among {} members, {} posts; {} warm-up and {} measured requests per page; in-process server, loopback HTTP",
        args.friends, args.members, args.posts, args.warmup, args.requests
    );
    println!("targets: p50 < {TARGET_P50} ms, p99 < {TARGET_P99} ms");
    let dir = std::env::temp_dir().join(format!("enishi-bench-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut rows = Vec::new();
    if args.db == "sqlite" || args.db == "both" {
        let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
        rows.extend(measure("sqlite", &url, &dir, &args).await?);
    }
    if args.db == "postgres" || args.db == "both" {
        let name = format!("enishi_bench_pages_{}", std::process::id());
        let admin = sea_orm::Database::connect(&args.postgres).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let url = format!("{}/{name}", args.postgres.rsplit_once('/').unwrap().0);
        let result = measure("postgres", &url, &dir, &args).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        rows.extend(result?);
    }
    std::fs::remove_dir_all(&dir)?;
    println!();
    println!("| database | page                 | p50 ms | p99 ms |  KiB  | target |");
    println!("|----------|----------------------|-------:|-------:|------:|--------|");
    for (db, name, f) in rows {
        let met = f.p50 < TARGET_P50 && f.p99 < TARGET_P99;
        println!(
            "| {db:<8} | {name:<20} | {:>6.2} | {:>6.2} | {:>5.1} | {:<6} |",
            f.p50,
            f.p99,
            f.bytes as f64 / 1024.0,
            if met { "met" } else { "missed" }
        );
    }
    Ok(())
}

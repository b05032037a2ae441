//! Photo benchmark (issue 15): uploads per second of a 3 MB phone JPEG with all processing
//! (sniff, decode, orientation, re-encode, thumbnail, BlurHash, two store writes, one row),
//! the peak RSS of a burst of parallel uploads, and the latency of serving a thumbnail with
//! its key checked, on SQLite and PostgreSQL.
//!
//! The server is the `enishi` binary built beside this one (`enishi serve --no-workers`, the
//! local file store), a process of its own driven over loopback HTTP, so that the peak RSS is
//! the server's alone: not the client's copies of the upload bodies, nor the photo this
//! benchmark generates.

use crate::timeline::percentile;
use image::codecs::jpeg::JpegEncoder;
use rand::{Rng, SeedableRng};
use sea_orm::ConnectionTrait;
use std::time::Instant;

/// Options of `enishi-bench media`.
#[derive(clap::Args)]
pub struct Args {
    /// Databases to measure: sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    db: String,
    /// Uploads measured one after another.
    #[arg(long, default_value_t = 20)]
    uploads: usize,
    /// Uploads sent at once for the memory figure.
    #[arg(long, default_value_t = 20)]
    burst: usize,
    /// Thumbnail requests measured (after the warm-up).
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// Warm-up thumbnail requests, not measured.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Base PostgreSQL URL (a database is created and dropped on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
}

/// The memory target of issue 15.
const TARGET_RSS_MB: f64 = 300.0;

/// A 4032×3024 photo-like JPEG (a 12-megapixel phone's size) of about 3 MB: gradients with
/// noise, which compresses as badly as a real scene does.
fn phone_jpeg() -> anyhow::Result<Vec<u8>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let (w, h) = (4032u32, 3024u32);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let n: i32 = rng.gen_range(-14..14);
        let c = |v: u32| (v as i32 + n).clamp(0, 255) as u8;
        image::Rgb([c(x * 255 / w), c(y * 255 / h), c((x + y) * 255 / (w + h))])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 88).encode_image(&img)?;
    Ok(out)
}

async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    photo: &[u8],
) -> anyhow::Result<serde_json::Value> {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(photo.to_vec())
            .file_name("IMG_0001.JPG")
            .mime_str("image/jpeg")?,
    );
    let r = client
        .post(format!("{base}/api/v1/media"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = r.status();
    let body: serde_json::Value = r.json().await?;
    anyhow::ensure!(status == 201, "upload: {status} {body}");
    Ok(body)
}

/// Peak RSS of process `pid` in MiB since the last reset.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Starts the peak RSS of `pid` afresh (Linux: writing 5 to `clear_refs`).
fn reset_peak_rss(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// The `enishi` server, a child process; stopped when dropped.
struct Server {
    child: std::process::Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `enishi serve --no-workers` (the binary next to this one) on `url` and `dir`, at
/// `base`'s port, and waits until it answers.
async fn start_server(url: &str, dir: &std::path::Path, port: u16) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let binary = exe.with_file_name("enishi");
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: cargo build --release -p enishi-server -p enishi-bench",
        binary.display()
    );
    let child = std::process::Command::new(&binary)
        .args(["serve", "--no-workers"])
        .env("ENISHI_DATABASE_URL", url)
        .env("ENISHI_DATA_DIR", dir)
        .env("ENISHI_DOMAIN", format!("localhost:{port}"))
        .env("ENISHI_SCHEME", "http")
        .env("ENISHI_BIND", format!("127.0.0.1:{port}"))
        .env("ENISHI_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let server = Server { child };
    let probe = format!("http://127.0.0.1:{port}/nodeinfo/2.1");
    for _ in 0..600 {
        if reqwest::get(&probe).await.is_ok_and(|r| r.status() == 200) {
            return Ok(server);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not answer at {probe} within a minute")
}

/// One database's figures.
struct Figures {
    uploads_per_sec: f64,
    upload_p50_ms: f64,
    burst_secs: f64,
    burst_rss_mb: Option<f64>,
    thumb_p50_ms: f64,
    thumb_p99_ms: f64,
}

async fn measure(
    url: &str,
    dir: &std::path::Path,
    photo: &[u8],
    args: &Args,
) -> anyhow::Result<Figures> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let server = start_server(url, dir, port).await?;
    let pid = server.child.id();
    let mut config = enishi_server::default_config(url, dir);
    config.instance.domain = format!("localhost:{port}");
    let db = enishi_db::connect(url, 2).await?;
    let keys = tokio::task::spawn_blocking(enishi_apub::keys::generate_actor_keys).await?;
    let member = enishi_db::accounts::create(
        &db,
        &config.instance,
        enishi_db::accounts::NewMember {
            username: "bench",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?;
    let token = enishi_db::tokens::create(&db, member.account_id, "bench").await?;
    let client = reqwest::Client::new();

    // One after another: the rate a single member sees, processing included.
    upload(&client, &base, &token, photo).await?;
    let mut times = Vec::new();
    let t0 = Instant::now();
    let mut last = serde_json::Value::Null;
    for _ in 0..args.uploads {
        let t = Instant::now();
        last = upload(&client, &base, &token, photo).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let uploads_per_sec = args.uploads as f64 / t0.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);

    // A burst at once: processing queues behind the core count, so memory stays bounded.
    reset_peak_rss(pid);
    let t = Instant::now();
    let burst =
        futures::future::join_all((0..args.burst).map(|_| upload(&client, &base, &token, photo)))
            .await;
    let burst_secs = t.elapsed().as_secs_f64();
    let burst_rss_mb = peak_rss_mb(pid);
    for r in burst {
        r?;
    }

    // Serving a thumbnail: the key looked up, the file read from the store.
    let thumb = last["preview_url"].as_str().unwrap_or_default().to_owned();
    let get = || async {
        let t = Instant::now();
        let r = client.get(&thumb).send().await?;
        anyhow::ensure!(r.status() == 200, "thumbnail: {}", r.status());
        r.bytes().await?;
        Ok::<_, anyhow::Error>(t.elapsed().as_secs_f64() * 1000.0)
    };
    for _ in 0..args.warmup {
        get().await?;
    }
    let mut thumbs = Vec::with_capacity(args.requests);
    for _ in 0..args.requests {
        thumbs.push(get().await?);
    }
    thumbs.sort_by(f64::total_cmp);
    drop(server);
    db.close().await?;
    Ok(Figures {
        uploads_per_sec,
        upload_p50_ms: percentile(&times, 0.5),
        burst_secs,
        burst_rss_mb,
        thumb_p50_ms: percentile(&thumbs, 0.5),
        thumb_p99_ms: percentile(&thumbs, 0.99),
    })
}

/// Runs the benchmark on the chosen databases.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let photo = tokio::task::spawn_blocking(phone_jpeg).await??;
    println!(
        "photos: a 4032x3024 JPEG of {:.2} MB; {} uploads one after another, a burst of {}, {} warm-up and {} measured thumbnail requests; the enishi binary as its own process, local file store, loopback HTTP; peak RSS is the server's",
        photo.len() as f64 / 1e6,
        args.uploads,
        args.burst,
        args.warmup,
        args.requests
    );
    let mut rows = Vec::new();
    for db in ["sqlite", "postgres"] {
        if args.db != db && args.db != "both" {
            continue;
        }
        let dir =
            std::env::temp_dir().join(format!("enishi-bench-media-{db}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let figures = if db == "sqlite" {
            let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
            measure(&url, &dir, &photo, &args).await
        } else {
            let name = format!("enishi_bench_media_{}", std::process::id());
            let admin = sea_orm::Database::connect(&args.postgres).await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await?;
            let url = format!("{}/{name}", args.postgres.rsplit_once('/').unwrap().0);
            let result = measure(&url, &dir, &photo, &args).await;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await?;
            result
        };
        std::fs::remove_dir_all(&dir)?;
        rows.push((db, figures?));
    }
    println!();
    println!(
        "| database | uploads/s | upload p50 ms | burst s | burst peak RSS MiB | thumbnail p50 ms | p99 ms |"
    );
    println!(
        "|----------|----------:|--------------:|--------:|-------------------:|-----------------:|-------:|"
    );
    for (db, f) in rows {
        let rss = f.burst_rss_mb.map_or("n/a".to_owned(), |m| {
            format!(
                "{m:.0} ({})",
                if m < TARGET_RSS_MB { "met" } else { "missed" }
            )
        });
        println!(
            "| {db:<8} | {:>9.2} | {:>13.0} | {:>7.1} | {:>18} | {:>16.2} | {:>6.2} |",
            f.uploads_per_sec, f.upload_p50_ms, f.burst_secs, rss, f.thumb_p50_ms, f.thumb_p99_ms
        );
    }
    Ok(())
}

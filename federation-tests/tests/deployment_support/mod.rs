//! The deployment test's proxies (the shipped configuration files with a test certificate
//! and loopback ports put in) and its checks of the delivery workers and of client addresses.

use super::{Instance, Process, client};
use enishi_db::outbox::{self, Outgoing};
use enishi_federation_tests::Receiver;
use enishi_federation_tests::tls::Issued;
use serde_json::json;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `text` with `from` replaced by `to`, which must be there: a changed shipped file fails the
/// test loudly rather than leaving a part of it untested.
fn put(text: &str, from: &str, to: &str, file: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        text.contains(from),
        "{file} no longer contains {from:?}; update federation-tests/tests/deployment_support"
    );
    Ok(text.replacen(from, to, 1))
}

fn repository_file(path: &str) -> anyhow::Result<String> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).map_err(|e| anyhow::anyhow!("{}: {e}", full.display()))
}

/// `deploy/Caddyfile` serving `https://localhost:PUBLIC` with the test certificate, in front
/// of `127.0.0.1:WEB`, binding loopback only and with Caddy's admin API off.
pub fn caddy_config(dir: &Path, public: u16, web: u16, cert: &Issued) -> anyhow::Result<PathBuf> {
    const FILE: &str = "deploy/Caddyfile";
    std::fs::create_dir_all(dir)?;
    let shipped = repository_file(FILE)?;
    let site = put(
        &shipped,
        "social.example {",
        &format!(
            "https://localhost:{public} {{\n\tbind 127.0.0.1\n\ttls {} {}",
            cert.cert.display(),
            cert.key.display()
        ),
        FILE,
    )?;
    let site = put(
        &site,
        "reverse_proxy 127.0.0.1:8080 {",
        &format!("reverse_proxy 127.0.0.1:{web} {{"),
        FILE,
    )?;
    let global = format!(
        "{{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n\tstorage file_system {}\n}}\n\n",
        dir.join("storage").display()
    );
    let path = dir.join("Caddyfile");
    std::fs::write(&path, global + &site)?;
    Ok(path)
}

/// `deploy/nginx-enishi.conf` serving `https://localhost:PUBLIC` with the test certificate,
/// in front of the web processes on `web`, inside a main configuration of its own (no
/// daemon, files under `dir`). The port-80 redirect is left out: the test binds no port 80.
pub fn nginx_config(
    dir: &Path,
    public: u16,
    web: &[u16],
    cert: &Issued,
) -> anyhow::Result<PathBuf> {
    const FILE: &str = "deploy/nginx-enishi.conf";
    for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"] {
        std::fs::create_dir_all(dir.join(sub))?;
        // nginx's workers run as `nobody` when the test runs as root.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(sub), std::fs::Permissions::from_mode(0o777))?;
    }
    let shipped = repository_file(FILE)?;
    let redirect_start = shipped
        .find("server {\n    listen 80;")
        .ok_or_else(|| anyhow::anyhow!("{FILE}: no port-80 server block"))?;
    let redirect_end = redirect_start
        + shipped[redirect_start..]
            .find("}\n")
            .ok_or_else(|| anyhow::anyhow!("{FILE}: unclosed server block"))?
        + 2;
    let mut site = format!("{}{}", &shipped[..redirect_start], &shipped[redirect_end..]);
    site = put(
        &site,
        "    server 127.0.0.1:8080;\n    # server 127.0.0.1:8081;",
        &web.iter()
            .map(|p| format!("    server 127.0.0.1:{p};"))
            .collect::<Vec<_>>()
            .join("\n"),
        FILE,
    )?;
    site = put(
        &site,
        "listen 443 ssl http2;",
        &format!("listen 127.0.0.1:{public} ssl http2;"),
        FILE,
    )?;
    site = put(&site, "    listen [::]:443 ssl http2;\n", "", FILE)?;
    site = put(
        &site,
        "server_name social.example;",
        "server_name localhost;",
        FILE,
    )?;
    site = put(
        &site,
        "/etc/letsencrypt/live/social.example/fullchain.pem",
        &cert.cert.display().to_string(),
        FILE,
    )?;
    site = put(
        &site,
        "/etc/letsencrypt/live/social.example/privkey.pem",
        &cert.key.display().to_string(),
        FILE,
    )?;
    std::fs::write(dir.join("site.conf"), site)?;
    let main = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log stderr warn;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n\
         \x20   fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n\
         \x20   include {d}/site.conf;\n}}\n",
        d = dir.display()
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, main)?;
    Ok(path)
}

/// 5 activities to 200 inboxes on 20 stand-in hosts (which verify every signature, fetching
/// bob's key through nginx): one of B's two workers is stopped with SIGTERM once a fifth has
/// arrived; it finishes what it holds and exits, the other delivers the rest. Every inbox gets
/// every activity.
pub async fn fan_out_survives_a_stopped_worker(
    b: &Instance,
    ca: &Path,
    workers: &mut [Process],
) -> anyhow::Result<()> {
    const HOSTS: usize = 20;
    const PER_HOST: usize = 10;
    const ACTIVITIES: usize = 5;
    let receiver = Receiver::start(
        Path::new(env!("CARGO_BIN_EXE_receiver")),
        &[
            "--ports",
            &HOSTS.to_string(),
            "--slow",
            "150",
            "--ca",
            &ca.display().to_string(),
        ],
    )?;
    let inboxes = receiver.inboxes(PER_HOST);
    let db = enishi_db::connect(&b.db.url, 2).await?;
    let bob = enishi_db::accounts::find_by_username(&db, "bob")
        .await?
        .ok_or_else(|| anyhow::anyhow!("bob"))?
        .actor;
    let mut ids = BTreeSet::new();
    for n in 0..ACTIVITIES {
        let id = format!("{}/activities/fan-out-{n}", b.public);
        let object = format!("{}/voices/fan-out-{n}", b.public);
        let body = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id,
            "type": "Update", "actor": bob.ap_id.as_str(), "object": object})
        .to_string();
        outbox::enqueue(
            &db.conn,
            Outgoing {
                ap_id: &id,
                actor: bob.id,
                object_key: &object,
                body: &body,
            },
            &inboxes,
        )
        .await?;
        ids.insert(id);
    }
    db.close().await?;
    let total = inboxes.len() * ACTIVITIES;

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = receiver.received().await?.arrivals_us.len();
        if n >= total / 5 {
            anyhow::ensure!(
                n < total,
                "the fan-out ended before a worker could be stopped"
            );
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "only {n} of {total} arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = workers[0].terminate(Duration::from_secs(30))?;
    anyhow::ensure!(status.success(), "the stopped worker exited with {status}");

    receiver.wait_total(total, Duration::from_secs(90)).await?;
    // Give late duplicates a moment to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received().await?;
    anyhow::ensure!(
        received.refused == 0,
        "{} deliveries refused",
        received.refused
    );
    let mut duplicates = 0;
    for inbox in &inboxes {
        let key = format!(
            "{}{}",
            inbox.host_str().unwrap_or_default(),
            inbox.port().map(|p| format!(":{p}")).unwrap_or_default()
        ) + inbox.path();
        let list = received
            .by_inbox
            .get(&key)
            .ok_or_else(|| anyhow::anyhow!("{key} got nothing"))?;
        let unique: BTreeSet<&String> = list.iter().collect();
        anyhow::ensure!(
            unique.len() == ACTIVITIES && unique.iter().all(|id| ids.contains(*id)),
            "{key} got {unique:?}"
        );
        duplicates += list.len() - unique.len();
    }
    eprintln!("fan-out of {total} with a worker stopped half way: {duplicates} duplicates");
    // A stopped worker finishes what it has in flight and hands back what it had claimed, and
    // two workers never claim one row: nothing is delivered twice.
    anyhow::ensure!(duplicates == 0, "{duplicates} duplicates");
    Ok(())
}

/// The worker that kept running serves `/metrics` on its own address: the queue is empty and
/// its counters hold the larger part of the fan-out (it delivered at least everything left
/// after the other one stopped, and the fan-out was stopped a fifth of the way).
pub async fn a_worker_s_metrics_count_its_deliveries(port: u16) -> anyhow::Result<()> {
    let body = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await?
        .error_for_status()?
        .text()
        .await?;
    let value = |series: &str| -> anyhow::Result<u64> {
        body.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no {series} in {body}"))
    };
    let delivered = value("enishi_deliveries_total{outcome=\"delivered\"} ")?;
    anyhow::ensure!(
        delivered >= 500,
        "the remaining worker delivered {delivered} of 1,000"
    );
    anyhow::ensure!(value("enishi_outbox_depth ")? == 0, "{body}");
    Ok(())
}

/// The login limit keys on the client's real address: nginx passes it in X-Forwarded-For and
/// replaces whatever the client claimed there; a web process believes X-Forwarded-For from
/// the proxy (127.0.0.1) and from nobody else.
pub async fn forwarded_for_is_believed_only_from_the_proxy(
    b: &Instance,
    ca: &Path,
    web: &[u16],
) -> anyhow::Result<()> {
    let ip = |s: &str| -> anyhow::Result<IpAddr> { Ok(s.parse()?) };
    let attempt = |http: reqwest::Client, url: String, forwarded: Option<&'static str>| async move {
        let mut req = http.post(url).json(&json!({
            "username": format!("nobody{}", rand::random::<u32>()),
            "password": "wrong password"
        }));
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        anyhow::Ok(req.send().await?.status().as_u16())
    };
    let sessions = format!("{}/api/v1/sessions", b.public);
    // 127.0.0.2 tries until limited (each web process keeps its own count).
    let mallory = client(ca, Some(ip("127.0.0.2")?))?;
    let mut tries = 0;
    loop {
        tries += 1;
        let s = attempt(mallory.clone(), sessions.clone(), None).await?;
        if s == 429 {
            break;
        }
        anyhow::ensure!(s == 401, "a wrong login: {s}");
        anyhow::ensure!(tries < 60, "127.0.0.2 was never limited");
    }
    // Claiming another address through nginx changes nothing: nginx overwrites the header.
    let s = attempt(mallory.clone(), sessions.clone(), Some("127.0.0.99")).await?;
    anyhow::ensure!(s == 429, "a forged X-Forwarded-For through nginx: {s}");
    // Another client of the proxy is not limited.
    let s = attempt(client(ca, Some(ip("127.0.0.3")?))?, sessions.clone(), None).await?;
    anyhow::ensure!(s == 401, "127.0.0.3 through nginx: {s}");
    // Straight to a web process: the proxy's address may name the client, no other may.
    let mut limited_somewhere = false;
    for port in web {
        let direct = format!("http://127.0.0.1:{port}/api/v1/sessions");
        let from_proxy = attempt(
            client(ca, Some(ip("127.0.0.1")?))?,
            direct.clone(),
            Some("127.0.0.2"),
        )
        .await?;
        if from_proxy == 429 {
            limited_somewhere = true;
            let from_stranger = attempt(
                client(ca, Some(ip("127.0.0.4")?))?,
                direct,
                Some("127.0.0.2"),
            )
            .await?;
            anyhow::ensure!(
                from_stranger == 401,
                "X-Forwarded-For from 127.0.0.4, not a trusted proxy, was believed: {from_stranger}"
            );
        }
    }
    anyhow::ensure!(
        limited_somewhere,
        "neither web process limits 127.0.0.2 when the proxy names it"
    );
    Ok(())
}

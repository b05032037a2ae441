//! Operating an instance with the `enishi` binary, as the admin guide says: health and
//! readiness, JSON logs, and backups made while the instance serves, restored into new
//! databases and compared table by table — on SQLite and PostgreSQL.

mod common;

use common::process::{free_port, run, serve, serve_with, stop, text};
use enishi_db::entity::delivery;
use enishi_db::outbox::{self, Outgoing};
use enishi_testkit::{DbKind, TestDb};
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

enishi_testkit::main!(
    db: [
        sigterm_lets_a_request_in_flight_finish,
        health_and_readiness_say_what_fails,
        a_backup_made_while_serving_restores_every_table,
    ],
    plain: [logs_can_be_json_lines, the_admin_guide_s_commands_run],
);

/// The environment of an instance on `t`'s database, listening on `port`.
fn environment(t: &TestDb, port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("ENISHI_DATABASE_URL", t.url.clone()),
        ("ENISHI_DATA_DIR", t.dir.display().to_string()),
        ("ENISHI_DOMAIN", format!("localhost:{port}")),
        ("ENISHI_BIND", format!("127.0.0.1:{port}")),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn get(url: &str) -> anyhow::Result<(u16, Value)> {
    let r = reqwest::get(url).await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await?))
}

async fn health_and_readiness_say_what_fails(t: TestDb) -> anyhow::Result<()> {
    let port = free_port();
    let env = environment(&t, port);
    let created = run(
        &borrowed(&env),
        &["user", "create", "alice", "--generate-password"],
        None,
    )?;
    anyhow::ensure!(created.status.success(), "{}", text(&created.stderr));
    // No delivery workers: a queued delivery stays due.
    let (server, _) = serve_with(&borrowed(&env), &t.dir, &["--no-workers"])?;
    let base = format!("http://localhost:{port}");

    let (s, body) = get(&format!("{base}/healthz")).await?;
    anyhow::ensure!(s == 200 && body["status"] == "ok", "healthz: {s} {body}");
    let (s, body) = get(&format!("{base}/readyz")).await?;
    anyhow::ensure!(
        s == 200
            && body
                == json!({"status": "ready", "checks": {"database": "ok", "migrations": "ok", "queue": "ok"}}),
        "readyz: {s} {body}"
    );

    // A database whose schema is older than the build: not ready, and says which check.
    let config = enishi_server::default_config(&t.url, &t.dir);
    let db = enishi_db::connect(&config.database_url, 1).await?;
    let newest = enishi_db::tables::digest(&db).await?["seaql_migrations"].len();
    anyhow::ensure!(newest > 0, "migrations were recorded");
    let backend = db.conn.get_database_backend();
    db.conn
        .execute_raw(sea_orm::Statement::from_string(
            backend,
            "CREATE TABLE saved_migration AS SELECT * FROM seaql_migrations \
             WHERE version = (SELECT MAX(version) FROM seaql_migrations)",
        ))
        .await?;
    db.conn
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = (SELECT MAX(version) FROM seaql_migrations)",
        )
        .await?;
    let (s, body) = get(&format!("{base}/readyz")).await?;
    anyhow::ensure!(
        s == 503
            && body["status"] == "not_ready"
            && body["error"] == "not_ready"
            && body["checks"]["migrations"] == "failing"
            && body["checks"]["database"] == "ok",
        "readyz with a migration pending: {s} {body}"
    );
    let (s, _) = get(&format!("{base}/healthz")).await?;
    anyhow::ensure!(s == 200, "the process is still up: {s}");
    db.conn
        .execute_unprepared(
            "INSERT INTO seaql_migrations SELECT * FROM saved_migration; DROP TABLE saved_migration",
        )
        .await?;
    let (s, body) = get(&format!("{base}/readyz")).await?;
    anyhow::ensure!(s == 200, "readyz once migrated again: {s} {body}");

    // A delivery due for longer than the queue allows: the workers are not working.
    let alice = enishi_db::accounts::find_by_username(&db, "alice")
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice"))?
        .actor;
    let id = format!("{base}/activities/stuck");
    outbox::enqueue(
        &db.conn,
        Outgoing {
            ap_id: &id,
            actor: alice.id,
            object_key: &id,
            body: "{}",
        },
        &[url::Url::parse("http://localhost:1/inbox")?],
    )
    .await?;
    let (s, body) = get(&format!("{base}/readyz")).await?;
    anyhow::ensure!(s == 200, "a delivery just queued is no problem: {s} {body}");
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::NextAttemptAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(1)),
        )
        .exec(&db.conn)
        .await?;
    let (s, body) = get(&format!("{base}/readyz")).await?;
    anyhow::ensure!(
        s == 503 && body["checks"]["queue"] == "failing" && body["checks"]["migrations"] == "ok",
        "readyz with a delivery due for an hour: {s} {body}"
    );
    db.close().await?;
    stop(server)
}

async fn logs_can_be_json_lines() -> anyhow::Result<()> {
    let t = TestDb::create(DbKind::Sqlite).await?;
    let env = [
        ("ENISHI_DATABASE_URL", t.url.as_str()),
        ("ENISHI_DATA_DIR", t.dir.to_str().unwrap_or_default()),
        ("ENISHI_LOG_FORMAT", "json"),
        ("ENISHI_LOG", "info"),
    ];
    let out = common::process::enishi(&env).arg("migrate").output()?;
    anyhow::ensure!(out.status.success(), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    let lines: Vec<Value> = log
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("a log line is not JSON ({e}):\n{log}"))?;
    anyhow::ensure!(
        lines.iter().any(|l| l["level"] == "INFO"
            && l["fields"]["message"] == "applied database migrations"
            && l["fields"]["applied"].as_u64().is_some_and(|n| n > 0)
            && l["timestamp"].is_string()),
        "the migration is logged as a JSON object: {log}"
    );

    let wrong = run(&[("ENISHI_LOG_FORMAT", "yaml")], &["config", "check"], None)?;
    anyhow::ensure!(
        wrong.status.code() == Some(2) && text(&wrong.stderr).contains("ENISHI_LOG_FORMAT"),
        "an unknown log format is named: {:?} {}",
        wrong.status,
        text(&wrong.stderr)
    );
    t.destroy().await
}

/// Posts voices through the API until told to stop; counts them.
fn keep_writing(base: String, token: String, stop: Arc<AtomicBool>) -> Arc<AtomicUsize> {
    let written = Arc::new(AtomicUsize::new(0));
    let count = written.clone();
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        while !stop.load(Ordering::Relaxed) {
            let n = count.load(Ordering::Relaxed);
            let r = client
                .post(format!("{base}/api/v1/voices"))
                .bearer_auth(&token)
                .json(&json!({"text": format!("voice {n}"), "audience": "friends"}))
                .send()
                .await;
            if matches!(&r, Ok(r) if r.status() == 201) {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    written
}

async fn wait_for(written: &AtomicUsize, n: usize) -> anyhow::Result<()> {
    for _ in 0..600 {
        if written.load(Ordering::Relaxed) >= n {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the writer did not reach {n} voices")
}

/// `enishi backup FILE` in a thread, while the test's runtime goes on.
async fn backup(
    env: &[(&'static str, String)],
    file: &Path,
) -> anyhow::Result<std::process::Output> {
    let env = env.to_vec();
    let file = file.display().to_string();
    tokio::task::spawn_blocking(move || run(&borrowed(&env), &["backup", &file], None)).await?
}

async fn a_backup_made_while_serving_restores_every_table(t: TestDb) -> anyhow::Result<()> {
    let port = free_port();
    let env = environment(&t, port);
    let created = run(
        &borrowed(&env),
        &["user", "create", "alice", "--generate-password"],
        None,
    )?;
    anyhow::ensure!(created.status.success(), "{}", text(&created.stderr));
    let token = run(&borrowed(&env), &["token", "create", "alice"], None)?;
    let token = text(&token.stdout).trim().to_owned();
    let (server, _) = serve(&borrowed(&env), &t.dir)?;
    let base = format!("http://localhost:{port}");
    let files = TestDb::create(DbKind::Sqlite).await?; // a directory for the backup files
    let during = files.dir.join("during.backup");
    let after = files.dir.join("after.backup");

    // A backup while a member keeps posting.
    let halt = Arc::new(AtomicBool::new(false));
    let written = keep_writing(base.clone(), token.clone(), halt.clone());
    wait_for(&written, 5).await?;
    let before_backup = written.load(Ordering::Relaxed);
    let out = backup(&env, &during).await?;
    anyhow::ensure!(
        out.status.success(),
        "backup while serving: {}",
        text(&out.stderr)
    );
    wait_for(&written, before_backup + 5).await?;
    halt.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all_written = written.load(Ordering::Relaxed);

    // A backup of the quiet instance, never written over.
    let out = backup(&env, &after).await?;
    anyhow::ensure!(out.status.success(), "backup: {}", text(&out.stderr));
    let again = backup(&env, &after).await?;
    anyhow::ensure!(
        !again.status.success() && text(&again.stderr).contains("already exists"),
        "a second backup to the same file is refused: {}",
        text(&again.stderr)
    );
    anyhow::ensure!(
        !Path::new(&format!("{}.partial", after.display())).exists(),
        "no partial file is left"
    );

    // Restored into a new database, it holds exactly what the instance holds.
    let original = enishi_db::connect(&t.url, 1).await?;
    let expected = enishi_db::tables::digest(&original).await?;
    let voices = expected["post"].len();
    anyhow::ensure!(
        voices == all_written,
        "{voices} posts, {all_written} written"
    );
    let fresh = TestDb::create(t.kind).await?;
    let restored_env = vec![
        ("ENISHI_DATABASE_URL", fresh.url.clone()),
        ("ENISHI_DATA_DIR", fresh.dir.display().to_string()),
        ("ENISHI_DOMAIN", format!("localhost:{port}")),
    ];
    let out = run(
        &borrowed(&restored_env),
        &["restore", &after.display().to_string()],
        None,
    )?;
    anyhow::ensure!(out.status.success(), "restore: {}", text(&out.stderr));
    let restored = enishi_db::connect(&fresh.url, 1).await?;
    let got = enishi_db::tables::digest(&restored).await?;
    for (table, rows) in &expected {
        anyhow::ensure!(
            got.get(table) == Some(rows),
            "table {table} differs after the round trip: {} rows before, {:?} after",
            rows.len(),
            got.get(table).map(Vec::len)
        );
    }
    anyhow::ensure!(
        got.len() == expected.len(),
        "the same tables: {:?}",
        got.keys()
    );
    restored.close().await?;

    // The backup made during the writes is whole: it restores, and holds a moment's posts.
    let mid = TestDb::create(t.kind).await?;
    let out = run(
        &[
            ("ENISHI_DATABASE_URL", mid.url.as_str()),
            ("ENISHI_DATA_DIR", mid.dir.to_str().unwrap_or_default()),
            ("ENISHI_DOMAIN", &format!("localhost:{port}")),
        ],
        &["restore", &during.display().to_string()],
        None,
    )?;
    anyhow::ensure!(out.status.success(), "restore: {}", text(&out.stderr));
    let mid_db = enishi_db::connect(&mid.url, 1).await?;
    let mid_posts = enishi_db::tables::count(&mid_db, "post").await? as usize;
    anyhow::ensure!(
        (before_backup..all_written).contains(&mid_posts),
        "the backup made while posting holds {mid_posts} posts (between {before_backup} and {all_written})"
    );
    mid_db.close().await?;

    // Restoring over a database in use is refused.
    let out = run(
        &borrowed(&env),
        &["restore", &after.display().to_string()],
        None,
    )?;
    let refusal = text(&out.stderr);
    anyhow::ensure!(
        !out.status.success()
            && (refusal.contains("already exists") || refusal.contains("not empty")),
        "restoring over the live database: {refusal}"
    );
    original.close().await?;
    stop(server)?;

    // On SQLite, --replace sets the old file aside and restores in its place.
    if t.kind == DbKind::Sqlite {
        let out = run(
            &borrowed(&env),
            &["restore", &during.display().to_string(), "--replace"],
            None,
        )?;
        anyhow::ensure!(
            out.status.success(),
            "restore --replace: {}",
            text(&out.stderr)
        );
        anyhow::ensure!(
            text(&out.stdout).contains("set aside as"),
            "{}",
            text(&out.stdout)
        );
        let db = enishi_db::connect(&t.url, 1).await?;
        let n = enishi_db::tables::count(&db, "post").await? as usize;
        anyhow::ensure!(n == mid_posts, "the replaced database has {n} posts");
        db.close().await?;
    }
    fresh.destroy().await?;
    mid.destroy().await?;
    files.destroy().await
}

/// A request whose body is still arriving when SIGTERM comes is answered in full; the process
/// then exits cleanly, and no new connection is taken meanwhile.
async fn sigterm_lets_a_request_in_flight_finish(t: TestDb) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let port = free_port();
    let env = environment(&t, port);
    let created = run(
        &borrowed(&env),
        &["user", "create", "alice", "--generate-password"],
        None,
    )?;
    anyhow::ensure!(created.status.success(), "{}", text(&created.stderr));
    let token = run(&borrowed(&env), &["token", "create", "alice"], None)?;
    let token = text(&token.stdout).trim().to_owned();
    let (mut server, _) = serve(&borrowed(&env), &t.dir)?;

    let body = br#"{"text": "posted while the server stops", "audience": "public"}"#;
    let (first, rest) = body.split_at(20);
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port))?;
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        conn,
        "POST /api/v1/voices HTTP/1.1\r\nHost: localhost:{port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    conn.write_all(first)?;
    conn.flush()?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.0.as_ref().map(|c| c.id()).unwrap_or_default();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Stopping: no new connections are served.
    let fresh = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    anyhow::ensure!(
        fresh.is_err(),
        "a new request was served after SIGTERM: {fresh:?}"
    );
    conn.write_all(rest)?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer)?;
    anyhow::ensure!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight was not answered in full: {answer:?}"
    );
    let child = server.0.as_mut().expect("running");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "serve did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    server.0 = None;
    anyhow::ensure!(status.success(), "serve exited with {status}");
    // The voice was stored.
    let db = enishi_db::connect(&t.url, 1).await?;
    let n = enishi_db::tables::count(&db, "post").await?;
    db.close().await?;
    anyhow::ensure!(n == 1, "{n} posts stored");
    Ok(())
}

/// The admin guide's commands that other tests do not run, as it writes them: the queue, the
/// photo store, invites, and the move to PostgreSQL from the command line.
async fn the_admin_guide_s_commands_run() -> anyhow::Result<()> {
    let t = TestDb::create(DbKind::Sqlite).await?;
    let target = TestDb::create(DbKind::Postgres).await?;
    let env = environment(&t, free_port());
    let env = borrowed(&env);
    let ok = |args: &[&str]| -> anyhow::Result<String> {
        let out = run(&env, args, None)?;
        anyhow::ensure!(
            out.status.success(),
            "enishi {}: {}",
            args.join(" "),
            text(&out.stderr)
        );
        Ok(text(&out.stdout))
    };
    ok(&["user", "create", "alice", "--admin", "--generate-password"])?;
    let code = ok(&[
        "invite",
        "create",
        "--max-uses",
        "5",
        "--expires-in-days",
        "14",
    ])?;
    anyhow::ensure!(code.trim().len() >= 8, "an invite code: {code:?}");
    let status = ok(&["queue", "status"])?;
    anyhow::ensure!(
        status.contains("depth") && status.contains("dead-lettered"),
        "{status}"
    );
    let retried = ok(&["queue", "retry-dead", "--host", "down.example"])?;
    anyhow::ensure!(retried.contains("requeued 0"), "{retried}");
    let usage = ok(&["media", "usage"])?;
    anyhow::ensure!(
        usage.contains("photos") && usage.contains("bytes"),
        "{usage}"
    );
    let pruned = ok(&["media", "prune"])?;
    anyhow::ensure!(pruned.contains("uploads never attached"), "{pruned}");

    let moved = ok(&["db", "move-to-postgres", &target.url])?;
    anyhow::ensure!(moved.contains("moved") && moved.contains("rows"), "{moved}");
    let on_postgres: Vec<(&str, &str)> = env
        .iter()
        .map(|(k, v)| {
            if *k == "ENISHI_DATABASE_URL" {
                (*k, target.url.as_str())
            } else {
                (*k, *v)
            }
        })
        .collect();
    let listed = run(&on_postgres, &["user", "list"], None)?;
    anyhow::ensure!(
        text(&listed.stdout).contains("alice") && text(&listed.stdout).contains("admin"),
        "the member moved: {}",
        text(&listed.stdout)
    );
    let again = run(&env, &["db", "move-to-postgres", &target.url], None)?;
    anyhow::ensure!(
        !again.status.success() && text(&again.stderr).contains("not empty"),
        "a second move into the same database is refused: {}",
        text(&again.stderr)
    );
    let not_postgres = run(&env, &["db", "move-to-postgres", "mysql://x/y"], None)?;
    anyhow::ensure!(
        !not_postgres.status.success()
            && text(&not_postgres.stderr).contains("not a PostgreSQL URL"),
        "{}",
        text(&not_postgres.stderr)
    );
    target.destroy().await?;
    t.destroy().await
}

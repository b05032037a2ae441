//! Crash safety of the outbox (issue 4): a fan-out of 5 activities to 200 inboxes on 20
//! stand-in hosts (which verify every signature with the federation crate), a real `enishi`
//! process killed with SIGKILL in the middle, restarted, and every inbox must end up with every
//! activity — duplicates allowed and counted, none missing. On SQLite and PostgreSQL.

use enishi_apub::keys::generate_actor_keys;
use enishi_db::accounts::{self, NewMember};
use enishi_db::outbox::{self, Outgoing};
use enishi_federation_tests::Receiver;
use enishi_testkit::TestDb;
use serde_json::json;
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use url::Url;

enishi_testkit::main!(db: [a_killed_instance_loses_no_delivery]);

const HOSTS: usize = 20;
const INBOXES_PER_HOST: usize = 10;
const ACTIVITIES: usize = 5;

struct Killable(Child);

impl Drop for Killable {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn receiver() -> anyhow::Result<Receiver> {
    Receiver::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_receiver")),
        &["--ports", &HOSTS.to_string(), "--slow", "15"],
    )
}

fn enishi(t: &TestDb, port: u16) -> anyhow::Result<Killable> {
    let child = Command::new(env!("CARGO_BIN_EXE_enishi-node"))
        .arg("serve")
        .env_clear()
        .env("ENISHI_DATABASE_URL", &t.url)
        .env("ENISHI_DATA_DIR", &t.dir)
        .env("ENISHI_DOMAIN", format!("localhost:{port}"))
        .env("ENISHI_BIND", format!("127.0.0.1:{port}"))
        .env("ENISHI_DELIVERY_CONCURRENCY", "16")
        .env("ENISHI_DELIVERY_RETRY_BASE_MS", "200")
        .env("ENISHI_DELIVERY_LEASE_SECS", "2")
        .env("ENISHI_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(Killable(child))
}

async fn a_killed_instance_loses_no_delivery(t: TestDb) -> anyhow::Result<()> {
    let receiver = receiver()?;
    let ports = receiver.ports.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut config = enishi_server::default_config(&t.url, &t.dir);
    config.instance.domain = format!("localhost:{port}");

    // The fan-out: 5 activities by alice, each to 200 inboxes, queued before the process starts.
    let db = enishi_server::open_database(&config).await?;
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let alice = accounts::create(
        &db,
        &config.instance,
        NewMember {
            username: "alice",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?
    .actor;
    let inboxes: Vec<Url> = ports
        .iter()
        .flat_map(|p| {
            (0..INBOXES_PER_HOST)
                .map(move |i| Url::parse(&format!("http://localhost:{p}/inbox/{i}")).unwrap())
        })
        .collect();
    assert_eq!(inboxes.len(), 200);
    let mut ids = BTreeSet::new();
    for n in 0..ACTIVITIES {
        let id = format!("{}/activities/crash-{n}", config.instance.origin());
        let object = format!("{}/voices/{n}", config.instance.origin());
        let body = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Update", "actor": alice.ap_id.as_str(), "object": object}).to_string();
        outbox::enqueue(
            &db.conn,
            Outgoing {
                ap_id: &id,
                actor: alice.id,
                object_key: &object,
                body: &body,
            },
            &inboxes,
        )
        .await?;
        ids.insert(id);
    }
    let total = inboxes.len() * ACTIVITIES;

    // Start, wait until part of the fan-out has arrived, then SIGKILL.
    let mut first = enishi(&t, port)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let at_kill = loop {
        let n = receiver.received().await?.arrivals_us.len();
        if n >= total / 5 {
            first.0.kill()?; // SIGKILL
            first.0.wait()?;
            break n;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no progress before the kill ({n})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    anyhow::ensure!(
        at_kill < total,
        "the fan-out finished before the kill ({at_kill}/{total}); nothing was tested"
    );
    drop(first);

    // Restart: everything must arrive.
    let _second = enishi(&t, port)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = receiver.received().await?;
        let (got, refused) = (r.by_inbox, r.refused);
        anyhow::ensure!(refused == 0, "{refused} deliveries failed verification");
        let complete = inboxes.iter().all(|inbox| {
            let key = format!(
                "{}:{}{}",
                inbox.host_str().unwrap(),
                inbox.port().unwrap(),
                inbox.path()
            );
            got.get(&key)
                .is_some_and(|v| v.iter().cloned().collect::<BTreeSet<_>>() == ids)
        });
        if complete {
            let arrivals: usize = got.values().map(Vec::len).sum();
            eprintln!(
                "crash test ({:?}): killed after {at_kill}/{total} arrivals; all {total} delivered after restart, {} duplicates",
                t.kind,
                arrivals - total
            );
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "deliveries missing after restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = outbox::status(&db).await?;
    anyhow::ensure!(status.dead == 0, "{status:?}");
    Ok(())
}

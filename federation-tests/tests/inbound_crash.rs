//! Crash safety of the inbox (issue 19): a flood of signed `Create{Note}`s, each mentioning a
//! member, into a real `enishi` process that is killed with SIGKILL in the middle. After a
//! restart, every activity that got a 2xx before the kill is stored, and every stored one is
//! recorded as handled (the change and its record commit together); then the sender delivers
//! everything again, and every activity is stored exactly once, with exactly one notice to the
//! member and one record of having been handled. On SQLite and PostgreSQL.

use enishi_apub::keys::generate_actor_keys;
use enishi_db::accounts::{self, NewMember};
use enishi_federation_tests::cluster::Node;
use enishi_federation_tests::flood::{self, Answer, Sender, Shape};
use enishi_testkit::{DbKind, TestDb};
use futures::StreamExt;
use sea_orm::{ConnectionTrait, Statement};
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use url::Url;

enishi_testkit::main!(db: [a_killed_inbox_keeps_what_it_acknowledged_once]);

const ACTIVITIES: usize = 600;
const KILL_AFTER: usize = 120;
const CONNECTIONS: usize = 8;

struct Killable(Child);

impl Drop for Killable {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn enishi(t: &TestDb, port: u16) -> anyhow::Result<Killable> {
    let child = Command::new(env!("CARGO_BIN_EXE_enishi-node"))
        .arg("serve")
        .env_clear()
        .env("ENISHI_DATABASE_URL", &t.url)
        .env("ENISHI_DATA_DIR", &t.dir)
        .env("ENISHI_DOMAIN", format!("localhost:{port}"))
        .env("ENISHI_BIND", format!("127.0.0.1:{port}"))
        .env("ENISHI_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(Killable(child))
}

async fn wait_up(port: u16) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
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
    anyhow::bail!("enishi on {port} did not come up")
}

/// `SELECT COUNT(*)` of `sql`'s rows.
async fn count(conn: &sea_orm::DatabaseConnection, sql: &str) -> anyhow::Result<usize> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM ({sql}) AS counted"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count for {sql}"))?;
    Ok(row.try_get::<i64>("", "n")? as usize)
}

fn acknowledged(answers: &[Answer]) -> BTreeSet<String> {
    answers
        .iter()
        .filter(|a| (200..300).contains(&a.status))
        .map(|a| a.id.clone())
        .collect()
}

async fn a_killed_inbox_keeps_what_it_acknowledged_once(t: TestDb) -> anyhow::Result<()> {
    let remote = Node::start(DbKind::Sqlite).await?;
    let author = remote.member("nagi").await?;
    let sender = Sender::member(&remote.run.db, &author.ap_id).await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut config = enishi_server::default_config(&t.url, &t.dir);
    config.instance.domain = format!("localhost:{port}");
    let db = enishi_server::open_database(&config).await?;
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let mika = accounts::create(
        &db,
        &config.instance,
        NewMember {
            username: "mika",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?
    .actor;
    db.close().await?;

    let inbox = Url::parse(&format!("http://localhost:{port}/inbox"))?;
    let shape = Shape::Mentioning {
        member: mika.ap_id.clone(),
    };
    let activities = (0..ACTIVITIES)
        .map(|n| {
            (
                sender.clone(),
                flood::create_note(&sender, "crash", n, &shape),
            )
        })
        .collect();
    let deliveries =
        tokio::task::spawn_blocking(move || flood::sign_all(&inbox, activities)).await??;
    let client = flood::client(CONNECTIONS)?;

    // The flood, killed once KILL_AFTER deliveries have been acknowledged.
    let mut first = enishi(&t, port)?;
    wait_up(port).await?;
    let mut answers = Vec::new();
    let mut killed_at = None;
    let sends: Vec<_> = deliveries
        .iter()
        .map(|d| flood::send_one(&client, d))
        .collect();
    let mut stream = futures::stream::iter(sends).buffer_unordered(CONNECTIONS);
    while let Some(answer) = stream.next().await {
        answers.push(answer);
        if killed_at.is_none() && acknowledged(&answers).len() >= KILL_AFTER {
            first.0.kill()?; // SIGKILL
            first.0.wait()?;
            killed_at = Some(answers.len());
        }
    }
    drop(stream);
    drop(first);
    let before = acknowledged(&answers);
    anyhow::ensure!(killed_at.is_some(), "the flood never reached {KILL_AFTER}");
    anyhow::ensure!(
        before.len() < ACTIVITIES,
        "every delivery was acknowledged before the kill took effect; nothing was tested"
    );

    // Restart: what was acknowledged is there, once.
    let _second = enishi(&t, port)?;
    wait_up(port).await?;
    let conn = sea_orm::Database::connect(&t.url).await?;
    let stored = |id: &str| id.trim_end_matches("/activity").to_owned();
    let acknowledged_list = before
        .iter()
        .map(|id| format!("'{}'", stored(id)))
        .collect::<Vec<_>>()
        .join(",");
    let kept = count(
        &conn,
        &format!("SELECT ap_id FROM post WHERE ap_id IN ({acknowledged_list})"),
    )
    .await?;
    anyhow::ensure!(
        kept == before.len(),
        "{} deliveries were acknowledged before the kill, but only {kept} of their posts were kept",
        before.len()
    );

    // The change and the record of having handled it commit together: no post without its
    // record, and no record without its post, whatever moment the kill came at.
    let unrecorded = count(
        &conn,
        "SELECT p.ap_id FROM post p WHERE p.ap_id LIKE '%/flood/crash/%' AND NOT EXISTS \
         (SELECT 1 FROM inbound_activity i WHERE i.ap_id = p.ap_id || '/activity')",
    )
    .await?;
    let unstored = count(
        &conn,
        "SELECT i.ap_id FROM inbound_activity i WHERE i.ap_id LIKE '%/flood/crash/%' AND NOT EXISTS \
         (SELECT 1 FROM post p WHERE p.ap_id || '/activity' = i.ap_id)",
    )
    .await?;
    anyhow::ensure!(
        unrecorded == 0 && unstored == 0,
        "after the kill: {unrecorded} posts without the record of their activity, {unstored} records without their post"
    );

    // The sender delivers everything again (as a sender whose requests failed would, and as
    // one that retries what it is unsure of).
    let again = flood::send_all(&client, &deliveries, CONNECTIONS).await;
    let refused: Vec<&Answer> = again
        .iter()
        .filter(|a| !(200..300).contains(&a.status))
        .collect();
    anyhow::ensure!(
        refused.is_empty(),
        "redeliveries refused: {:?}",
        &refused[..refused.len().min(5)]
    );

    let posts = count(
        &conn,
        "SELECT ap_id FROM post WHERE ap_id LIKE '%/flood/crash/%'",
    )
    .await?;
    let distinct = count(
        &conn,
        "SELECT DISTINCT ap_id FROM post WHERE ap_id LIKE '%/flood/crash/%'",
    )
    .await?;
    anyhow::ensure!(
        posts == ACTIVITIES && distinct == ACTIVITIES,
        "{posts} posts ({distinct} distinct) for {ACTIVITIES} activities"
    );
    let notices = count(
        &conn,
        &format!(
            "SELECT n.id FROM notification n JOIN post p ON p.id = n.post_id \
             WHERE n.recipient_id = {} AND p.ap_id LIKE '%/flood/crash/%'",
            mika.id.0
        ),
    )
    .await?;
    anyhow::ensure!(
        notices == ACTIVITIES,
        "{notices} notices to the member for {ACTIVITIES} mentions"
    );
    let records = count(
        &conn,
        "SELECT ap_id FROM inbound_activity WHERE ap_id LIKE '%/flood/crash/%'",
    )
    .await?;
    anyhow::ensure!(
        records == ACTIVITIES,
        "{records} records of handled activities for {ACTIVITIES}"
    );
    eprintln!(
        "inbound crash test ({:?}): killed after {} answers, {} acknowledged; all {ACTIVITIES} stored once after the redelivery",
        t.kind,
        killed_at.unwrap_or(0),
        before.len()
    );
    conn.close().await?;
    remote.stop().await?;
    Ok(())
}

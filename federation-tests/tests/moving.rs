//! `enishi db move-to-postgres`: an SQLite instance with a friend on another server moves to
//! PostgreSQL and carries on as the same instance — same keys, same friendships — so the
//! friend still receives its friends-only diaries and its member still receives the friend's
//! comments. And a move interrupted half way resumes without copying a row twice.

use enishi_db::tables;
use enishi_federation_tests::cluster::{Node, befriend, eventually, find_item};
use enishi_server::move_db::move_to_postgres;
use enishi_testkit::{DbKind, TestDb};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

enishi_testkit::main!(
    db: [],
    plain: [
        a_moved_instance_keeps_its_friends,
        an_interrupted_move_resumes_where_it_stopped,
    ],
);

async fn diary(m: &enishi_federation_tests::cluster::Member, title: &str) -> anyhow::Result<Value> {
    let (s, body) = m
        .api
        .post(
            "/api/v1/diaries",
            json!({ "title": title, "body": format!("{title}, by {}", m.name), "audience": "friends" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "diary: {s} {body}");
    Ok(body)
}

async fn reaches(
    m: &enishi_federation_tests::cluster::Member,
    ap_id: &str,
) -> anyhow::Result<Value> {
    eventually(&format!("{ap_id} reaches {}", m.name), || async {
        let t = m.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", ap_id).cloned())
    })
    .await
}

async fn a_moved_instance_keeps_its_friends() -> anyhow::Result<()> {
    let a = Node::start(DbKind::Sqlite).await?;
    let b = Node::start(DbKind::Postgres).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let carol = b.member("carol").await?;
    befriend(&alice, &bob).await?;
    let before = diary(&alice, "Before the move").await?;
    reaches(&bob, before["ap_id"].as_str().unwrap_or_default()).await?;

    // Alice's instance stops, moves to PostgreSQL, and starts again on the same address.
    let Node {
        run, db: sqlite, ..
    } = a;
    let mut config = run.config.clone();
    let port = run.config.bind.port();
    run.stop().await?;
    let postgres = TestDb::create(DbKind::Postgres).await?;
    let moved = move_to_postgres(&config, &postgres.url, &|_, _, _| true).await?;
    anyhow::ensure!(
        moved.report.rows > 0 && !moved.resumed_snapshot,
        "{:?}",
        moved.report
    );
    config.database_url = postgres.url.clone();
    let a = Node {
        run: enishi_server::start_on_loopback(config, port).await?,
        db: postgres,
        http: reqwest::Client::new(),
    };

    // Alice's token, session and friendship came along; her new friends-only diary reaches
    // bob (signed with the key bob's server already knows) and nobody else.
    let rel = alice.relationship(&bob.handle).await?;
    anyhow::ensure!(rel["friend"] == true, "still friends after the move: {rel}");
    let after = diary(&alice, "After the move").await?;
    let ap_id = after["ap_id"].as_str().unwrap_or_default().to_owned();
    let copy = reaches(&bob, &ap_id).await?;
    let t = carol.api.ok("/api/v1/timeline").await?;
    anyhow::ensure!(
        find_item(&t, "ap_id", &ap_id).is_none(),
        "carol is not a friend: {t}"
    );

    // Bob's comment on it reaches alice's moved instance, which verifies his signature.
    let (s, comment) = bob
        .api
        .post(
            &format!(
                "/api/v1/diaries/{}/comments",
                copy["id"].as_str().unwrap_or_default()
            ),
            json!({ "text": "Welcome to PostgreSQL" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "bob's comment: {s} {comment}");
    let comment_ap = comment["ap_id"].as_str().unwrap_or_default().to_owned();
    let id = after["id"].as_str().unwrap_or_default().to_owned();
    eventually("alice sees bob's comment", || async {
        let list = alice
            .api
            .ok(&format!("/api/v1/diaries/{id}/comments"))
            .await?;
        Ok(find_item(&list, "ap_id", &comment_ap).map(|_| ()))
    })
    .await?;

    a.stop().await?;
    b.stop().await?;
    sqlite.destroy().await
}

async fn an_interrupted_move_resumes_where_it_stopped() -> anyhow::Result<()> {
    let a = Node::start(DbKind::Sqlite).await?;
    a.member("alice").await?;
    // Enough rows in one table for several batches.
    let values: Vec<String> = (0..1_234)
        .map(|n| format!("('test-setting-{n}', 'value {n}')"))
        .collect();
    a.run
        .db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO instance_setting (key, value) VALUES {}",
            values.join(", ")
        ))
        .await?;
    let Node {
        run, db: sqlite, ..
    } = a;
    let config = run.config.clone();
    run.stop().await?;
    let source = enishi_db::connect(&config.database_url, 1).await?;
    let expected = tables::list(&source).await?;
    let mut expected_counts = Vec::new();
    for t in &expected {
        expected_counts.push((t.name.clone(), tables::count(&source, &t.name).await?));
    }
    source.close().await?;

    let postgres = TestDb::create(DbKind::Postgres).await?;
    // Stops after the first committed batch of instance settings (the callback hears of the
    // table once as it begins, then after each batch).
    let calls = AtomicUsize::new(0);
    let interrupt = |table: &str, _done: u64, _all: u64| {
        table != "instance_setting" || calls.fetch_add(1, Ordering::SeqCst) != 1
    };
    let first = move_to_postgres(&config, &postgres.url, &interrupt).await;
    anyhow::ensure!(
        first
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("interrupted")),
        "the first run is interrupted: {:?}",
        first.as_ref().map(|m| &m.report)
    );
    let target = enishi_db::connect(&postgres.url, 1).await?;
    let partial = tables::count(&target, "instance_setting").await?;
    anyhow::ensure!(
        partial > 0 && partial < 1_234,
        "part of the table was copied: {partial}"
    );
    // Run again, it continues from the last committed batch.
    let second = move_to_postgres(&config, &postgres.url, &|_, _, _| true).await?;
    anyhow::ensure!(
        second.resumed_snapshot && second.report.already_copied >= partial,
        "the second run continues: {:?}",
        second.report
    );
    for (name, n) in expected_counts {
        if name == tables::MIGRATIONS_TABLE {
            continue;
        }
        let got = tables::count(&target, &name).await?;
        anyhow::ensure!(got == n, "table {name}: {n} rows in SQLite, {got} moved");
    }
    anyhow::ensure!(
        !tables::list(&target)
            .await?
            .iter()
            .any(|t| t.name == "enishi_move_progress"),
        "the move's notes are gone once it is complete"
    );
    // Moving into a database that already holds an instance is refused.
    let third = move_to_postgres(&config, &postgres.url, &|_, _, _| true).await;
    anyhow::ensure!(
        third
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("not empty")),
        "a non-empty target is refused"
    );
    target.close().await?;
    postgres.destroy().await?;
    sqlite.destroy().await
}

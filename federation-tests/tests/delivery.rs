//! The durable outbox delivering to stand-in remote servers (the `receiver` binary, which
//! verifies every request with the federation crate's own inbox code), on SQLite and
//! PostgreSQL: signatures accepted, failing and dead hosts retried without holding up the
//! others, refusals dead-lettered, and activities about one object kept in order.

use enishi_apub::keys::generate_actor_keys;
use enishi_db::accounts::{self, NewMember};
use enishi_db::outbox::{self, Outgoing};
use enishi_server::{Running, default_config, start_on_free_port};
use enishi_testkit::TestDb;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use url::Url;

enishi_testkit::main!(db: [
    deliveries_reach_verifying_inboxes_and_failures_do_not_block,
    dead_and_slow_hosts_do_not_delay_others_and_backlogs_arrive_in_order,
    new_posts_reach_remote_friends_and_nobody_else,
]);

use enishi_federation_tests::{Receiver, closed_port};

fn start_receiver(args: &[&str]) -> anyhow::Result<Receiver> {
    Receiver::start(std::path::Path::new(env!("CARGO_BIN_EXE_receiver")), args)
}

async fn queue(
    run: &Running,
    actor: &enishi_core::Actor,
    object: &str,
    n: usize,
    inboxes: &[Url],
) -> anyhow::Result<String> {
    let id = format!("{}/activities/{}", run.base_url, uuid_like(n));
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Update",
        "actor": actor.ap_id.as_str(),
        "object": object,
    })
    .to_string();
    outbox::enqueue(
        &run.db.conn,
        Outgoing {
            ap_id: &id,
            actor: actor.id,
            object_key: object,
            body: &body,
        },
        inboxes,
    )
    .await?;
    run.wake.notify_one();
    Ok(id)
}

fn uuid_like(n: usize) -> String {
    format!("{n:08}-{}", std::process::id())
}

async fn deliveries_reach_verifying_inboxes_and_failures_do_not_block(
    t: TestDb,
) -> anyhow::Result<()> {
    let receiver = start_receiver(&["--ports", "3", "--behaviour", "1=fail"])?;
    let [ok, failing, other] = [receiver.ports[0], receiver.ports[1], receiver.ports[2]];
    let dead = closed_port();
    let mut config = default_config(&t.url, &t.dir);
    config.delivery.retry_base_ms = 200;
    config.delivery.timeout_secs = 2;
    config.access.metrics_bind = Some("127.0.0.1:0".parse()?);
    config.access.metrics_token = Some("a-metrics-token-for-tests".into());
    let run = start_on_free_port(config).await?;
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let alice = accounts::create(
        &run.db,
        &run.config.instance,
        NewMember {
            username: "alice",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?
    .actor;
    let inbox = |port: u16, name: &str| {
        Url::parse(&format!("http://localhost:{port}/inbox/{name}")).unwrap()
    };
    let targets = vec![
        inbox(ok, "a"),
        inbox(ok, "b"),
        inbox(failing, "c"),
        inbox(other, "d"),
        inbox(dead, "e"),
        inbox(ok, "a"),
    ];
    let object = format!("{}/diaries/1", run.base_url);
    let first = queue(&run, &alice, &object, 1, &targets).await?;
    let second = queue(
        &run,
        &alice,
        &object,
        2,
        &[inbox(ok, "a"), inbox(other, "d")],
    )
    .await?;
    let refused_path = Url::parse(&format!("http://localhost:{ok}/no-such-inbox"))?;
    queue(
        &run,
        &alice,
        &format!("{}/voices/9", run.base_url),
        3,
        &[refused_path],
    )
    .await?;

    // The healthy inboxes get both activities, in order, while the failing and dead hosts are
    // still being retried.
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        let r = receiver.received().await?;
        let (got, refused) = (r.by_inbox, r.refused);
        assert_eq!(
            refused, 0,
            "the federation crate's verifier accepted every signature"
        );
        let a = got.get(&format!("localhost:{ok}/inbox/a"));
        let d = got.get(&format!("localhost:{other}/inbox/d"));
        if a.is_some_and(|v| v.len() == 2)
            && d.is_some_and(|v| v.len() == 2)
            && got.contains_key(&format!("localhost:{ok}/inbox/b"))
        {
            break got;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "deliveries did not arrive: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        got[&format!("localhost:{ok}/inbox/a")],
        vec![first.clone(), second.clone()],
        "one delivery per inbox, in order"
    );
    assert_eq!(
        got[&format!("localhost:{other}/inbox/d")],
        vec![first.clone(), second]
    );
    assert!(!got.contains_key(&format!("localhost:{failing}/inbox/c")));

    // Refusals are dead-lettered with the reason; failures wait for a retry.
    // A claimed first attempt already counts as retrying; the outcomes of c and e must be
    // recorded too, or the rows below may be read while e's first attempt is in flight.
    let deadline = Instant::now() + Duration::from_secs(20);
    let rows = loop {
        let status = outbox::status(&run.db).await?;
        let rows = enishi_db::entity::delivery::Entity::find()
            .all(&run.db.conn)
            .await?;
        let answered = |inbox: &str| {
            rows.iter().any(|r| {
                r.inbox_url.ends_with(inbox) && (r.last_status.is_some() || r.last_error.is_some())
            })
        };
        if status.dead == 1 && status.retrying >= 2 && answered("/inbox/c") && answered("/inbox/e")
        {
            assert_eq!(status.depth, 2, "c and e still pending: {status:?}");
            break rows;
        }
        anyhow::ensure!(Instant::now() < deadline, "queue never settled: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let dead_row = rows.iter().find(|r| r.state == "dead").unwrap();
    assert_eq!(dead_row.last_status, Some(404));
    let c = rows
        .iter()
        .find(|r| r.inbox_url.ends_with("/inbox/c"))
        .unwrap();
    assert!(c.attempts >= 1 && c.last_status == Some(503), "{c:?}");
    let e = rows
        .iter()
        .find(|r| r.inbox_url.ends_with("/inbox/e"))
        .unwrap();
    assert!(
        e.attempts >= 1
            && e.last_error
                .as_deref()
                .is_some_and(|m| m.contains("request failed")),
        "{e:?}"
    );

    // The metrics say so too: on their own address, or on the main one with the token only.
    let http = reqwest::Client::new();
    let main = format!("{}/metrics", run.base_url);
    assert_eq!(http.get(&main).send().await?.status(), 404, "no token");
    let wrong = http.get(&main).bearer_auth("not-the-token").send().await?;
    assert_eq!(wrong.status(), 404, "a wrong token");
    let with_token = http
        .get(&main)
        .bearer_auth("a-metrics-token-for-tests")
        .send()
        .await?;
    assert_eq!(with_token.status(), 200);
    assert!(with_token.text().await?.contains("enishi_outbox_dead 1"));
    let own = run.metrics_addr.expect("a metrics address");
    let text = http
        .get(format!("http://{own}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    assert!(
        text.contains("enishi_deliveries_total{outcome=\"delivered\"} 5"),
        "{text}"
    );
    assert!(text.contains("enishi_outbox_dead 1"), "{text}");
    run.stop().await
}

async fn wait_for(
    receiver: &Receiver,
    key: &str,
    n: usize,
    within: Duration,
) -> anyhow::Result<Vec<String>> {
    let deadline = Instant::now() + within;
    loop {
        let r = receiver.received().await?;
        let (got, refused) = (r.by_inbox, r.refused);
        anyhow::ensure!(refused == 0, "refused deliveries");
        if let Some(v) = got.get(key).filter(|v| v.len() >= n) {
            return Ok(v.clone());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{key}: only {:?} after {within:?}",
            got.get(key)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn dead_and_slow_hosts_do_not_delay_others_and_backlogs_arrive_in_order(
    t: TestDb,
) -> anyhow::Result<()> {
    let receiver = start_receiver(&["--ports", "3", "--behaviour", "2=slow:1500"])?;
    let [fast1, fast2, slow] = [receiver.ports[0], receiver.ports[1], receiver.ports[2]];
    let down = closed_port();
    let mut config = default_config(&t.url, &t.dir);
    config.delivery.retry_base_ms = 100;
    config.delivery.host_failure_threshold = 2;
    config.delivery.per_host = 2;
    config.delivery.timeout_secs = 5;
    let run = start_on_free_port(config).await?;
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let alice = accounts::create(
        &run.db,
        &run.config.instance,
        NewMember {
            username: "alice",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?
    .actor;
    let inbox = |port: u16, name: &str| {
        Url::parse(&format!("http://localhost:{port}/inbox/{name}")).unwrap()
    };
    let targets = [
        inbox(fast1, "a"),
        inbox(fast2, "b"),
        inbox(slow, "c"),
        inbox(down, "d"),
    ];
    let object = format!("{}/diaries/7", run.base_url);
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(queue(&run, &alice, &object, 100 + n, &targets).await?);
    }
    // The healthy hosts get all six, in order, long before the slow host could have
    // delivered them (1.5 s each, one at a time per object) and while the dead one fails.
    let start = Instant::now();
    assert_eq!(
        wait_for(
            &receiver,
            &format!("localhost:{fast1}/inbox/a"),
            6,
            Duration::from_secs(5)
        )
        .await?,
        ids
    );
    assert_eq!(
        wait_for(
            &receiver,
            &format!("localhost:{fast2}/inbox/b"),
            6,
            Duration::from_secs(5)
        )
        .await?,
        ids
    );
    let fast_time = start.elapsed();
    assert!(
        fast_time < Duration::from_secs(4),
        "healthy hosts waited {fast_time:?}"
    );

    // The dead host rests after two failures in a row.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = outbox::status(&run.db).await?;
        if status
            .unavailable_hosts
            .iter()
            .any(|h| h.host == format!("localhost:{down}"))
        {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the dead host was never marked unavailable: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // It comes back: a probe succeeds and its backlog arrives, in order.
    let back = start_receiver(&["--bind", &down.to_string()])?;
    assert_eq!(
        wait_for(
            &back,
            &format!("localhost:{down}/inbox/d"),
            6,
            Duration::from_secs(30)
        )
        .await?,
        ids
    );
    let status = outbox::status(&run.db).await?;
    assert!(status.unavailable_hosts.is_empty(), "revived: {status:?}");
    // And the slow host got everything, in order, too.
    assert_eq!(
        wait_for(
            &receiver,
            &format!("localhost:{slow}/inbox/c"),
            6,
            Duration::from_secs(30)
        )
        .await?,
        ids
    );
    run.stop().await
}

/// A post written through the API is queued with it (transactional outbox) for the author's
/// remote friends only, and never when it is members-only.
async fn new_posts_reach_remote_friends_and_nobody_else(t: TestDb) -> anyhow::Result<()> {
    let receiver = start_receiver(&["--ports", "1"])?;
    let port = receiver.ports[0];
    let run = start_on_free_port(default_config(&t.url, &t.dir)).await?;
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let member = accounts::create(
        &run.db,
        &run.config.instance,
        NewMember {
            username: "alice",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?;
    let alice = member.actor.clone();
    let token = enishi_db::tokens::create(&run.db, member.account_id, "t").await?;
    let remote = |name: &str| {
        let mut a = alice.clone();
        a.is_local = false;
        a.username = name.to_owned();
        a.domain = format!("localhost:{port}");
        a.ap_id = Url::parse(&format!("http://localhost:{port}/users/{name}")).unwrap();
        a.inbox = Url::parse(&format!("http://localhost:{port}/inbox/{name}")).unwrap();
        a.shared_inbox = None;
        a
    };
    let bob = enishi_db::actors::upsert_remote(&run.db, remote("bob")).await?;
    enishi_db::actors::upsert_remote(&run.db, remote("carol")).await?;
    // alice and bob are friends, as the friendship protocol leaves them.
    for (o, f) in [(alice.id.0, bob.id.0), (bob.id.0, alice.id.0)] {
        enishi_db::entity::friendship::Entity::insert(enishi_db::entity::friendship::ActiveModel {
            owner_id: sea_orm::Set(o),
            friend_id: sea_orm::Set(f),
            created_at: sea_orm::Set(chrono::Utc::now()),
        })
        .exec_without_returning(&run.db.conn)
        .await?;
    }
    let client = reqwest::Client::new();
    let post = |path: &'static str, body: Value| {
        let req = client
            .post(format!("{}{path}", run.base_url))
            .bearer_auth(&token)
            .json(&body);
        async move { anyhow::Ok(req.send().await?.status()) }
    };
    assert_eq!(
        post(
            "/api/v1/diaries",
            json!({"title": "Friends", "body": "only", "audience": "friends"})
        )
        .await?,
        201
    );
    assert_eq!(
        post(
            "/api/v1/voices",
            json!({"text": "members only", "audience": "members"})
        )
        .await?,
        201
    );
    assert_eq!(
        post(
            "/api/v1/voices",
            json!({"text": "hello world", "audience": "public"})
        )
        .await?,
        201
    );
    assert_eq!(
        post(
            "/api/v1/voices",
            json!({"text": "just me", "audience": "private"})
        )
        .await?,
        201
    );
    let got = wait_for(
        &receiver,
        &format!("localhost:{port}/inbox/bob"),
        2,
        Duration::from_secs(20),
    )
    .await?;
    assert_eq!(got.len(), 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = receiver.received().await?;
    assert_eq!(
        all.arrivals_us.len(),
        2,
        "nothing for carol, nothing for members-only or private posts: {:?}",
        all.by_inbox
    );
    let queued = enishi_db::entity::outbox_activity::Entity::find()
        .all(&run.db.conn)
        .await?;
    assert_eq!(queued.len(), 2);
    assert!(
        queued
            .iter()
            .all(|a| a.body.contains("\"type\":\"Create\""))
    );
    assert!(
        queued
            .iter()
            .any(|a| a.body.contains("\"enishi:kind\":\"diary\"")
                && a.body.contains("/users/alice/followers"))
    );
    assert!(
        queued
            .iter()
            .any(|a| a.body.contains("\"Note\"") && a.body.contains("#Public"))
    );
    run.stop().await
}

use sea_orm::EntityTrait;

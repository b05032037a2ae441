//! Inbox hygiene (DESIGN §5): everything that is not a well-signed activity by its own actor
//! about its own server's objects is refused with a 4xx, and nothing is stored. A second
//! delivery of the same activity changes nothing.

use enishi_apub::keys::generate_actor_keys;
use enishi_apub::signatures::Signer;
use enishi_federation_tests::cluster::{Member, Node, eventually};
use enishi_testkit::TestDb;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};
use url::Url;

enishi_testkit::main!(db: [
    the_inbox_refuses_what_it_cannot_trust_and_stores_nothing,
    a_repeated_activity_changes_nothing,
    an_inbound_activity_revives_a_resting_host,
    a_blocked_server_is_refused,
    a_rotated_key_is_fetched_again_but_not_more_than_once_a_minute,
    nul_characters_in_remote_text_are_stripped,
    a_refused_reply_is_rejected_once,
    a_flooding_server_is_slowed_alone,
]);

/// POSTs `body` to `inbox` with headers signed by `signer` at `date`; `sent` replaces the body
/// after signing (to tamper with it).
async fn post_signed(
    signer: Option<&Signer>,
    inbox: &str,
    body: &[u8],
    date: SystemTime,
    sent: Option<Vec<u8>>,
) -> anyhow::Result<(u16, Value)> {
    let url = Url::parse(inbox)?;
    let mut req = reqwest::Client::new().post(url.clone());
    if let Some(signer) = signer {
        for (k, v) in &signer.sign_post(&url, body, date)?.headers {
            req = req.header(*k, v);
        }
    } else {
        req = req.header("content-type", "application/activity+json");
    }
    let resp = req
        .body(sent.unwrap_or_else(|| body.to_vec()))
        .send()
        .await?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or(Value::Null)))
}

/// Sends only the signed headers of a POST of `body` (its length announced, the body never
/// written) over a plain socket, and returns the status. A body the server refuses by its
/// announced length is answered before it is read, and a client still writing it would see a
/// broken pipe instead of the answer.
async fn post_signed_headers_only(
    signer: &Signer,
    inbox: &str,
    body: &[u8],
    date: SystemTime,
) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = Url::parse(inbox)?;
    let host = format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(80)
    );
    let mut head = format!("POST {} HTTP/1.1\r\nHost: {host}\r\n", url.path());
    for (k, v) in &signer.sign_post(&url, body, date)?.headers {
        if !k.eq_ignore_ascii_case("host") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut stream = tokio::net::TcpStream::connect(&host).await?;
    stream.write_all(head.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status line in {text:?}"))
}

fn follow(from: &Member, to: &Member, id: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Follow",
        "actor": from.ap_id.as_str(),
        "object": to.ap_id.as_str(),
    })
}

async fn incoming(m: &Member) -> anyhow::Result<usize> {
    let list = m
        .api
        .ok("/api/v1/friends/requests?direction=incoming")
        .await?;
    Ok(list["items"].as_array().map_or(0, Vec::len))
}

async fn the_inbox_refuses_what_it_cannot_trust_and_stores_nothing(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let carol = b.member("carol").await?;
    let inbox = format!("{}/inbox", a.run.base_url);
    let personal = format!("{}/inbox", alice.ap_id);
    let now = SystemTime::now();
    let id = |n: &str| format!("{}/activities/{n}", b.run.base_url);
    let body = |v: &Value| v.to_string().into_bytes();

    let f = follow(&bob, &alice, &id("unsigned"));
    let (s, e) = post_signed(None, &inbox, &body(&f), now, None).await?;
    anyhow::ensure!(s == 401 && e["error"] == "unsigned", "unsigned: {s} {e}");

    let mut unknown = follow(&bob, &alice, &id("unknown-key"));
    unknown["actor"] = json!(format!("{}/users/nobody", b.run.base_url));
    let ghost = Signer::from_pem(
        &generate_actor_keys().private_pem,
        format!("{}/users/nobody#main-key", b.run.base_url),
    )?;
    let (s, e) = post_signed(Some(&ghost), &inbox, &body(&unknown), now, None).await?;
    anyhow::ensure!(s == 401, "unknown key: {s} {e}");

    let impostor = Signer::from_pem(
        &generate_actor_keys().private_pem,
        format!("{}#main-key", bob.ap_id),
    )?;
    let f = follow(&bob, &alice, &id("wrong-key"));
    let (s, e) = post_signed(Some(&impostor), &personal, &body(&f), now, None).await?;
    anyhow::ensure!(s == 401, "wrong key: {s} {e}");

    let f = follow(&carol, &alice, &id("someone-else"));
    let (s, e) = post_signed(Some(&bob.signer), &inbox, &body(&f), now, None).await?;
    anyhow::ensure!(s == 403, "signed by someone other than the actor: {s} {e}");

    let f = follow(&bob, &alice, &id("tampered"));
    let mut other = f.clone();
    other["object"] = json!(format!("{}/users/alice-two", a.run.base_url));
    let (s, e) = post_signed(
        Some(&bob.signer),
        &inbox,
        &body(&f),
        now,
        Some(body(&other)),
    )
    .await?;
    anyhow::ensure!(s == 401, "digest mismatch: {s} {e}");

    let f = follow(&bob, &alice, &id("stale"));
    let stale = now - Duration::from_secs(2 * 3600);
    let (s, e) = post_signed(Some(&bob.signer), &inbox, &body(&f), stale, None).await?;
    anyhow::ensure!(s == 401, "date two hours old: {s} {e}");
    let future = now + Duration::from_secs(2 * 3600);
    let (s, e) = post_signed(Some(&bob.signer), &inbox, &body(&f), future, None).await?;
    anyhow::ensure!(s == 401, "date two hours ahead: {s} {e}");

    let mut foreign = follow(&bob, &alice, "x");
    foreign["id"] = json!(format!("{}/activities/spoofed", a.run.base_url));
    let (s, e) = post_signed(Some(&bob.signer), &inbox, &body(&foreign), now, None).await?;
    anyhow::ensure!(s == 403, "activity id on another host: {s} {e}");
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id("forwarded"),
        "type": "Create",
        "actor": bob.ap_id.as_str(),
        "object": {
            "id": format!("{}/notes/not-bobs", a.run.base_url),
            "type": "Note",
            "attributedTo": bob.ap_id.as_str(),
            "content": "spoofed",
            "to": [alice.ap_id.as_str()],
        }
    });
    let (s, e) = post_signed(Some(&bob.signer), &inbox, &body(&create), now, None).await?;
    anyhow::ensure!(s == 403, "object id on another host: {s} {e}");

    let mut huge = follow(&bob, &alice, &id("huge"));
    huge["padding"] = json!("x".repeat(1024 * 1024 + 10));
    let s = post_signed_headers_only(&bob.signer, &inbox, &body(&huge), now).await?;
    anyhow::ensure!(s == 413, "body over 1 MiB: {s}");

    let mut deep = json!("bottom");
    for _ in 0..100 {
        deep = json!([deep]);
    }
    let mut nested = follow(&bob, &alice, &id("nested"));
    nested["extra"] = deep;
    let (s, e) = post_signed(Some(&bob.signer), &inbox, &body(&nested), now, None).await?;
    anyhow::ensure!(s == 400, "JSON nested 100 deep: {s} {e}");

    let (s, e) = post_signed(Some(&bob.signer), &inbox, b"{not json", now, None).await?;
    anyhow::ensure!(s == 400, "not JSON: {s} {e}");

    // None of it left a trace.
    anyhow::ensure!(incoming(&alice).await? == 0, "a refused Follow was stored");

    // The same Follow, properly signed, is a friend request.
    let f = follow(&bob, &alice, &id("good"));
    let (s, e) = post_signed(Some(&bob.signer), &personal, &body(&f), now, None).await?;
    anyhow::ensure!(s == 202, "a good Follow: {s} {e}");
    anyhow::ensure!(
        incoming(&alice).await? == 1,
        "the good Follow was not stored"
    );
    a.stop().await?;
    b.stop().await
}

async fn a_repeated_activity_changes_nothing(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let inbox = format!("{}/inbox", a.run.base_url);
    let follow_id = format!("{}/follows/once", b.run.base_url);
    let f = follow(&bob, &alice, &follow_id);
    let (s, e) = bob.signed_post(&inbox, &f).await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    anyhow::ensure!(incoming(&alice).await? == 1);
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/undo-once", b.run.base_url),
        "type": "Undo",
        "actor": bob.ap_id.as_str(),
        "object": f,
    });
    let (s, e) = bob.signed_post(&inbox, &undo).await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    eventually("the request is withdrawn", || async {
        Ok((incoming(&alice).await? == 0).then_some(()))
    })
    .await?;
    // The first Follow delivered again (a retry, or a replay) is recognised and changes nothing.
    let (s, e) = bob.signed_post(&inbox, &f).await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    anyhow::ensure!(
        incoming(&alice).await? == 0,
        "a repeated Follow brought the request back"
    );
    a.stop().await?;
    b.stop().await
}

/// A NUL character in remote text (a reply's content and name, issue 12 item 5) is stripped
/// before storage; the reply is kept, on both databases (PostgreSQL cannot store a NUL).
async fn nul_characters_in_remote_text_are_stripped(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let (s, diary) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "open", "body": "reply", "audience": "public"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "{diary}");
    let note = format!("{}/notes/with-nul", bob.ap_id);
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": bob.ap_id.as_str(),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": bob.ap_id.as_str(),
            "inReplyTo": diary["ap_id"],
            "name": "ti\u{0}tle",
            "content": "<p>be\u{0}fore and after</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    });
    let (s, e) = bob
        .signed_post(&format!("{}/inbox", a.run.base_url), &create)
        .await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    let comments = alice
        .api
        .ok(&format!(
            "/api/v1/diaries/{}/comments",
            diary["id"].as_str().unwrap()
        ))
        .await?;
    let text = comments["items"][0]["text"].as_str().unwrap_or_default();
    anyhow::ensure!(text == "before and after", "stored {comments}");
    a.stop().await?;
    b.stop().await
}

/// A reply to a post its writer may not see is refused with one `Reject`, however often its
/// server retries the delivery or sends the reply again as an `Update` (issue 14 item 7).
async fn a_refused_reply_is_rejected_once(t: TestDb) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let (s, diary) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "mine", "body": "for friends", "audience": "friends"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "{diary}");
    let note = format!("{}/notes/uninvited", bob.ap_id);
    let object = json!({
        "id": note,
        "type": "Note",
        "attributedTo": bob.ap_id.as_str(),
        "inReplyTo": diary["ap_id"],
        "content": "<p>let me in</p>",
        "to": [alice.ap_id.as_str()],
    });
    let inbox = format!("{}/inbox", a.run.base_url);
    let activity = |kind: &str, id: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{note}/{id}"),
            "type": kind,
            "actor": bob.ap_id.as_str(),
            "to": [alice.ap_id.as_str()],
            "object": object,
        })
    };
    for (kind, id) in [
        ("Create", "create"),
        ("Create", "create"),
        ("Update", "update"),
    ] {
        let (s, e) = bob.signed_post(&inbox, &activity(kind, id)).await?;
        anyhow::ensure!(matches!(s, 202 | 403), "{kind}: {s} {e}");
    }
    let rejects = enishi_db::entity::outbox_activity::Entity::find()
        .filter(enishi_db::entity::outbox_activity::Column::Body.contains("\"Reject\""))
        .all(&a.run.db.conn)
        .await?;
    anyhow::ensure!(
        rejects.len() == 1 && rejects[0].body.contains(&format!("{note}/create")),
        "one Reject of the first delivery: {:?}",
        rejects.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let comments = alice
        .api
        .ok(&format!(
            "/api/v1/diaries/{}/comments",
            diary["id"].as_str().unwrap()
        ))
        .await?;
    anyhow::ensure!(comments["items"] == json!([]), "nothing stored: {comments}");
    a.stop().await?;
    b.stop().await
}

async fn an_inbound_activity_revives_a_resting_host(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    // A's deliveries to B have failed often enough for B to rest.
    for _ in 0..5 {
        enishi_db::outbox::host_failed(&a.run.db, b.domain(), "connection refused", 3, |_| {
            Duration::from_secs(3600)
        })
        .await?;
    }
    let resting = enishi_db::outbox::status(&a.run.db)
        .await?
        .unavailable_hosts;
    anyhow::ensure!(
        resting.iter().any(|h| h.host == b.domain()),
        "B should rest: {resting:?}"
    );
    // B speaks to A: it is up, so it stops resting at once instead of waiting for a probe.
    let f = follow(&bob, &alice, &format!("{}/follows/revive", b.run.base_url));
    let (s, e) = bob
        .signed_post(&format!("{}/inbox", a.run.base_url), &f)
        .await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    let resting = enishi_db::outbox::status(&a.run.db)
        .await?
        .unavailable_hosts;
    anyhow::ensure!(resting.is_empty(), "B still rests: {resting:?}");
    a.stop().await?;
    b.stop().await
}

async fn a_blocked_server_is_refused(t: TestDb) -> anyhow::Result<()> {
    let b = Node::start(t.kind).await?;
    let blocked = b.domain().to_owned();
    let a = Node::start_with(t.kind, 0, |c| c.blocked_domains = vec![blocked]).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let post = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "Open", "body": "for everyone", "audience": "public"}),
        )
        .await?
        .1;
    let f = follow(&bob, &alice, &format!("{}/follows/blocked", b.run.base_url));
    let (s, e) = bob
        .signed_post(&format!("{}/inbox", a.run.base_url), &f)
        .await?;
    anyhow::ensure!(s == 403, "delivery from a blocked server: {s} {e}");
    anyhow::ensure!(
        incoming(&alice).await? == 0,
        "the blocked Follow was stored"
    );
    let (s, e) = bob.signed_get(post["ap_id"].as_str().unwrap()).await?;
    anyhow::ensure!(s == 403, "signed fetch from a blocked server: {s} {e}");
    // Nothing is sent there either: a delivery to it is dead-lettered with the reason.
    let alice_actor = enishi_db::actors::find_by_ap_id(&a.run.db, &alice.ap_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice"))?;
    let id = format!("{}/activities/to-blocked", a.run.base_url);
    enishi_db::outbox::enqueue(
        &a.run.db.conn,
        enishi_db::outbox::Outgoing {
            ap_id: &id,
            actor: alice_actor.id,
            object_key: &id,
            body: &json!({"id": id, "type": "Update", "actor": alice.ap_id.as_str()}).to_string(),
        },
        &[Url::parse(&format!("{}/inbox", b.run.base_url))?],
    )
    .await?;
    a.run.wake.notify_one();
    eventually(
        "the delivery to the blocked server is dead-lettered",
        || async {
            use enishi_db::entity::delivery;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let dead = delivery::Entity::find()
                .filter(delivery::Column::State.eq("dead"))
                .all(&a.run.db.conn)
                .await?;
            // Refused here, not by the blocked server: no status, one claim.
            Ok(dead
                .iter()
                .any(|d| {
                    d.last_status.is_none()
                        && d.last_error
                            .as_deref()
                            .is_some_and(|e| e.contains("blocked by this instance"))
                })
                .then_some(()))
        },
    )
    .await?;
    a.stop().await?;
    b.stop().await
}

async fn a_rotated_key_is_fetched_again_but_not_more_than_once_a_minute(
    t: TestDb,
) -> anyhow::Result<()> {
    use enishi_db::entity::actor;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let inbox = format!("{}/inbox", a.run.base_url);
    let id = |n: &str| format!("{}/activities/{n}", b.run.base_url);
    let body = |v: &Value| v.to_string().into_bytes();
    let now = SystemTime::now;

    // alice's instance learns bob's key.
    let f = follow(&bob, &alice, &id("before"));
    let (s, e) = post_signed(Some(&bob.signer), &inbox, &body(&f), now(), None).await?;
    anyhow::ensure!(s == 202, "first delivery: {s} {e}");

    // bob's server rotates his key.
    let keys = generate_actor_keys();
    actor::Entity::update_many()
        .col_expr(actor::Column::PublicKeyPem, Expr::value(keys.public_pem))
        .col_expr(
            actor::Column::PrivateKeyPem,
            Expr::value(Some(keys.private_pem.clone())),
        )
        .filter(actor::Column::Id.eq(bob.actor_id.0))
        .exec(&b.run.db.conn)
        .await?;
    let rotated = Signer::from_pem(&keys.private_pem, format!("{}#main-key", bob.ap_id))?;

    // The cached key was fetched moments ago: no second fetch yet, the request is refused.
    let f = follow(&bob, &alice, &id("too-soon"));
    let (s, e) = post_signed(Some(&rotated), &inbox, &body(&f), now(), None).await?;
    anyhow::ensure!(
        s == 401,
        "new key within a minute of the last fetch: {s} {e}"
    );

    // A minute later the failing signature makes alice's instance fetch bob again.
    let two_minutes_ago = chrono::Utc::now() - chrono::Duration::minutes(2);
    actor::Entity::update_many()
        .col_expr(actor::Column::FetchedAt, Expr::value(Some(two_minutes_ago)))
        .filter(actor::Column::ApId.eq(bob.ap_id.as_str()))
        .exec(&a.run.db.conn)
        .await?;
    let f = follow(&bob, &alice, &id("rotated"));
    let (s, e) = post_signed(Some(&rotated), &inbox, &body(&f), now(), None).await?;
    anyhow::ensure!(s == 202, "new key after a refetch: {s} {e}");
    let f = follow(&bob, &alice, &id("old-key"));
    let (s, e) = post_signed(Some(&bob.signer), &inbox, &body(&f), now(), None).await?;
    anyhow::ensure!(s == 401, "the old key after the rotation: {s} {e}");
    a.stop().await?;
    b.stop().await
}

/// Inbound activities are limited per remote host (issue 17), counted only once their
/// signature verifies: a flooding server gets 429 with `Retry-After`, another server is not
/// affected, and the refusals are counted in `/metrics`.
async fn a_flooding_server_is_slowed_alone(t: TestDb) -> anyhow::Result<()> {
    const TOKEN: &str = "metrics-token-for-the-tests";
    let a = Node::start_with(t.kind, 0, |c| {
        c.access.rate_limits =
            enishi_core::rate::RateSettings::parse("inbound=5/5m").expect("a rate");
        c.access.metrics_token = Some(TOKEN.into());
    })
    .await?;
    let b = Node::start(t.kind).await?;
    let c = Node::start(t.kind).await?;
    a.member("alice").await?;
    let bob = b.member("bob").await?;
    let carol = c.member("carol").await?;
    let inbox = format!("{}/inbox", a.run.base_url);
    // Unsigned requests naming bob's key spend nothing of his server's allowance.
    for n in 0..10 {
        let body = json!({"id": format!("{}/x/{n}", b.run.base_url), "type": "Listen", "actor": bob.ap_id.as_str()});
        let (s, _) = post_signed(
            None,
            &inbox,
            body.to_string().as_bytes(),
            SystemTime::now(),
            None,
        )
        .await?;
        anyhow::ensure!(s == 401, "unsigned: {s}");
    }
    let listen = |who: &Member, n: usize| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/listens/{n}", who.ap_id),
            "type": "Listen",
            "actor": who.ap_id.as_str(),
            "object": format!("{}/songs/{n}", who.ap_id),
        })
    };
    for n in 0..5 {
        let (s, e) = bob.signed_post(&inbox, &listen(&bob, n)).await?;
        anyhow::ensure!(s == 202, "delivery {n}: {s} {e}");
    }
    let activity = listen(&bob, 5);
    let url = Url::parse(&inbox)?;
    let body = activity.to_string();
    let mut req = reqwest::Client::new().post(url.clone()).body(body.clone());
    for (k, v) in &bob
        .signer
        .sign_post(&url, body.as_bytes(), SystemTime::now())?
        .headers
    {
        req = req.header(*k, v);
    }
    let resp = req.send().await?;
    anyhow::ensure!(resp.status() == 429, "the sixth: {}", resp.status());
    let retry: u64 = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no Retry-After"))?;
    anyhow::ensure!((1..=60).contains(&retry), "Retry-After {retry}");
    let e: Value = resp.json().await?;
    anyhow::ensure!(e["error"] == "rate_limited", "{e}");
    // Another server still gets through.
    let (s, e) = carol.signed_post(&inbox, &listen(&carol, 0)).await?;
    anyhow::ensure!(s == 202, "another server: {s} {e}");
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", a.run.base_url))
        .bearer_auth(TOKEN)
        .send()
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        metrics.contains("enishi_rate_limited_total{limit=\"inbound\"} 1"),
        "{metrics}"
    );
    c.stop().await?;
    b.stop().await?;
    a.stop().await
}

//! Server blocks made at run time (issue 17), on SQLite and PostgreSQL: instance A runs two
//! processes on one database, its member alice is friends with bob on instance B, who wrote a
//! friends-only diary and commented on alice's. An admin rejects B with `enishi domain block`:
//! within a second both of
//! A's processes refuse B's deliveries and signed fetches, and A has removed bob's diary and
//! comment, ended the friendship and told alice. Lifting the block lets B in again, in both
//! processes; the audit log has both actions. A limited server's accounts reach only members
//! who are already their friends: their replies and likes to others are refused, and their
//! friend requests wait apart without a notice until the member approves one. One account of
//! another server can be suspended or limited alone, the same way, its server's other
//! accounts untouched (suspended directly, limited from a report).

use enishi_core::moderation::Severity;
use enishi_db::domain_blocks::{self, NewBlock};
use enishi_federation_tests::cluster::{Member, Node, befriend, eventually, find_item};
use enishi_testkit::TestDb;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

enishi_testkit::main!(db: [
    a_rejected_server_is_cut_off_everywhere_at_once,
    a_limited_server_reaches_only_friends,
    one_account_is_suspended_or_limited_alone,
]);

/// How soon every process must follow a change of the list (the "within a second",
/// with room for a loaded machine; the measured figure is printed).
const WITHIN: Duration = Duration::from_millis(1500);

async fn diary(m: &Member, title: &str, audience: &str) -> anyhow::Result<Value> {
    let (s, body) = m
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": title, "body": "…", "audience": audience}),
        )
        .await?;
    anyhow::ensure!(s == 201, "diary: {s} {body}");
    Ok(body)
}

/// Polls a signed GET by `who` of `url` until it answers `want`; returns how long it took.
async fn answers(who: &Member, url: &str, want: u16) -> anyhow::Result<Duration> {
    let start = Instant::now();
    loop {
        let (s, _) = who.signed_get(url).await?;
        if s == want {
            return Ok(start.elapsed());
        }
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(10),
            "{url} still answers {s}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until `node`'s process holds `account` at `want` (its server's block or its own),
/// as its refresher reads the list; a loaded machine may take more than a few polls.
async fn in_force(node: &Node, account: &url::Url, want: Severity) -> anyhow::Result<()> {
    eventually("the block is in force in the process", || async {
        let now = node.run.blocks.current().account_severity(account);
        Ok((now == Some(want)).then_some(()))
    })
    .await
}

async fn a_rejected_server_is_cut_off_everywhere_at_once(t: TestDb) -> anyhow::Result<()> {
    let b = Node::start(t.kind).await?;
    let a = Node::start(t.kind).await?;
    // A second process of instance A on the same database, as behind a load balancer.
    let mut config = a.run.config.clone();
    config.run_workers = false;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let a2_base = format!("http://{}", listener.local_addr()?);
    let a2 = enishi_server::start(config, listener, std::future::pending()).await?;

    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let bobs = diary(&bob, "Only for friends", "friends").await?;
    let bobs_ap = bobs["ap_id"].as_str().unwrap_or_default().to_owned();
    eventually("bob's diary reaches alice", || async {
        let t = alice.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &bobs_ap).map(|_| ()))
    })
    .await?;
    let alices = diary(&alice, "Open to all", "public").await?;
    let alices_id = alices["id"].as_str().unwrap_or_default().to_owned();
    let alices_ap = alices["ap_id"].as_str().unwrap_or_default().to_owned();
    let on_b = eventually("alice's diary reaches bob", || async {
        let t = bob.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &alices_ap).cloned())
    })
    .await?;
    let (s, c) = bob
        .api
        .post(
            &format!(
                "/api/v1/diaries/{}/comments",
                on_b["id"].as_str().unwrap_or_default()
            ),
            json!({"text": "Nice one, from bob"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "bob's comment: {s} {c}");
    let comments = format!("/api/v1/diaries/{alices_id}/comments");
    eventually("bob's comment reaches alice", || async {
        let list = alice.api.ok(&comments).await?;
        Ok(find_item(&list, "text", "Nice one, from bob").map(|_| ()))
    })
    .await?;
    // Before: B may fetch alice's public diary from either process.
    let on_a2 = alices_ap.replace(&a.run.base_url, &a2_base);
    assert_eq!(bob.signed_get(&alices_ap).await?.0, 200);
    assert_eq!(bob.signed_get(&on_a2).await?.0, 200);

    // The block, as an admin types it: `enishi domain block`.
    let made = Instant::now();
    let code = enishi_server::cli::run_args(
        &[
            "domain",
            "block",
            &b.domain().to_uppercase(),
            "--reason",
            "spam wave",
        ],
        a.run.config.clone(),
    )
    .await?;
    anyhow::ensure!(
        code == std::process::ExitCode::SUCCESS,
        "enishi domain block"
    );
    let blocked = domain_blocks::list(&a.run.db).await?;
    anyhow::ensure!(
        blocked.len() == 1 && blocked[0].domain == b.domain(),
        "{blocked:?}"
    );
    anyhow::ensure!(
        alice.relationship(&bob.handle).await?["friend"] != true,
        "the friendship ended"
    );
    let (first, second) = (
        answers(&bob, &alices_ap, 403).await?,
        answers(&bob, &on_a2, 403).await?,
    );
    let effective = made.elapsed().max(first);
    eprintln!("the block took effect in both processes within {effective:?}");
    anyhow::ensure!(
        first.max(second) <= WITHIN,
        "the block took {first:?} and {second:?} to take effect"
    );
    // Deliveries are refused in both processes too.
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/after-block", b.run.base_url), "type": "Follow",
        "actor": bob.ap_id.as_str(), "object": alice.ap_id.as_str()});
    for base in [&a.run.base_url, &a2_base] {
        let (s, e) = bob.signed_post(&format!("{base}/inbox"), &follow).await?;
        anyhow::ensure!(s == 403, "a delivery from B to {base}: {s} {e}");
    }

    // What A kept of bob is gone; the friendship ended and alice was told.
    let t = alice.api.ok("/api/v1/timeline").await?;
    anyhow::ensure!(
        find_item(&t, "ap_id", &bobs_ap).is_none(),
        "bob's diary is still on alice's timeline"
    );
    let list = alice.api.ok(&comments).await?;
    anyhow::ensure!(
        find_item(&list, "text", "Nice one, from bob").is_none(),
        "bob's comment is still there: {list}"
    );
    let friends = alice.api.ok("/api/v1/users/alice/friends").await?;
    anyhow::ensure!(
        friends["items"].as_array().is_some_and(Vec::is_empty),
        "{friends}"
    );
    // Bob's account is as good as unknown on A now.
    let (s, _) = alice
        .api
        .get(&format!("/api/v1/users/{}/relationship", bob.handle))
        .await?;
    anyhow::ensure!(s == 404, "bob's account on A: {s}");
    let notices = alice.api.ok("/api/v1/notifications").await?;
    let told = notices["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["kind"] == "server_blocked");
    anyhow::ensure!(
        told.is_some_and(|n| n["actor"]["handle"]
            .as_str()
            .is_some_and(|h| h.contains("bob"))),
        "alice was not told: {notices}"
    );
    // A member cannot befriend an account there either.
    let (s, e) = alice
        .api
        .post("/api/v1/friends/requests", json!({"target": bob.handle}))
        .await?;
    anyhow::ensure!(
        s.as_u16() >= 400,
        "a friend request to a blocked server: {s} {e}"
    );

    // Lifting it lets B in again, in both processes.
    let lifted = Instant::now();
    anyhow::ensure!(domain_blocks::unblock(&a.run.db, b.domain(), "admin").await?);
    answers(&bob, &on_a2, 200).await?;
    answers(&bob, &alices_ap, 200).await?;
    anyhow::ensure!(
        lifted.elapsed() <= WITHIN * 2,
        "unblocking took {:?}",
        lifted.elapsed()
    );

    let log = enishi_db::audit::list(&a.run.db, None, 10).await?;
    let actions: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| (e.moderator.as_str(), e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("admin", "domain_unblock", b.domain()),
            ("command line", "domain_block", b.domain())
        ]
    );
    anyhow::ensure!(
        log[1]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("spam wave") && r.contains("1 friendships ended")),
        "{:?}",
        log[1]
    );

    a2.stop().await?;
    a.stop().await?;
    b.stop().await
}

/// A reply to `post_ap` by `from`, and a like of it, signed by `from`, sent to `inbox`;
/// returns the two statuses.
async fn reply_and_like(
    from: &Member,
    to: &Member,
    post_ap: &str,
    inbox: &str,
    tag: &str,
) -> anyhow::Result<(u16, u16)> {
    let note = format!("{}/notes/{tag}", from.ap_id);
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/create"), "type": "Create", "actor": from.ap_id.as_str(),
        "to": [to.ap_id.as_str()],
        "object": {"id": note, "type": "Note", "attributedTo": from.ap_id.as_str(),
            "inReplyTo": post_ap, "content": format!("<p>{tag}</p>"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"]},
    });
    let like = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/like"), "type": "Like", "actor": from.ap_id.as_str(),
        "object": post_ap,
    });
    Ok((
        from.signed_post(inbox, &create).await?.0,
        from.signed_post(inbox, &like).await?.0,
    ))
}

async fn a_limited_server_reaches_only_friends(t: TestDb) -> anyhow::Result<()> {
    let b = Node::start(t.kind).await?;
    let a = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let carol = a.member("carol").await?;
    let bob = b.member("bob").await?;
    let dave = b.member("dave").await?;
    befriend(&alice, &bob).await?;
    let blocked = domain_blocks::block(
        &a.run.db,
        NewBlock {
            domain: b.domain().to_owned(),
            severity: Severity::Limit,
            private_comment: None,
            public_comment: None,
        },
        "admin",
    )
    .await?;
    assert_eq!(blocked.friendships_ended, 0, "a limit ends nothing");
    in_force(&a, &dave.ap_id, Severity::Limit).await?;
    let inbox = format!("{}/inbox", a.run.base_url);

    // Bob, a friend, still reaches alice; dave, nobody's friend, does not reach carol.
    let alices = diary(&alice, "Alice's day", "public").await?;
    let carols = diary(&carol, "Carol's day", "public").await?;
    let (reply, like) = reply_and_like(
        &bob,
        &alice,
        alices["ap_id"].as_str().unwrap_or_default(),
        &inbox,
        "bob-to-alice",
    )
    .await?;
    anyhow::ensure!(
        (reply, like) == (202, 202),
        "a friend's reply and like: {reply} {like}"
    );
    let (reply, like) = reply_and_like(
        &dave,
        &carol,
        carols["ap_id"].as_str().unwrap_or_default(),
        &inbox,
        "dave-to-carol",
    )
    .await?;
    anyhow::ensure!(
        (reply, like) == (403, 403),
        "a stranger's reply and like: {reply} {like}"
    );
    let alice_comments = alice
        .api
        .ok(&format!(
            "/api/v1/diaries/{}/comments",
            alices["id"].as_str().unwrap_or_default()
        ))
        .await?;
    anyhow::ensure!(
        find_item(&alice_comments, "text", "bob-to-alice").is_some(),
        "{alice_comments}"
    );
    let carol_comments = carol
        .api
        .ok(&format!(
            "/api/v1/diaries/{}/comments",
            carols["id"].as_str().unwrap_or_default()
        ))
        .await?;
    anyhow::ensure!(
        carol_comments["items"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{carol_comments}"
    );

    // Dave's friend request to carol waits apart, without a notice.
    let (s, e) = dave
        .api
        .post("/api/v1/friends/requests", json!({"target": carol.handle}))
        .await?;
    anyhow::ensure!(s == 201, "{s} {e}");
    let held = eventually("dave's request reaches carol's held list", || async {
        let list = carol
            .api
            .ok("/api/v1/friends/requests?direction=held")
            .await?;
        Ok(list["items"].as_array().and_then(|l| l.first()).cloned())
    })
    .await?;
    let normal = carol.api.ok("/api/v1/friends/requests").await?;
    anyhow::ensure!(
        normal["items"].as_array().is_some_and(Vec::is_empty),
        "the held request is among the others: {normal}"
    );
    let notices = carol.api.ok("/api/v1/notifications").await?;
    anyhow::ensure!(
        notices["items"].as_array().is_some_and(Vec::is_empty),
        "carol was notified: {notices}"
    );
    let page = reqwest::Client::new()
        .get(format!("{}/friends/requests", a.run.base_url))
        .header("cookie", &carol.web_cookie)
        .header("accept", "text/html")
        .send()
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        page.contains("id=\"requests-held\""),
        "no held section on the page"
    );
    // Carol approves it: now they are friends, and dave reaches her.
    let (s, e) = carol
        .api
        .post_empty(&format!(
            "/api/v1/friends/requests/{}/accept",
            held["id"].as_i64().unwrap_or_default()
        ))
        .await?;
    anyhow::ensure!(s == 200, "{s} {e}");
    eventually("carol and dave are friends", || async {
        let rel = carol.relationship(&dave.handle).await?;
        Ok((rel["friend"] == true).then_some(()))
    })
    .await?;
    let (reply, like) = reply_and_like(
        &dave,
        &carol,
        carols["ap_id"].as_str().unwrap_or_default(),
        &inbox,
        "dave-as-friend",
    )
    .await?;
    anyhow::ensure!(
        (reply, like) == (202, 202),
        "a new friend's reply and like: {reply} {like}"
    );
    a.stop().await?;
    b.stop().await
}

async fn one_account_is_suspended_or_limited_alone(t: TestDb) -> anyhow::Result<()> {
    let b = Node::start(t.kind).await?;
    let a = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let carol = a.member("carol").await?;
    let mo = a.member("mo").await?;
    anyhow::ensure!(
        enishi_db::accounts::set_role(&a.run.db, "mo", enishi_db::accounts::Role::Moderator, "t")
            .await?
    );
    let bob = b.member("bob").await?;
    let dave = b.member("dave").await?;
    befriend(&alice, &bob).await?;
    let inbox = format!("{}/inbox", a.run.base_url);

    // Suspend bob alone: the friendship ends and he is refused; dave still gets through.
    let bob_here = enishi_db::actors::find_by_ap_id(&a.run.db, &bob.ap_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("bob is known on a"))?;
    let done = enishi_db::account_blocks::moderate(
        &a.run.db,
        &bob_here,
        Some(Severity::Reject),
        "admin",
        Some("abuse"),
    )
    .await?;
    anyhow::ensure!(done.friendships_ended == 1, "{done:?}");
    in_force(&a, &bob.ap_id, Severity::Reject).await?;
    let alices = diary(&alice, "Alice's day", "public").await?;
    let post = alices["ap_id"].as_str().unwrap_or_default().to_owned();
    let (reply, like) = reply_and_like(&bob, &alice, &post, &inbox, "bob-suspended").await?;
    anyhow::ensure!(
        (reply, like) == (403, 403),
        "the suspended bob: {reply} {like}"
    );
    let rel = alice.relationship(&bob.handle).await;
    anyhow::ensure!(
        rel.map_or(true, |r| r["friend"] != true),
        "the friendship ended"
    );
    let (reply, like) = reply_and_like(&dave, &alice, &post, &inbox, "dave-free").await?;
    anyhow::ensure!(
        (reply, like) == (202, 202),
        "dave, untouched: {reply} {like}"
    );

    // carol reports dave; the moderator limits him from the report.
    let (s, made) = carol
        .api
        .post(
            "/api/v1/reports",
            json!({"target": dave.handle, "reason": "spam"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "{made}");
    let (s, done) = mo
        .api
        .post(
            &format!(
                "/api/v1/admin/reports/{}/resolve",
                made["id"].as_str().unwrap()
            ),
            json!({"actions": ["limit_account"]}),
        )
        .await?;
    anyhow::ensure!(s == 200, "{done}");
    in_force(&a, &dave.ap_id, Severity::Limit).await?;
    let carols = diary(&carol, "Carol's day", "public").await?;
    let (reply, like) = reply_and_like(
        &dave,
        &carol,
        carols["ap_id"].as_str().unwrap_or_default(),
        &inbox,
        "dave-limited",
    )
    .await?;
    anyhow::ensure!(
        (reply, like) == (403, 403),
        "the limited dave: {reply} {like}"
    );
    let (s, e) = dave
        .api
        .post("/api/v1/friends/requests", json!({"target": carol.handle}))
        .await?;
    anyhow::ensure!(s == 201, "{s} {e}");
    eventually("dave's request is held", || async {
        let list = carol
            .api
            .ok("/api/v1/friends/requests?direction=held")
            .await?;
        Ok(list["items"].as_array().and_then(|l| l.first()).cloned())
    })
    .await?;
    let log = enishi_db::audit::list(&a.run.db, None, 50).await?;
    anyhow::ensure!(
        log.iter()
            .any(|e| e.action == "account_suspend" && e.target.starts_with("bob@"))
            && log
                .iter()
                .any(|e| e.action == "account_limit" && e.moderator == "mo"),
        "{log:?}"
    );
    a.stop().await?;
    b.stop().await
}

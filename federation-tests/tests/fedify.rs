//! Enishi against an ActivityPub server nobody here wrote (issue 6): a Fedify 2.3.6 peer
//! (`peers/fedify`) with strict signature verification. Friendship both ways, friends-only
//! posts reaching the friend and nobody else, replies and likes, a followed actor's public
//! notes, unfriending and blocking, and https with a local CA so that handles resolve as in
//! production. Every scenario runs on SQLite and on PostgreSQL.
//!
//! Fedify signs with RFC 9421 first and falls back to draft-cavage only when refused; the
//! scenarios assert that Enishi accepts the first knock, and that Fedify accepts Enishi's
//! draft-cavage signatures without complaint.

use enishi_federation_tests::cluster::{
    Member, Node, approve_request_from, befriend, eventually, find_item,
};
use enishi_federation_tests::peer::{FedifyPeer, PeerTls, first_knock_accepted};
use enishi_federation_tests::tls::TestCa;
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    a_peer_actor_and_a_member_become_friends,
    friends_only_posts_reach_the_peer_friend_and_nobody_else,
    replies_and_likes_from_the_peer_friend_are_kept_and_an_outsider_s_refused,
    a_followed_peer_actor_s_public_note_reaches_the_timeline_until_deleted,
    unfriending_and_blocking_propagate_both_ways,
    over_https_handles_resolve_both_ways,
    mentions_notify_and_reach_both_ways,
    boosts_and_group_announces_reach_the_timeline,
    a_friends_only_photo_reaches_the_peer_friend_and_nobody_else,
    a_report_forwarded_to_the_peer_does_not_name_the_reporter,
    a_move_from_the_peer_carries_the_friendship_over,
]);

/// Peer actor `name` follows `member`; the member approves; Enishi follows back and the peer
/// accepts. Returns once both sides show the friendship.
async fn peer_befriends(peer: &FedifyPeer, name: &str, member: &Member) -> anyhow::Result<()> {
    let actor = peer.actor(name);
    let answer = peer
        .call(
            "follow",
            json!({ "actor": name, "target": member.ap_id.as_str() }),
        )
        .await?;
    first_knock_accepted(&answer)?;
    approve_request_from(member, &actor).await?;
    eventually(
        &format!("{} is friends with {actor}", member.name),
        || async { Ok(is_friend(member, &actor).await?.then_some(())) },
    )
    .await?;
    eventually(
        &format!("the peer's {name} follows and is followed"),
        || async {
            let followers = peer.query("followers", &format!("actor={name}")).await?;
            let following = peer.query("following", &format!("actor={name}")).await?;
            let me = json!(member.ap_id.as_str());
            let both = followers.as_array().is_some_and(|f| f.contains(&me))
                && following.as_array().is_some_and(|f| f.contains(&me));
            Ok(both.then_some(()))
        },
    )
    .await
}

async fn is_friend(member: &Member, actor: &str) -> anyhow::Result<bool> {
    let friends = member
        .api
        .ok(&format!("/api/v1/users/{}/friends", member.name))
        .await?;
    Ok(find_item(&friends, "ap_id", actor).is_some())
}

/// Every request Enishi sent to the peer's inboxes passed Fedify's strict verifier with a
/// draft-cavage signature (what Enishi sends by default).
async fn enishi_s_deliveries_verified(peer: &FedifyPeer, base: &str) -> anyhow::Result<usize> {
    let log = peer.query("inbox-log", "").await?;
    let mine: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e.to_string().contains(base))
        .collect();
    anyhow::ensure!(!mine.is_empty(), "no deliveries from {base}: {log}");
    for e in &mine {
        let status = e["status"].as_u64().unwrap_or(0);
        anyhow::ensure!(
            (200..300).contains(&status) && e["signature"]["scheme"] == "draft-cavage",
            "the peer refused or misread a delivery from Enishi: {e}"
        );
    }
    Ok(mine.len())
}

/// Posts as `m` at `path` (`diaries` or `voices`); returns the API body.
async fn post(m: &Member, path: &str, body: Value) -> anyhow::Result<Value> {
    let (s, answer) = m.api.post(&format!("/api/v1/{path}"), body).await?;
    anyhow::ensure!(s == 201, "{path}: {s} {answer}");
    Ok(answer)
}

/// The first activity of `kind` the peer's `actor` received about `object_id`.
async fn peer_received(
    peer: &FedifyPeer,
    actor: &str,
    kind: &str,
    object_id: &str,
) -> anyhow::Result<Value> {
    eventually(
        &format!("the peer's {actor} receives {kind} {object_id}"),
        || async {
            let got = peer.received(actor, kind).await?;
            Ok(got
                .into_iter()
                .find(|r| r["raw"]["object"]["id"] == object_id || r["raw"]["object"] == object_id))
        },
    )
    .await
}

async fn a_peer_actor_and_a_member_become_friends(t: TestDb) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["alice", "bob"]).await?;
    let mika = node.member("mika").await?;
    peer_befriends(&peer, "alice", &mika).await?;

    // Enishi's side: the followers collection is the friend set, for signed readers only.
    let followers = format!("{}/followers", mika.ap_id);
    let (s, answer) = peer.fetch(Some("alice"), &followers).await?;
    anyhow::ensure!(s == 200, "followers, fetched by the friend: {answer}");
    anyhow::ensure!(
        answer["body"]["orderedItems"] == json!([peer.actor("alice")]),
        "mika's followers are exactly her friends: {answer}"
    );
    anyhow::ensure!(
        answer["attempts"].as_array().map(Vec::len) == Some(1)
            && answer["attempts"][0]["scheme"] == "rfc9421",
        "the signed GET was accepted on Fedify's first (RFC 9421) knock: {answer}"
    );
    let (s, _) = peer.fetch(None, &followers).await?;
    anyhow::ensure!(s == 401, "unsigned followers fetch: {s}");

    // The peer's side agrees, and its follow of mika is accepted.
    let follows = peer.query("follows", "actor=alice").await?;
    anyhow::ensure!(
        follows.as_array().is_some_and(|f| f
            .iter()
            .any(|x| x["target"] == mika.ap_id.as_str() && x["state"] == "accepted")),
        "the peer's follow of mika: {follows}"
    );
    // bob, who did nothing, is nobody's friend.
    anyhow::ensure!(!is_friend(&mika, &peer.actor("bob")).await?);
    let n = enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    anyhow::ensure!(n >= 2, "Accept and Follow reached the peer: {n}");
    node.stop().await
}

async fn friends_only_posts_reach_the_peer_friend_and_nobody_else(t: TestDb) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["alice", "bob"]).await?;
    let mika = node.member("mika").await?;
    peer_befriends(&peer, "alice", &mika).await?;
    // bob follows mika but she never approves: a follower is not a friend.
    peer.call(
        "follow",
        json!({ "actor": "bob", "target": mika.ap_id.as_str() }),
    )
    .await?;

    // Longer than any summary, with Markdown: the friend must get all of it, rendered.
    let diary_body = format!(
        "for my **friends**\n\n{}\n\nthe very last line",
        "A long day in the park. ".repeat(20)
    );
    let diary = post(
        &mika,
        "diaries",
        json!({ "title": "Friends only", "body": diary_body, "audience": "friends" }),
    )
    .await?;
    let voice = post(
        &mika,
        "voices",
        json!({ "text": "a friends-only voice", "audience": "friends" }),
    )
    .await?;
    let followers = format!("{}/followers", mika.ap_id);
    for (p, kind) in [(&diary, "Note"), (&voice, "Note")] {
        let id = p["ap_id"].as_str().unwrap();
        let create = peer_received(&peer, "alice", "Create", id).await?;
        let raw = &create["raw"];
        anyhow::ensure!(raw["object"]["type"] == kind, "{kind}: {raw}");
        let addressed = [&raw["to"], &raw["cc"], &raw["object"]["to"]]
            .iter()
            .map(|v| v.to_string())
            .collect::<String>();
        anyhow::ensure!(
            addressed.contains(&followers) && !addressed.contains("#Public"),
            "addressed to followers only: {raw}"
        );
        if std::ptr::eq(p, &diary) {
            // What Fedify itself made of the object (its JSON-LD processing, not our JSON):
            // a Note whose content holds the title and the whole rendered body.
            let content = create["compacted"]["object"]["content"]
                .as_str()
                .unwrap_or_default();
            anyhow::ensure!(
                content.starts_with("<p><strong>Friends only</strong></p>")
                    && content.contains("<strong>friends</strong>")
                    && content
                        .contains(&"A long day in the park. ".repeat(20).trim_end().to_owned())
                    && content.contains("the very last line"),
                "the friend got the whole diary: {}",
                create["compacted"]
            );
            anyhow::ensure!(raw["object"]["name"] == "Friends only", "{raw}");
        }
        // Fetching it: the friend may, the follower who is no friend gets 404, nobody 401.
        let (s, answer) = peer.fetch(Some("alice"), id).await?;
        anyhow::ensure!(s == 200 && answer["body"]["id"] == id, "friend: {answer}");
        let (s, answer) = peer.fetch(Some("bob"), id).await?;
        anyhow::ensure!(s == 404, "signed by a non-friend: {answer}");
        let (s, answer) = peer.fetch(None, id).await?;
        anyhow::ensure!(s == 401, "unsigned: {answer}");
        // The same with an RFC 9421 signature by the Ed25519 key each actor publishes as a
        // Multikey: Enishi finds it in the actor document Fedify serves.
        let s = peer.get_signed_ed25519("alice", id).await?;
        anyhow::ensure!(s == 200, "friend, Ed25519: {s}");
        let s = peer.get_signed_ed25519("bob", id).await?;
        anyhow::ensure!(s == 404, "non-friend, Ed25519: {s}");
    }
    let bob_got = peer.received("bob", "Create").await?;
    anyhow::ensure!(
        bob_got.is_empty(),
        "the non-friend received something: {bob_got:?}"
    );
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    node.stop().await
}

async fn replies_and_likes_from_the_peer_friend_are_kept_and_an_outsider_s_refused(
    t: TestDb,
) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["alice", "bob"]).await?;
    let mika = node.member("mika").await?;
    let nao = node.member("nao").await?;
    befriend(&mika, &nao).await?;
    peer_befriends(&peer, "alice", &mika).await?;
    let diary = post(
        &mika,
        "diaries",
        json!({ "title": "Tell me", "body": "what do you think", "audience": "friends" }),
    )
    .await?;
    let ap_id = diary["ap_id"].as_str().unwrap();
    let local_id = diary["id"].as_str().unwrap();
    peer_received(&peer, "alice", "Create", ap_id).await?;

    // The friend replies and likes; Enishi verifies the first knock, and mika's other friend
    // sees both.
    let reply = peer
        .call(
            "note",
            json!({ "actor": "alice", "content": "<p>alice from the peer agrees</p>",
                    "to": mika.ap_id.as_str(), "inReplyTo": ap_id }),
        )
        .await?;
    first_knock_accepted(&reply)?;
    let like = peer
        .call("like", json!({ "actor": "alice", "object": ap_id }))
        .await?;
    first_knock_accepted(&like)?;
    let reply_id = reply["id"].as_str().unwrap().to_owned();
    eventually("nao sees alice's reply", || async {
        let list = nao
            .api
            .ok(&format!("/api/v1/diaries/{local_id}/comments"))
            .await?;
        Ok(find_item(&list, "ap_id", &reply_id).cloned())
    })
    .await?;
    eventually("nao sees alice's like", || async {
        let likes = nao
            .api
            .ok(&format!("/api/v1/diaries/{local_id}/likes"))
            .await?;
        Ok(likes
            .to_string()
            .contains(&peer.actor("alice"))
            .then_some(()))
    })
    .await?;

    // bob is no friend: his reply and like are refused, whatever signature Fedify tries.
    let reply = peer
        .call(
            "note",
            json!({ "actor": "bob", "content": "let me in", "to": mika.ap_id.as_str(),
                    "inReplyTo": ap_id, "author": mika.ap_id.as_str() }),
        )
        .await?;
    let refused = |answer: &Value| {
        answer["deliveries"]
            .as_array()
            .is_some_and(|d| !d.is_empty() && d.iter().all(|x| x["status"] == 403))
    };
    anyhow::ensure!(refused(&reply), "bob's reply: {reply}");
    let like = peer
        .call(
            "like",
            json!({ "actor": "bob", "object": ap_id, "author": mika.ap_id.as_str() }),
        )
        .await?;
    anyhow::ensure!(refused(&like), "bob's like: {like}");
    let comments = mika
        .api
        .ok(&format!("/api/v1/diaries/{local_id}/comments"))
        .await?;
    anyhow::ensure!(
        find_item(&comments, "ap_id", reply["id"].as_str().unwrap()).is_none()
            && !comments.to_string().contains("let me in"),
        "bob's reply was stored: {comments}"
    );
    let likes = mika
        .api
        .ok(&format!("/api/v1/diaries/{local_id}/likes"))
        .await?;
    anyhow::ensure!(
        !likes.to_string().contains(&peer.actor("bob")),
        "bob's like was stored: {likes}"
    );
    node.stop().await
}

async fn a_followed_peer_actor_s_public_note_reaches_the_timeline_until_deleted(
    t: TestDb,
) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["carol"]).await?;
    let mika = node.member("mika").await?;
    // mika follows carol by URL; the peer accepts at once (carol does not follow back).
    let carol = peer.actor("carol");
    let (s, body) = mika
        .api
        .post("/api/v1/friends/requests", json!({ "target": carol }))
        .await?;
    anyhow::ensure!(s == 201, "follow request: {s} {body}");
    eventually("the peer's carol has mika as a follower", || async {
        let followers = peer.query("followers", "actor=carol").await?;
        Ok(followers
            .as_array()
            .is_some_and(|f| f.contains(&json!(mika.ap_id.as_str())))
            .then_some(()))
    })
    .await?;
    eventually("mika's follow is accepted", || async {
        let rel = mika.relationship(&peer.handle("carol")).await?;
        Ok((rel["following"] == true).then_some(()))
    })
    .await?;

    let note = peer
        .call(
            "note",
            json!({ "actor": "carol", "content": "<p>Hello from <b>Fedify</b></p>", "to": "public" }),
        )
        .await?;
    first_knock_accepted(&note)?;
    let id = note["id"].as_str().unwrap().to_owned();
    let seen = eventually("carol's note in mika's timeline", || async {
        let t = mika.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &id).cloned())
    })
    .await?;
    anyhow::ensure!(
        seen.to_string().contains("Hello from"),
        "the note's text: {seen}"
    );
    let deleted = peer
        .call("delete", json!({ "actor": "carol", "id": id }))
        .await?;
    first_knock_accepted(&deleted)?;
    eventually("carol's note leaves mika's timeline", || async {
        let t = mika.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &id).is_none().then_some(()))
    })
    .await?;
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    node.stop().await
}

async fn unfriending_and_blocking_propagate_both_ways(t: TestDb) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["alice", "bob", "carol", "dave"]).await?;
    let mika = node.member("mika").await?;
    for name in ["alice", "bob", "carol", "dave"] {
        peer_befriends(&peer, name, &mika).await?;
    }
    let me = json!(mika.ap_id.as_str());
    let lists_mika = |name: &'static str| {
        let peer = &peer;
        let me = me.clone();
        async move {
            let followers = peer.query("followers", &format!("actor={name}")).await?;
            let following = peer.query("following", &format!("actor={name}")).await?;
            Ok::<_, anyhow::Error>((
                followers.as_array().is_some_and(|f| f.contains(&me)),
                following.as_array().is_some_and(|f| f.contains(&me)),
            ))
        }
    };

    // mika unfriends alice: the peer drops her from both lists.
    let (s, body) = mika
        .api
        .delete(&format!("/api/v1/friends/{}", peer.handle("alice")))
        .await?;
    anyhow::ensure!(s == 204, "unfriend: {s} {body}");
    eventually("the peer's alice no longer lists mika", || async {
        Ok((lists_mika("alice").await? == (false, false)).then_some(()))
    })
    .await?;
    anyhow::ensure!(!is_friend(&mika, &peer.actor("alice")).await?);

    // mika blocks bob: the peer receives the Block and drops her.
    let (s, body) = mika
        .api
        .post("/api/v1/blocks", json!({ "target": peer.handle("bob") }))
        .await?;
    anyhow::ensure!(s == 204, "block: {s} {body}");
    let block = eventually("the peer's bob receives the Block", || async {
        Ok(peer.received("bob", "Block").await?.into_iter().next())
    })
    .await?;
    anyhow::ensure!(block["raw"]["object"] == peer.actor("bob"), "{block}");
    eventually("the peer's bob no longer lists mika", || async {
        Ok((lists_mika("bob").await? == (false, false)).then_some(()))
    })
    .await?;
    anyhow::ensure!(!is_friend(&mika, &peer.actor("bob")).await?);

    // carol unfollows from the peer's side: the friendship ends on Enishi.
    let answer = peer
        .call(
            "unfollow",
            json!({ "actor": "carol", "target": mika.ap_id.as_str() }),
        )
        .await?;
    first_knock_accepted(&answer)?;
    eventually("mika and carol are no longer friends", || async {
        Ok((!is_friend(&mika, &peer.actor("carol")).await?).then_some(()))
    })
    .await?;
    // dave blocks mika from the peer's side: the friendship ends, and her friends-only posts
    // no longer go to him.
    let answer = peer
        .call(
            "block",
            json!({ "actor": "dave", "target": mika.ap_id.as_str() }),
        )
        .await?;
    first_knock_accepted(&answer)?;
    eventually("mika and dave are no longer friends", || async {
        Ok((!is_friend(&mika, &peer.actor("dave")).await?).then_some(()))
    })
    .await?;
    let (s, answer) = peer
        .fetch(Some("dave"), &format!("{}/followers", mika.ap_id))
        .await?;
    anyhow::ensure!(
        !answer["body"].to_string().contains(&peer.actor("dave")),
        "dave is still among mika's followers: {s} {answer}"
    );
    let voice = post(
        &mika,
        "voices",
        json!({ "text": "after the blocks", "audience": "friends" }),
    )
    .await?;
    let (s, answer) = peer
        .fetch(Some("dave"), voice["ap_id"].as_str().unwrap())
        .await?;
    anyhow::ensure!(s == 404, "dave fetches a friends-only voice: {answer}");
    let got = peer.received("dave", "Create").await?;
    anyhow::ensure!(got.is_empty(), "dave received: {got:?}");
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    node.stop().await
}

async fn over_https_handles_resolve_both_ways(t: TestDb) -> anyhow::Result<()> {
    let ca = TestCa::new()?;
    let enishi_tls = ca.issue("localhost")?;
    let peer_tls = ca.issue("localhost")?;
    let node = Node::start_with(t.kind, 0, |c| {
        c.tls = Some(enishi_tls.config());
        c.extra_ca_certs = Some(ca.cert_path());
    })
    .await?;
    anyhow::ensure!(
        node.run.base_url.starts_with("https://"),
        "{}",
        node.run.base_url
    );
    let peer = FedifyPeer::start_https(
        &["alice"],
        &PeerTls {
            cert: peer_tls.cert.clone(),
            key: peer_tls.key.clone(),
            ca: ca.cert_path(),
        },
    )
    .await?;
    anyhow::ensure!(peer.base.starts_with("https://"), "{}", peer.base);
    let mika = node.member("mika").await?;

    // The peer finds mika by handle (WebFinger over https, as in production)…
    let found = peer
        .call(
            "lookup",
            json!({ "actor": "alice", "handle": format!("@{}", mika.handle) }),
        )
        .await?;
    anyhow::ensure!(found["id"] == mika.ap_id.as_str(), "lookup: {found}");
    // …and mika asks alice by handle; the peer accepts, and when alice follows back, Enishi
    // accepts at once (mika asked first): they are friends.
    let (s, body) = mika
        .api
        .post(
            "/api/v1/friends/requests",
            json!({ "target": peer.handle("alice") }),
        )
        .await?;
    anyhow::ensure!(s == 201, "request by handle: {s} {body}");
    eventually("the peer's alice has mika as a follower", || async {
        let followers = peer.query("followers", "actor=alice").await?;
        Ok(followers
            .as_array()
            .is_some_and(|f| f.contains(&json!(mika.ap_id.as_str())))
            .then_some(()))
    })
    .await?;
    let answer = peer
        .call(
            "follow",
            json!({ "actor": "alice", "target": mika.ap_id.as_str() }),
        )
        .await?;
    first_knock_accepted(&answer)?;
    eventually("mika and alice are friends", || async {
        Ok(is_friend(&mika, &peer.actor("alice")).await?.then_some(()))
    })
    .await?;
    let diary = post(
        &mika,
        "diaries",
        json!({ "title": "Over TLS", "body": "secret", "audience": "friends" }),
    )
    .await?;
    peer_received(&peer, "alice", "Create", diary["ap_id"].as_str().unwrap()).await?;
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;

    // An instance that does not trust the test CA cannot reach the peer: certificates are
    // verified, never waved through.
    let other_tls = ca.issue("localhost")?;
    let untrusting = Node::start_with(t.kind, 0, |c| c.tls = Some(other_tls.config())).await?;
    let mut yui = untrusting.member("yui").await?;
    yui.api = yui.api.with_http(node.http.clone());
    let (s, body) = yui
        .api
        .post(
            "/api/v1/friends/requests",
            json!({ "target": peer.handle("alice") }),
        )
        .await?;
    anyhow::ensure!(
        s.is_client_error() || s.is_server_error(),
        "an instance without the CA reached the peer: {s} {body}"
    );
    let followers = peer.query("followers", "actor=alice").await?;
    anyhow::ensure!(!followers.to_string().contains("/users/yui"), "{followers}");
    untrusting.stop().await?;
    node.stop().await
}

/// Issue 14: a peer actor who is nobody's friend mentions a member in a public note (Fedify
/// tags and cc's the member, as Mastodon does): the member is told. The member mentions the
/// peer actor by handle (WebFinger on the peer): Fedify receives the Create and reads a
/// `Mention` of its actor in it.
async fn mentions_notify_and_reach_both_ways(t: TestDb) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["carol"]).await?;
    let mika = node.member("mika").await?;
    let note = peer
        .call(
            "note",
            json!({
                "actor": "carol",
                "content": "<p>Hi @mika, are you coming?</p>",
                "to": "public",
                "cc": [mika.ap_id.as_str()],
            }),
        )
        .await?;
    first_knock_accepted(&note)?;
    let told = eventually("mika is told of carol's mention", || async {
        let list = mika.api.ok("/api/v1/notifications").await?;
        Ok(list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["kind"] == "mention")
            .cloned())
    })
    .await?;
    anyhow::ensure!(
        told["actor"]["ap_id"] == peer.actor("carol"),
        "by carol: {told}"
    );

    let (s, voice) = mika
        .api
        .post(
            "/api/v1/voices",
            json!({ "text": format!("Yes @{}, see you there", peer.handle("carol")), "audience": "public" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "voice: {s} {voice}");
    let id = voice["ap_id"].as_str().unwrap();
    let create = peer_received(&peer, "carol", "Create", id).await?;
    // Fedify's own reading of the object, not our JSON.
    let object = &create["compacted"]["object"];
    let tags = match &object["tag"] {
        Value::Array(list) => list.clone(),
        one => vec![one.clone()],
    };
    anyhow::ensure!(
        tags.iter()
            .any(|t| t["type"] == "Mention" && t["href"] == peer.actor("carol")),
        "Fedify reads a Mention of carol: {object}"
    );
    anyhow::ensure!(
        object["content"]
            .as_str()
            .is_some_and(|c| c.contains("class=\"u-url mention\"")),
        "the mention is a link: {object}"
    );
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    node.stop().await
}

/// The member's timeline entry for `ap_id`, if there is one.
async fn on_timeline(member: &Member, ap_id: &str) -> anyhow::Result<Option<Value>> {
    let t = member.api.ok("/api/v1/timeline?limit=100").await?;
    Ok(find_item(&t, "ap_id", ap_id).cloned())
}

/// Issue 14, item 4: a Fedify actor the member follows boosts a public note by an actor the
/// member does not follow: it shows on the timeline as boosted by them, and leaves with the
/// `Undo`. A boost of a followers-only note shows nothing. A Fedify `Group` the member
/// follows by handle announces a note's `Create` (FEP-1b12): the note shows, by its author,
/// boosted by the group.
async fn boosts_and_group_announces_reach_the_timeline(t: TestDb) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["carol", "dave", "groupcats"]).await?;
    let mika = node.member("mika").await?;
    for (name, target) in [
        ("carol", peer.actor("carol")),
        ("groupcats", peer.handle("groupcats")),
    ] {
        let (s, body) = mika
            .api
            .post("/api/v1/friends/requests", json!({ "target": target }))
            .await?;
        anyhow::ensure!(s == 201, "follow {name}: {s} {body}");
        eventually(&format!("mika follows {name}"), || async {
            let rel = mika.relationship(&peer.handle(name)).await?;
            Ok((rel["following"] == true).then_some(()))
        })
        .await?;
    }
    let profile = mika
        .api
        .ok(&format!("/api/v1/users/{}", peer.handle("groupcats")))
        .await?;
    anyhow::ensure!(
        profile.to_string().contains("groupcats"),
        "the group is known by its handle: {profile}"
    );

    let public = peer
        .call(
            "note",
            json!({ "actor": "dave", "content": "<p>Dave's public thoughts</p>", "to": "public" }),
        )
        .await?;
    let public_id = public["id"].as_str().unwrap().to_owned();
    let boost = peer
        .call("announce", json!({ "actor": "carol", "object": public_id }))
        .await?;
    first_knock_accepted(&boost)?;
    let first_boost = boost["id"].as_str().unwrap().to_owned();
    let entry = eventually("dave's note boosted into mika's timeline", || async {
        on_timeline(&mika, &public_id).await
    })
    .await?;
    anyhow::ensure!(
        entry["author"]["ap_id"] == peer.actor("dave")
            && entry["boosted_by"]["ap_id"] == peer.actor("carol")
            && entry["text_html"]
                .as_str()
                .is_some_and(|h| h.contains("public thoughts")),
        "by dave, boosted by carol: {entry}"
    );

    let hidden = peer
        .call(
            "note",
            json!({ "actor": "dave", "content": "<p>for dave's followers</p>", "to": "followers" }),
        )
        .await?;
    let hidden_id = hidden["id"].as_str().unwrap().to_owned();
    let boost = peer
        .call("announce", json!({ "actor": "carol", "object": hidden_id }))
        .await?;
    first_knock_accepted(&boost)?;
    anyhow::ensure!(
        on_timeline(&mika, &hidden_id).await?.is_none(),
        "a followers-only note is not shown by a boost"
    );

    let cats = peer
        .call(
            "note",
            json!({
                "actor": "dave",
                "content": "<p>A post to the cats group</p>",
                "to": "public",
                "cc": [peer.actor("groupcats")],
            }),
        )
        .await?;
    let cats_id = cats["id"].as_str().unwrap().to_owned();
    let announce = peer
        .call(
            "announce",
            json!({ "actor": "groupcats", "object": cats_id, "wrap": true }),
        )
        .await?;
    first_knock_accepted(&announce)?;
    let entry = eventually("the group's post in mika's timeline", || async {
        on_timeline(&mika, &cats_id).await
    })
    .await?;
    anyhow::ensure!(
        entry["author"]["ap_id"] == peer.actor("dave")
            && entry["boosted_by"]["ap_id"] == peer.actor("groupcats"),
        "by dave, passed on by the group: {entry}"
    );

    let undo = peer
        .call("unannounce", json!({ "actor": "carol", "id": first_boost }))
        .await?;
    first_knock_accepted(&undo)?;
    eventually("the boost leaves mika's timeline", || async {
        Ok(on_timeline(&mika, &public_id)
            .await?
            .is_none()
            .then_some(()))
    })
    .await?;
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    node.stop().await
}

/// A friends-only diary with a photo: the Fedify friend receives it with the attachment as
/// Mastodon reads one (and Fedify's own JSON-LD reading keeps it a `Document`) and can fetch
/// the file; the follower who is no friend gets neither the diary nor its URL, and the URL
/// dies when the diary narrows to the author alone.
async fn a_friends_only_photo_reaches_the_peer_friend_and_nobody_else(
    t: TestDb,
) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["alice", "bob"]).await?;
    let mika = node.member("mika").await?;
    peer_befriends(&peer, "alice", &mika).await?;
    peer.call(
        "follow",
        json!({ "actor": "bob", "target": mika.ap_id.as_str() }),
    )
    .await?;
    let photo = mika
        .upload_photo(
            enishi_federation_tests::cluster::TEST_PHOTO,
            "The board, finished",
        )
        .await?;
    let diary = post(
        &mika,
        "diaries",
        json!({ "title": "Soldered", "body": "It works.", "audience": "friends",
                "media_ids": [photo["id"]] }),
    )
    .await?;
    let id = diary["ap_id"].as_str().unwrap();
    let url = diary["media"][0]["url"].as_str().unwrap().to_owned();
    let create = peer_received(&peer, "alice", "Create", id).await?;
    let attachment = &create["raw"]["object"]["attachment"][0];
    anyhow::ensure!(
        attachment["type"] == "Document"
            && attachment["mediaType"] == "image/jpeg"
            && attachment["url"] == url.as_str()
            && attachment["name"] == "The board, finished"
            && attachment["width"] == 477
            && attachment["height"] == 720
            && attachment["blurhash"]
                .as_str()
                .is_some_and(|b| b.len() >= 20),
        "the attachment as sent: {attachment}"
    );
    let compacted = &create["compacted"]["object"]["attachment"];
    let read = if compacted.is_array() {
        &compacted[0]
    } else {
        compacted
    };
    anyhow::ensure!(
        read["type"] == "Document" && read["url"] == url.as_str(),
        "what Fedify made of it: {}",
        create["compacted"]
    );
    // Mastodon and Fedify fetch attachments without signatures: the URL is the capability.
    let r = reqwest::get(&url).await?;
    anyhow::ensure!(
        r.status() == 200,
        "the friend fetches the photo: {}",
        r.status()
    );
    anyhow::ensure!(
        r.headers()["content-type"] == "image/jpeg"
            && r.headers()["cache-control"]
                .to_str()?
                .starts_with("private"),
        "{:?}",
        r.headers()
    );
    // The non-friend follower: no delivery, and a signed fetch of the diary is a 404.
    let (s, answer) = peer.fetch(Some("bob"), id).await?;
    anyhow::ensure!(s == 404, "signed by a non-friend: {answer}");
    anyhow::ensure!(peer.received("bob", "Create").await?.is_empty());
    // Narrowed to mika alone: the friend's copy is withdrawn and the URL it had is dead.
    let (s, narrowed) = mika
        .api
        .patch(
            &format!("/api/v1/diaries/{}", diary["id"].as_str().unwrap()),
            json!({ "audience": "private" }),
        )
        .await?;
    anyhow::ensure!(s == 200, "{narrowed}");
    anyhow::ensure!(
        reqwest::get(&url).await?.status() == 404,
        "the old URL is dead"
    );
    let fresh = narrowed["media"][0]["url"].as_str().unwrap();
    anyhow::ensure!(reqwest::get(fresh).await?.status() == 200);
    peer_received(&peer, "alice", "Delete", id).await?;
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    node.stop().await
}

/// A member reports a peer account's note and asks for it to be forwarded: the peer receives a
/// `Flag` from Enishi's instance actor naming the account and the note, verified by Fedify, with
/// the reporter's id nowhere in it (issue 17).
async fn a_report_forwarded_to_the_peer_does_not_name_the_reporter(
    t: TestDb,
) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["carol"]).await?;
    let mika = node.member("mika").await?;
    let carol = peer.actor("carol");
    let (s, body) = mika
        .api
        .post("/api/v1/friends/requests", json!({ "target": carol }))
        .await?;
    anyhow::ensure!(s == 201, "follow request: {s} {body}");
    eventually("mika's follow is accepted", || async {
        let rel = mika.relationship(&peer.handle("carol")).await?;
        Ok((rel["following"] == true).then_some(()))
    })
    .await?;
    let note = peer
        .call(
            "note",
            json!({ "actor": "carol", "content": "<p>Something rude</p>", "to": "public" }),
        )
        .await?;
    first_knock_accepted(&note)?;
    let id = note["id"].as_str().unwrap().to_owned();
    eventually("carol's note in mika's timeline", || async {
        let t = mika.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &id).map(drop))
    })
    .await?;
    let (s, made) = mika
        .api
        .post(
            "/api/v1/reports",
            json!({"target": carol, "object_ids": [id], "reason": "violation",
                   "comment": "rude note", "forward": true}),
        )
        .await?;
    anyhow::ensure!(s == 201 && made["forwarded"] == true, "{s} {made}");
    let flags = eventually("the peer receives the Flag", || async {
        let got = peer.received("carol", "Flag").await?;
        Ok((!got.is_empty()).then_some(got))
    })
    .await?;
    let flag = &flags[0];
    let raw = flag["raw"].to_string();
    anyhow::ensure!(
        flag["actor"] == format!("{}/actor", node.run.base_url),
        "from the instance actor: {flag}"
    );
    anyhow::ensure!(
        raw.contains(&carol) && raw.contains(&id) && raw.contains("rude note"),
        "names the account, the note and the comment: {raw}"
    );
    anyhow::ensure!(
        !raw.contains(mika.ap_id.as_str()) && !raw.contains("mika"),
        "the reporter is not named: {raw}"
    );
    anyhow::ensure!(
        flag["signature"].is_object() || flag["signature"].is_string(),
        "signed: {flag}"
    );
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    node.stop().await
}

/// The peer's carol, a member's friend, moves to carol2 (which lists carol in `alsoKnownAs`):
/// Enishi believes the `Move` after fetching carol2, and when carol2 then asks the member for
/// their friendship it is granted at once and the friendship with carol ends (issue 17).
async fn a_move_from_the_peer_carries_the_friendship_over(t: TestDb) -> anyhow::Result<()> {
    let node = Node::start(t.kind).await?;
    let peer = FedifyPeer::start(&["carol", "carol2", "mallory"]).await?;
    let mika = node.member("mika").await?;
    peer_befriends(&peer, "carol", &mika).await?;
    let (carol, carol2) = (peer.actor("carol"), peer.actor("carol2"));
    // A Move to an account that does not list carol is not believed.
    let refused = peer
        .call(
            "move",
            json!({ "actor": "carol", "target": peer.actor("mallory") }),
        )
        .await?;
    anyhow::ensure!(
        refused["deliveries"][0]["ok"] == false,
        "a Move to an account without the alias: {refused}"
    );
    peer.call("alias", json!({ "actor": "carol2", "aliases": [carol] }))
        .await?;
    // (After the refusal Fedify signs for this server the other way first: each delivery is
    // checked for its outcome, not for the first knock.)
    let delivered = |answer: &Value| {
        answer["deliveries"]
            .as_array()
            .is_some_and(|d| !d.is_empty() && d.iter().all(|x| x["ok"] == true))
    };
    let moved = peer
        .call("move", json!({ "actor": "carol", "target": carol2 }))
        .await?;
    anyhow::ensure!(delivered(&moved), "{moved}");
    let asked = peer
        .call(
            "follow",
            json!({ "actor": "carol2", "target": mika.ap_id.as_str() }),
        )
        .await?;
    anyhow::ensure!(delivered(&asked), "{asked}");
    eventually(
        "mika is friends with carol2 and no longer with carol",
        || async {
            let moved_over = is_friend(&mika, &carol2).await? && !is_friend(&mika, &carol).await?;
            Ok(moved_over.then_some(()))
        },
    )
    .await?;
    let incoming = mika
        .api
        .ok("/api/v1/friends/requests?direction=incoming")
        .await?;
    anyhow::ensure!(
        incoming["items"].as_array().is_some_and(Vec::is_empty),
        "no request left waiting: {incoming}"
    );
    enishi_s_deliveries_verified(&peer, &node.run.base_url).await?;
    node.stop().await
}

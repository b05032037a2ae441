//! What happens to content already delivered when the community changes (issue 11): an
//! unfriend from either side ends access on the reader's instance too, friends-of-friends
//! proof ends with the friendship, a remote member's sections are shown no wider than their
//! own server shows them, comments by the author's other members reach remote friends, and a
//! narrowed post stays with the friends who keep it. One regression test per problem found,
//! each on SQLite and PostgreSQL.

use enishi_federation_tests::cluster::{Member, Node, befriend, eventually, find_item};
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    an_unfriend_ends_access_to_delivered_posts_from_either_side,
    friends_of_friends_proof_ends_with_the_friendship,
    a_friendship_ended_on_another_server_ends_the_proof_too,
    introductions_of_a_remote_subject_follow_the_subject_s_section,
    a_remote_member_s_friends_list_follows_its_audience,
    a_post_page_names_the_author_only_as_the_nickname_allows,
    comments_by_the_author_s_other_members_reach_remote_friends,
    narrowing_keeps_the_post_for_remote_friends_behind_a_shared_inbox,
    a_member_deletes_her_own_comment_on_a_remote_post,
    a_public_copy_outlives_the_last_follower_a_narrowed_one_does_not,
    looking_up_an_actor_while_it_is_being_stored_never_fails,
]);

/// Posts a diary or voice post as `m`; returns its API body.
async fn post(m: &Member, kind: &str, text: &str, audience: &str) -> anyhow::Result<Value> {
    let body = if kind == "diaries" {
        json!({ "title": text, "body": format!("{text} (body)"), "audience": audience })
    } else {
        json!({ "text": text, "audience": audience })
    };
    let (s, out) = m.api.post(&format!("/api/v1/{kind}"), body).await?;
    anyhow::ensure!(s == 201, "{kind}: {s} {out}");
    Ok(out)
}

/// Waits until both instances have delivered everything they queued, and a moment more for
/// the receiving inboxes to finish their writes.
async fn settle(nodes: &[&Node]) -> anyhow::Result<()> {
    eventually("every outbox is empty", || async {
        for n in nodes {
            if enishi_db::outbox::status(&n.run.db).await?.depth != 0 {
                return Ok(None);
            }
        }
        Ok(Some(()))
    })
    .await?;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    Ok(())
}

/// The `ap_id`s of the items of an API list (an unknown account is a 404: nothing seen).
async fn listed(m: &Member, path: &str, field: &str) -> anyhow::Result<Vec<String>> {
    let (s, page) = m.api.get(path).await?;
    if s == 404 {
        return Ok(Vec::new());
    }
    anyhow::ensure!(s == 200, "GET {path}: {s} {page}");
    Ok(page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i[field].as_str().map(str::to_owned))
        .collect())
}

/// The local id of the post `ap_id` on `m`'s instance, through `m`'s timeline.
async fn local_id(m: &Member, ap_id: &str) -> anyhow::Result<String> {
    eventually(&format!("{ap_id} reaches {}", m.name), || async {
        let t = m.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", ap_id).and_then(|p| p["id"].as_str().map(str::to_owned)))
    })
    .await
}

/// Everything `reader` can reach of `author`'s post `ap_id` (local id `id`, a diary): in the
/// author's list, by id, its comments, and the timeline.
async fn reaches(
    reader: &Member,
    author: &Member,
    ap_id: &str,
    id: &str,
) -> anyhow::Result<Vec<&'static str>> {
    let mut seen = Vec::new();
    let list = listed(
        reader,
        &format!("/api/v1/users/{}/diaries", author.handle),
        "ap_id",
    )
    .await?;
    if list.iter().any(|x| x == ap_id) {
        seen.push("list");
    }
    if reader.api.get(&format!("/api/v1/diaries/{id}")).await?.0 == 200 {
        seen.push("by id");
    }
    if reader
        .api
        .get(&format!("/api/v1/diaries/{id}/comments"))
        .await?
        .0
        == 200
    {
        seen.push("comments");
    }
    let t = reader.api.ok("/api/v1/timeline").await?;
    if find_item(&t, "ap_id", ap_id).is_some() {
        seen.push("timeline");
    }
    Ok(seen)
}

async fn an_unfriend_ends_access_to_delivered_posts_from_either_side(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let carol = b.member("carol").await?;
    let mut problems = Vec::new();
    for unfriender in ["alice", "carol"] {
        befriend(&alice, &carol).await?;
        let d = post(
            &alice,
            "diaries",
            &format!("for friends ({unfriender})"),
            "friends",
        )
        .await?;
        let ap_id = d["ap_id"].as_str().unwrap().to_owned();
        let id = local_id(&carol, &ap_id).await?;
        let (_, on_b) = carol.api.get(&format!("/api/v1/diaries/{id}")).await?;
        if on_b["audience"] != "friends" {
            problems.push(format!(
                "a received friends-only diary is labelled {} on the reader's instance",
                on_b["audience"]
            ));
        }
        let (s, c) = carol
            .api
            .post(
                &format!("/api/v1/diaries/{id}/comments"),
                json!({"text": "nice"}),
            )
            .await?;
        anyhow::ensure!(s == 201, "comment: {s} {c}");
        anyhow::ensure!(
            reaches(&carol, &alice, &ap_id, &id).await?.len() == 4,
            "a friend reaches the diary everywhere"
        );
        let (s, _) = if unfriender == "alice" {
            alice
                .api
                .delete(&format!("/api/v1/friends/{}", carol.handle))
                .await?
        } else {
            carol
                .api
                .delete(&format!("/api/v1/friends/{}", alice.handle))
                .await?
        };
        anyhow::ensure!(s == 204, "unfriend by {unfriender}: {s}");
        settle(&[&a, &b]).await?;
        let left = reaches(&carol, &alice, &ap_id, &id).await?;
        if !left.is_empty() {
            problems.push(format!(
                "after {unfriender} ended the friendship, carol still reaches the friends-only diary on her instance: {left:?}"
            ));
        }
        let (s, _) = carol.signed_get(&ap_id).await?;
        if s != 404 {
            problems.push(format!("signed fetch by an ex-friend: {s}"));
        }
    }
    anyhow::ensure!(problems.is_empty(), "{}", problems.join("\n"));
    a.stop().await?;
    b.stop().await
}

async fn friends_of_friends_proof_ends_with_the_friendship(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let m1 = a.member("m1").await?;
    let m2 = a.member("m2").await?;
    let n2 = b.member("n2").await?;
    befriend(&m1, &n2).await?;
    let voice = post(
        &m1,
        "voices",
        "friends of friends only",
        "friends_of_friends",
    )
    .await?;
    let id = voice["id"].as_str().unwrap().to_owned();
    for ender in ["m2", "n2"] {
        befriend(&m2, &n2).await?;
        // A proves m2 a friend of m1's friend n2 once it has read n2's friend list.
        eventually("m2 sees m1's friends-of-friends voice post", || async {
            Ok((m2.api.get(&format!("/api/v1/voices/{id}")).await?.0 == 200).then_some(()))
        })
        .await?;
        let (s, _) = if ender == "m2" {
            m2.api
                .delete(&format!("/api/v1/friends/{}", n2.handle))
                .await?
        } else {
            n2.api
                .delete(&format!("/api/v1/friends/{}", m2.handle))
                .await?
        };
        anyhow::ensure!(s == 204, "unfriend by {ender}: {s}");
        settle(&[&a, &b]).await?;
        let (s, _) = m2.api.get(&format!("/api/v1/voices/{id}")).await?;
        anyhow::ensure!(
            s == 404,
            "after {ender} ended m2–n2, m2 still counts as a friend of m1's friend n2: {s}"
        );
        let seen = listed(&m2, "/api/v1/users/m1/voices", "id").await?;
        anyhow::ensure!(!seen.contains(&id), "m1's voice list still shows it to m2");
    }
    a.stop().await?;
    b.stop().await
}

/// Two members of B end their friendship: A, which proved one a friend of a friend through the
/// other's friend list, hears of it (`Remove` from the followers collection) and forgets it.
async fn a_friendship_ended_on_another_server_ends_the_proof_too(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let m1 = a.member("m1").await?;
    let n2 = b.member("n2").await?;
    let n3 = b.member("n3").await?;
    befriend(&n2, &n3).await?;
    // A learns n2's friend list, n3 on it, when m1 and n2 become friends.
    befriend(&m1, &n2).await?;
    let voice = post(
        &m1,
        "voices",
        "friends of friends only",
        "friends_of_friends",
    )
    .await?;
    let ap_id = voice["ap_id"].as_str().unwrap().to_owned();
    eventually("n3, a friend of m1's friend n2, may fetch it", || async {
        Ok((n3.signed_get(&ap_id).await?.0 == 200).then_some(()))
    })
    .await?;
    let (s, _) = n3
        .api
        .delete(&format!("/api/v1/friends/{}", n2.name))
        .await?;
    anyhow::ensure!(s == 204, "unfriend on B: {s}");
    settle(&[&a, &b]).await?;
    let (s, _) = n3.signed_get(&ap_id).await?;
    anyhow::ensure!(
        s == 404,
        "after n2 and n3 parted on B, A still proves n3 a friend of m1's friend: {s}"
    );
    a.stop().await?;
    b.stop().await
}

async fn introductions_of_a_remote_subject_follow_the_subject_s_section(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let a1 = a.member("a1").await?;
    let b2 = b.member("b2").await?;
    let b3 = b.member("b3").await?;
    befriend(&a1, &b2).await?;
    befriend(&b2, &b3).await?;
    let (s, body) = a1
        .api
        .patch(
            "/api/v1/me/settings",
            json!({"introductions_audience": "private"}),
        )
        .await?;
    anyhow::ensure!(s == 200, "settings: {s} {body}");
    settle(&[&a, &b]).await?;
    let (s, intro) = b2
        .api
        .post(
            &format!("/api/v1/users/{}/introductions", a1.handle),
            json!({"text": "a1 is kind"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "introduction: {s} {intro}");
    let intro_id = intro["id"].as_str().unwrap().to_owned();
    settle(&[&a, &b]).await?;
    let path = format!("/api/v1/users/{}/introductions", a1.handle);
    anyhow::ensure!(
        listed(&b2, &path, "id").await?.contains(&intro_id),
        "the writer sees their introduction"
    );
    anyhow::ensure!(
        !listed(&b3, &path, "id").await?.contains(&intro_id),
        "b3 sees an introduction in a1's private section on B"
    );
    let (s, _) = b3
        .api
        .get(&format!("/api/v1/introductions/{intro_id}"))
        .await?;
    anyhow::ensure!(s == 404, "b3 reads it by id: {s}");
    // Widened on A, it is shown on B to those the new audience admits.
    let (s, _) = a1
        .api
        .patch(
            "/api/v1/me/settings",
            json!({"introductions_audience": "friends_of_friends"}),
        )
        .await?;
    anyhow::ensure!(s == 200);
    eventually(
        "b3, a friend of a1's friend, sees it after a widening",
        || async {
            Ok(listed(&b3, &path, "id")
                .await?
                .contains(&intro_id)
                .then_some(()))
        },
    )
    .await?;
    a.stop().await?;
    b.stop().await
}

async fn a_remote_member_s_friends_list_follows_its_audience(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let a1 = a.member("a1").await?;
    let b1 = b.member("b1").await?;
    let b2 = b.member("b2").await?;
    for m in [&a1, &b2] {
        let (s, _) = m
            .api
            .patch(
                "/api/v1/me/settings",
                json!({"friends_audience": "private"}),
            )
            .await?;
        anyhow::ensure!(s == 200);
    }
    befriend(&a1, &b1).await?;
    befriend(&a1, &b2).await?;
    settle(&[&a, &b]).await?;
    let path = format!("/api/v1/users/{}/friends", a1.handle);
    let seen = listed(&b1, &path, "handle").await?;
    anyhow::ensure!(
        seen.is_empty(),
        "b1 sees a1's private friends list on B: {seen:?}"
    );
    // A public list is shown.
    let (s, _) = a1
        .api
        .patch("/api/v1/me/settings", json!({"friends_audience": "public"}))
        .await?;
    anyhow::ensure!(s == 200);
    eventually("a1's list, made public, shows on B", || async {
        Ok((!listed(&b1, &path, "handle").await?.is_empty()).then_some(()))
    })
    .await?;
    a.stop().await?;
    b.stop().await
}

async fn a_post_page_names_the_author_only_as_the_nickname_allows(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let (s, _) = alice
        .api
        .patch("/api/v1/me/profile", json!({"nickname": "SecretNick7"}))
        .await?;
    anyhow::ensure!(s == 200 || s == 204, "profile: {s}");
    let (s, _) = alice
        .api
        .patch(
            "/api/v1/me/settings",
            json!({"nickname_audience": "friends"}),
        )
        .await?;
    anyhow::ensure!(s == 200);
    for kind in ["diaries", "voices"] {
        let p = post(&alice, kind, "hello world", "public").await?;
        let page = a
            .http
            .get(p["ap_id"].as_str().unwrap())
            .header("accept", "text/html")
            .send()
            .await?;
        anyhow::ensure!(page.status() == 200, "{kind} page: {}", page.status());
        let html = page.text().await?;
        anyhow::ensure!(
            html.contains("hello world"),
            "the {kind} page shows the post"
        );
        anyhow::ensure!(
            !html.contains("SecretNick7"),
            "the {kind} page shows a friends-only nickname to a visitor"
        );
    }
    a.stop().await
}

async fn comments_by_the_author_s_other_members_reach_remote_friends(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let a1 = a.member("a1").await?;
    let a2 = a.member("a2").await?;
    let b1 = b.member("b1").await?;
    befriend(&a1, &a2).await?;
    befriend(&a1, &b1).await?;
    for audience in ["friends", "friends_of_friends"] {
        let d = post(&a1, "diaries", &format!("{audience} diary"), audience).await?;
        let id = d["id"].as_str().unwrap();
        for (m, text) in [(&a2, "from a2"), (&a1, "from a1")] {
            let (s, c) = m
                .api
                .post(
                    &format!("/api/v1/diaries/{id}/comments"),
                    json!({ "text": text }),
                )
                .await?;
            anyhow::ensure!(s == 201, "comment: {s} {c}");
        }
        let on_b = local_id(&b1, d["ap_id"].as_str().unwrap()).await?;
        eventually(
            &format!("b1 sees both comments on the {audience} diary"),
            || async {
                let texts =
                    listed(&b1, &format!("/api/v1/diaries/{on_b}/comments"), "text").await?;
                Ok(
                    (texts.contains(&"from a2".to_owned())
                        && texts.contains(&"from a1".to_owned()))
                    .then_some(()),
                )
            },
        )
        .await?;
    }
    a.stop().await?;
    b.stop().await
}

async fn narrowing_keeps_the_post_for_remote_friends_behind_a_shared_inbox(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let a1 = a.member("a1").await?;
    let b1 = b.member("b1").await?;
    let b2 = b.member("b2").await?;
    let b3 = b.member("b3").await?;
    befriend(&a1, &b1).await?;
    befriend(&a1, &b2).await?;
    let d = post(&a1, "diaries", "open to all", "public").await?;
    let ap_id = d["ap_id"].as_str().unwrap().to_owned();
    let on_b = local_id(&b1, &ap_id).await?;
    // b3, no friend of a1, reads the public copy on B and comments.
    let (s, c) = b3
        .api
        .post(
            &format!("/api/v1/diaries/{on_b}/comments"),
            json!({"text": "from an outsider"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "b3 comments: {s} {c}");
    settle(&[&a, &b]).await?;
    let (s, body) = a1
        .api
        .patch(
            &format!("/api/v1/diaries/{}", d["id"].as_str().unwrap()),
            json!({"audience": "friends"}),
        )
        .await?;
    anyhow::ensure!(s == 200, "narrowing: {s} {body}");
    settle(&[&a, &b]).await?;
    for friend in [&b1, &b2] {
        let (s, p) = friend.api.get(&format!("/api/v1/diaries/{on_b}")).await?;
        anyhow::ensure!(
            s == 200,
            "{} lost a1's diary when it was narrowed to friends: {s}",
            friend.name
        );
        anyhow::ensure!(p["audience"] == "friends", "labelled {}", p["audience"]);
    }
    let (s, _) = b3.api.get(&format!("/api/v1/diaries/{on_b}")).await?;
    anyhow::ensure!(s == 404, "b3 keeps the narrowed diary: {s}");
    a.stop().await?;
    b.stop().await
}

async fn a_member_deletes_her_own_comment_on_a_remote_post(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let a1 = a.member("a1").await?;
    let b1 = b.member("b1").await?;
    befriend(&a1, &b1).await?;
    let d = post(&a1, "diaries", "friends only", "friends").await?;
    let on_b = local_id(&b1, d["ap_id"].as_str().unwrap()).await?;
    let (s, c) = b1
        .api
        .post(
            &format!("/api/v1/diaries/{on_b}/comments"),
            json!({"text": "I take this back"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "comment: {s} {c}");
    let on_a = format!("/api/v1/diaries/{}/comments", d["id"].as_str().unwrap());
    eventually("the comment reaches A", || async {
        Ok((!listed(&a1, &on_a, "id").await?.is_empty()).then_some(()))
    })
    .await?;
    let (s, body) = b1
        .api
        .delete(&format!("/api/v1/comments/{}", c["id"].as_str().unwrap()))
        .await?;
    anyhow::ensure!(
        s == 204,
        "deleting one's own comment on a remote post: {s} {body}"
    );
    anyhow::ensure!(
        listed(&b1, &format!("/api/v1/diaries/{on_b}/comments"), "id")
            .await?
            .is_empty(),
        "the comment stays on B"
    );
    eventually("the comment goes on A", || async {
        Ok(listed(&a1, &on_a, "id").await?.is_empty().then_some(()))
    })
    .await?;
    a.stop().await?;
    b.stop().await
}

/// A public post kept on A, with a comment by a member of A, is edited after that member left
/// the author's friends (found by the cross-instance leak hunt): the `Update` keeps the copy and
/// the comment, which its writer can still delete. The same post narrowed to followers, of
/// whom A has none left, goes from A.
async fn a_public_copy_outlives_the_last_follower_a_narrowed_one_does_not(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let a1 = a.member("a1").await?;
    let b1 = b.member("b1").await?;
    befriend(&a1, &b1).await?;
    let d = post(&b1, "diaries", "open to all", "public").await?;
    let ap_id = d["ap_id"].as_str().unwrap().to_owned();
    let on_a = local_id(&a1, &ap_id).await?;
    let (s, c) = a1
        .api
        .post(
            &format!("/api/v1/diaries/{on_a}/comments"),
            json!({"text": "mine"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "comment: {s} {c}");
    let (s, e) = a1
        .api
        .delete(&format!("/api/v1/friends/{}", b1.handle))
        .await?;
    anyhow::ensure!(s == 204, "unfriend: {s} {e}");
    settle(&[&a, &b]).await?;
    // B's own document of the post, sent again as an Update by its author (as a retry or a
    // shared-inbox delivery would bring it), first still public, then narrowed.
    let mut object: Value = reqwest::Client::new()
        .get(&ap_id)
        .header("accept", "application/activity+json")
        .send()
        .await?
        .json()
        .await?;
    let inbox = format!("{}/inbox", a.run.base_url);
    let update = |object: &Value, n: u32| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{ap_id}#update-{n}"),
            "type": "Update",
            "actor": b1.ap_id.as_str(),
            "to": object["to"].clone(),
            "object": object,
        })
    };
    object["content"] = json!("<p><strong>open to all</strong></p><p>edited</p>");
    let (s, e) = b1.signed_post(&inbox, &update(&object, 1)).await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    let (s, kept) = a1.api.get(&format!("/api/v1/diaries/{on_a}")).await?;
    anyhow::ensure!(
        s == 200
            && kept["body_html"]
                .as_str()
                .unwrap_or_default()
                .contains("edited"),
        "the public copy stays, edited: {s} {kept}"
    );
    let comments = listed(&a1, &format!("/api/v1/diaries/{on_a}/comments"), "id").await?;
    anyhow::ensure!(comments == [c["id"].as_str().unwrap()], "{comments:?}");
    let (s, body) = a1
        .api
        .delete(&format!("/api/v1/comments/{}", c["id"].as_str().unwrap()))
        .await?;
    anyhow::ensure!(s == 204, "deleting her own comment: {s} {body}");

    object["to"] = json!([format!("{}/followers", b1.ap_id)]);
    object["cc"] = json!([]);
    let (s, e) = b1.signed_post(&inbox, &update(&object, 2)).await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    let (s, gone) = a1.api.get(&format!("/api/v1/diaries/{on_a}")).await?;
    anyhow::ensure!(s == 404, "the narrowed copy is gone: {s} {gone}");
    a.stop().await?;
    b.stop().await
}

/// Several members of B ask a brand-new account of A to be friends at the same moment as that
/// account's own request reaches B's inbox: each path stores the unknown actor, and none may
/// fail on the other's insert. Several rounds, each with a new account.
async fn looking_up_an_actor_while_it_is_being_stored_never_fails(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let mut askers = Vec::new();
    for i in 0..4 {
        askers.push(b.member(&format!("b{i}")).await?);
    }
    for round in 0..6 {
        let new = a.member(&format!("r{round}")).await?;
        let theirs = new.api.post(
            "/api/v1/friends/requests",
            json!({ "target": askers[0].ap_id.as_str() }),
        );
        let ours = futures::future::join_all(askers.iter().map(|m| {
            m.api.post(
                "/api/v1/friends/requests",
                json!({ "target": new.ap_id.as_str() }),
            )
        }));
        let (theirs, ours) = tokio::join!(theirs, ours);
        let (s, body) = theirs?;
        anyhow::ensure!(s == 201, "round {round}: A's request: {s} {body}");
        for r in ours {
            let (s, body) = r?;
            anyhow::ensure!(s == 201, "round {round}: a request from B: {s} {body}");
        }
        // The new account's request, answered 202 by B's inbox, was not lost.
        eventually("B has the new account's request", || async {
            let rel = askers[0].relationship(&new.handle).await?;
            Ok((rel["requested_by"] == true || rel["friend"] == true).then_some(()))
        })
        .await?;
    }
    a.stop().await?;
    b.stop().await
}

//! Enishi instances federating with each other over real HTTP (issue 5): friendship across
//! instances, a friends-only diary reaching friends and nobody else, authorised fetch,
//! comments passed on to the diary's other friends, outsiders refused, an edit narrowing the
//! audience, and blocks. Every scenario runs on SQLite and on PostgreSQL.

use enishi_federation_tests::cluster::{Member, Node, befriend, eventually, find_item};
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    friends_only_diary_reaches_friends_and_nobody_else,
    comments_reach_the_diary_s_other_friends_and_outsiders_are_refused,
    an_edit_narrowing_the_audience_deletes_remote_copies,
    block_and_unfriend_propagate,
    introductions_are_written_accepted_hidden_and_removed_on_unfriend,
    a_drifted_follower_list_is_repaired_by_collection_synchronization,
    friends_of_friends_across_three_instances,
], plain: [
    the_two_instances_command_sets_up_and_stops_cleanly,
]);

/// Posts a diary as `m`; returns its API body.
async fn diary(m: &Member, title: &str, audience: &str) -> anyhow::Result<Value> {
    let (s, body) = m
        .api
        .post(
            "/api/v1/diaries",
            json!({ "title": title, "body": format!("{title}, written by {}", m.name), "audience": audience }),
        )
        .await?;
    anyhow::ensure!(s == 201, "diary: {s} {body}");
    Ok(body)
}

/// Waits until `m`'s timeline has the post with ActivityPub id `ap_id`; returns it.
async fn in_timeline(m: &Member, ap_id: &str) -> anyhow::Result<Value> {
    eventually(&format!("{ap_id} in {}'s timeline", m.name), || async {
        let t = m.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", ap_id).cloned())
    })
    .await
}

async fn timeline_has(m: &Member, ap_id: &str) -> anyhow::Result<bool> {
    let t = m.api.ok("/api/v1/timeline").await?;
    Ok(find_item(&t, "ap_id", ap_id).is_some())
}

async fn friends_only_diary_reaches_friends_and_nobody_else(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let carol = b.member("carol").await?;

    befriend(&alice, &bob).await?;
    // Both instances agree, and the friend set is alice's followers collection.
    let (s, followers) = bob
        .signed_get(&format!("{}/followers", alice.ap_id))
        .await?;
    anyhow::ensure!(s == 200, "followers, signed by a friend: {s} {followers}");
    anyhow::ensure!(
        followers["orderedItems"] == json!([bob.ap_id.as_str()]),
        "alice's followers are exactly her friends: {followers}"
    );
    let unsigned = reqwest::Client::new()
        .get(format!("{}/followers", alice.ap_id))
        .header("accept", "application/activity+json")
        .send()
        .await?
        .status();
    anyhow::ensure!(unsigned == 401, "unsigned followers fetch: {unsigned}");

    let post = diary(&alice, "Friends only", "friends").await?;
    let ap_id = post["ap_id"].as_str().unwrap().to_owned();
    let copy = in_timeline(&bob, &ap_id).await?;
    anyhow::ensure!(copy["title"] == "Friends only", "the copy: {copy}");
    let local_id = copy["id"].as_str().unwrap();
    let (s, _) = bob.api.get(&format!("/api/v1/diaries/{local_id}")).await?;
    anyhow::ensure!(s == 200, "bob reads his copy: {s}");

    // The outsider on the same instance sees nothing, by any path.
    anyhow::ensure!(!timeline_has(&carol, &ap_id).await?, "carol's timeline");
    let (s, _) = carol
        .api
        .get(&format!("/api/v1/diaries/{local_id}"))
        .await?;
    anyhow::ensure!(s == 404, "carol reads bob's copy: {s}");
    let (s, _) = carol
        .api
        .anonymous()
        .get(&format!("/api/v1/diaries/{local_id}"))
        .await?;
    anyhow::ensure!(s == 404, "anonymous API read: {s}");

    // Authorised fetch at the origin: unsigned 401, signed by an outsider 404, by a friend 200.
    let unsigned = reqwest::Client::new()
        .get(&ap_id)
        .header("accept", "application/activity+json")
        .send()
        .await?;
    let status = unsigned.status();
    let answer: serde_json::Value = unsigned.json().await?;
    anyhow::ensure!(status == 401, "unsigned fetch: {status}");
    let message = answer["message"].as_str().unwrap_or_default();
    anyhow::ensure!(
        message.starts_with("diary \"")
            && message.ends_with("needs a signed request (authorised fetch)"),
        "the 401 names what needs a signature: {answer}"
    );
    let html = reqwest::Client::new()
        .get(&ap_id)
        .header("accept", "text/html")
        .send()
        .await?;
    let html_status = html.status();
    let html_text = html.text().await?;
    anyhow::ensure!(
        html_status != 200 && !html_text.contains("written by alice"),
        "anonymous HTML: {html_status}"
    );
    let (s, _) = carol.signed_get(&ap_id).await?;
    anyhow::ensure!(s == 404, "fetch signed by an outsider: {s}");
    let (s, object) = bob.signed_get(&ap_id).await?;
    anyhow::ensure!(s == 200, "fetch signed by a friend: {s}");
    anyhow::ensure!(
        object["type"] == "Note"
            && object["enishi:kind"] == "diary"
            && object["to"] == json!([format!("{}/followers", alice.ap_id)]),
        "the diary's Note, followers-only: {object}"
    );

    // A public diary is fetchable by anyone.
    let public = diary(&alice, "Open", "public").await?;
    let public_id = public["ap_id"].as_str().unwrap();
    let unsigned = reqwest::Client::new()
        .get(public_id)
        .header("accept", "application/activity+json")
        .send()
        .await?
        .status();
    anyhow::ensure!(
        unsigned == 200,
        "unsigned fetch of a public diary: {unsigned}"
    );
    in_timeline(&bob, public_id).await?;

    // Members-only and private diaries never leave.
    let members = diary(&alice, "Members", "members").await?;
    let private = diary(&alice, "Mine", "private").await?;
    let marker = diary(&alice, "After", "friends").await?;
    in_timeline(&bob, marker["ap_id"].as_str().unwrap()).await?;
    for p in [&members, &private] {
        let id = p["ap_id"].as_str().unwrap();
        anyhow::ensure!(!timeline_has(&bob, id).await?, "{id} left the instance");
        let (s, _) = bob.signed_get(id).await?;
        anyhow::ensure!(s == 404, "signed fetch of {id}: {s}");
    }
    a.stop().await?;
    b.stop().await
}

async fn comments_reach_the_diary_s_other_friends_and_outsiders_are_refused(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let c = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let erin = a.member("erin").await?;
    let bob = b.member("bob").await?;
    let carol = b.member("carol").await?;
    let frank = c.member("frank").await?;
    befriend(&alice, &bob).await?;
    befriend(&alice, &frank).await?;
    let (s, body) = alice
        .api
        .post("/api/v1/friends/requests", json!({ "target": "erin" }))
        .await?;
    anyhow::ensure!(s == 201, "{body}");
    let incoming = erin
        .api
        .ok("/api/v1/friends/requests?direction=incoming")
        .await?;
    let id = incoming["items"][0]["id"].as_i64().unwrap();
    erin.api
        .post_empty(&format!("/api/v1/friends/requests/{id}/accept"))
        .await?;

    let post = diary(&alice, "Talk to me", "friends").await?;
    let ap_id = post["ap_id"].as_str().unwrap().to_owned();
    let on_b = in_timeline(&bob, &ap_id).await?;
    in_timeline(&frank, &ap_id).await?;

    // Bob comments on his copy; alice's instance keeps it and passes it on to frank's.
    let (s, comment) = bob
        .api
        .post(
            &format!("/api/v1/diaries/{}/comments", on_b["id"].as_str().unwrap()),
            json!({ "text": "Lovely day, bob here" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "bob's comment: {s} {comment}");
    let comment_ap = comment["ap_id"].as_str().unwrap().to_owned();
    let post_id = post["id"].as_str().unwrap();
    for (who, api, id) in [
        ("alice", &alice.api, post_id.to_owned()),
        ("erin", &erin.api, post_id.to_owned()),
    ] {
        eventually(&format!("{who} sees bob's comment"), || async {
            let list = api.ok(&format!("/api/v1/diaries/{id}/comments")).await?;
            Ok(find_item(&list, "ap_id", &comment_ap).map(|_| ()))
        })
        .await?;
    }
    let on_c = in_timeline(&frank, &ap_id).await?;
    let on_c_id = on_c["id"].as_str().unwrap().to_owned();
    eventually("frank sees bob's comment", || async {
        let list = frank
            .api
            .ok(&format!("/api/v1/diaries/{on_c_id}/comments"))
            .await?;
        Ok(find_item(&list, "ap_id", &comment_ap).map(|_| ()))
    })
    .await?;

    // Carol cannot see the diary: her server's reply is refused, and nothing is stored.
    let note_id = format!("{}/comments/forged-by-carol", b.run.base_url);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/carol-reply", b.run.base_url),
        "type": "Create",
        "actor": carol.ap_id.as_str(),
        "to": [alice.ap_id.as_str()],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": carol.ap_id.as_str(),
            "inReplyTo": ap_id,
            "content": "let me in",
            "to": [alice.ap_id.as_str()],
        }
    });
    let (s, body) = carol
        .signed_post(&format!("{}/inbox", a.run.base_url), &activity)
        .await?;
    anyhow::ensure!(s == 403, "outsider's reply: {s} {body}");
    let like = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/likes/carol", b.run.base_url),
        "type": "Like",
        "actor": carol.ap_id.as_str(),
        "object": ap_id,
    });
    let (s, body) = carol
        .signed_post(&format!("{}/inbox", a.run.base_url), &like)
        .await?;
    anyhow::ensure!(s == 403, "outsider's like: {s} {body}");
    // Nor may anyone spread it: a boost of a post that is not public is refused.
    let boost = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/bob-boost", b.run.base_url),
        "type": "Announce",
        "actor": bob.ap_id.as_str(),
        "object": ap_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    let (s, body) = bob
        .signed_post(&format!("{}/inbox", a.run.base_url), &boost)
        .await?;
    anyhow::ensure!(s == 403, "boost of a friends-only diary: {s} {body}");
    let list = alice
        .api
        .ok(&format!("/api/v1/diaries/{post_id}/comments"))
        .await?;
    anyhow::ensure!(
        find_item(&list, "ap_id", &note_id).is_none(),
        "the refused reply was stored: {list}"
    );
    let likes = alice
        .api
        .ok(&format!("/api/v1/diaries/{post_id}/likes"))
        .await?;
    anyhow::ensure!(
        !likes.to_string().contains("carol"),
        "the refused like was stored: {likes}"
    );

    // The diary's replies collection: for signed requests by those who may see the diary.
    let replies = format!("{ap_id}/replies");
    let (s, body) = frank.signed_get(&replies).await?;
    anyhow::ensure!(
        s == 200 && body["orderedItems"].to_string().contains(&comment_ap),
        "replies, signed by a friend: {s} {body}"
    );
    let (s, _) = carol.signed_get(&replies).await?;
    anyhow::ensure!(s == 404, "replies, signed by an outsider: {s}");
    let unsigned = reqwest::Client::new()
        .get(&replies)
        .header("accept", "application/activity+json")
        .send()
        .await?
        .status();
    anyhow::ensure!(unsigned == 401, "replies, unsigned: {unsigned}");

    // A friend's like from another instance is kept.
    let (s, _) = bob
        .api
        .post_empty(&format!(
            "/api/v1/diaries/{}/like",
            on_b["id"].as_str().unwrap()
        ))
        .await?;
    anyhow::ensure!(s == 204 || s == 200, "bob's like: {s}");
    eventually("alice sees bob's like", || async {
        let likes = alice
            .api
            .ok(&format!("/api/v1/diaries/{post_id}/likes"))
            .await?;
        Ok(likes.to_string().contains(&bob.handle).then_some(()))
    })
    .await?;
    for n in [a, b, c] {
        n.stop().await?;
    }
    Ok(())
}

async fn an_edit_narrowing_the_audience_deletes_remote_copies(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let post = diary(&alice, "Second thoughts", "friends").await?;
    let ap_id = post["ap_id"].as_str().unwrap().to_owned();
    in_timeline(&bob, &ap_id).await?;

    // An edit that keeps the audience updates the copy.
    let id = post["id"].as_str().unwrap();
    let (s, body) = alice
        .api
        .patch(
            &format!("/api/v1/diaries/{id}"),
            json!({ "title": "Third thoughts" }),
        )
        .await?;
    anyhow::ensure!(s == 200, "edit: {s} {body}");
    eventually("bob sees the new title", || async {
        let t = bob.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &ap_id)
            .filter(|p| p["title"] == "Third thoughts")
            .map(|_| ()))
    })
    .await?;

    // Narrowing it to "only me" deletes bob's copy.
    let (s, body) = alice
        .api
        .patch(
            &format!("/api/v1/diaries/{id}"),
            json!({ "audience": "private" }),
        )
        .await?;
    anyhow::ensure!(s == 200, "narrowing edit: {s} {body}");
    eventually("bob's copy is gone", || async {
        Ok((!timeline_has(&bob, &ap_id).await?).then_some(()))
    })
    .await?;
    let (s, _) = bob.signed_get(&ap_id).await?;
    anyhow::ensure!(s == 404, "signed fetch after narrowing: {s}");

    // Deleting a post deletes the copies.
    let gone = diary(&alice, "Short-lived", "friends").await?;
    let gone_ap = gone["ap_id"].as_str().unwrap().to_owned();
    in_timeline(&bob, &gone_ap).await?;
    let (s, _) = alice
        .api
        .delete(&format!("/api/v1/diaries/{}", gone["id"].as_str().unwrap()))
        .await?;
    anyhow::ensure!(s == 204, "delete: {s}");
    eventually("bob's copy of the deleted diary is gone", || async {
        Ok((!timeline_has(&bob, &gone_ap).await?).then_some(()))
    })
    .await?;
    a.stop().await?;
    b.stop().await
}

async fn block_and_unfriend_propagate(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let dan = b.member("dan").await?;
    befriend(&alice, &bob).await?;
    befriend(&alice, &dan).await?;
    let post = diary(&alice, "Before the block", "friends").await?;
    let ap_id = post["ap_id"].as_str().unwrap().to_owned();
    in_timeline(&bob, &ap_id).await?;

    // Unfriending ends the friendship on both sides.
    let (s, body) = dan
        .api
        .delete(&format!("/api/v1/friends/{}", alice.handle))
        .await?;
    anyhow::ensure!(s == 204, "unfriend: {s} {body}");
    eventually("alice no longer friends with dan", || async {
        let rel = alice.relationship(&dan.handle).await?;
        Ok((rel["friend"] == false && rel["followed_by"] == false).then_some(()))
    })
    .await?;

    // A block ends the friendship and hides the blocker's content from the blocked.
    let (s, body) = alice
        .api
        .post("/api/v1/blocks", json!({ "target": bob.handle }))
        .await?;
    anyhow::ensure!(s == 204, "block: {s} {body}");
    eventually("bob no longer friends with alice", || async {
        let rel = bob.relationship(&alice.handle).await;
        Ok(match rel {
            Ok(rel) => (rel["friend"] == false).then_some(()),
            Err(_) => Some(()),
        })
    })
    .await?;
    eventually("alice's diary is out of bob's sight", || async {
        Ok((!timeline_has(&bob, &ap_id).await?).then_some(()))
    })
    .await?;
    let (s, _) = bob.signed_get(&ap_id).await?;
    anyhow::ensure!(s == 404, "blocked friend's signed fetch: {s}");
    a.stop().await?;
    b.stop().await
}

async fn introductions_are_written_accepted_hidden_and_removed_on_unfriend(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let dave = a.member("dave").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;

    // Alice introduces bob; bob's instance keeps it and shows it on his profile.
    let (s, intro) = alice
        .api
        .post(
            &format!("/api/v1/users/{}/introductions", bob.handle),
            json!({ "text": "Bob bakes the best bread in town." }),
        )
        .await?;
    anyhow::ensure!(s == 201, "write: {s} {intro}");
    let ap_id = intro["ap_id"].as_str().unwrap().to_owned();
    let on_b = eventually("bob's profile shows alice's introduction", || async {
        let list = bob.api.ok("/api/v1/users/bob/introductions").await?;
        Ok(find_item(&list, "ap_id", &ap_id).cloned())
    })
    .await?;
    anyhow::ensure!(
        on_b["text"] == "Bob bakes the best bread in town.",
        "{on_b}"
    );
    anyhow::ensure!(on_b["hidden"] == false, "{on_b}");

    // An edit reaches the copy.
    let (s, body) = alice
        .api
        .patch(
            &format!("/api/v1/introductions/{}", intro["id"].as_str().unwrap()),
            json!({ "text": "Bob bakes, and sings." }),
        )
        .await?;
    anyhow::ensure!(s == 200, "edit: {s} {body}");
    eventually("the edit reaches bob's instance", || async {
        let list = bob.api.ok("/api/v1/users/bob/introductions").await?;
        Ok(find_item(&list, "ap_id", &ap_id)
            .filter(|i| i["text"] == "Bob bakes, and sings.")
            .map(|_| ()))
    })
    .await?;

    // Bob hides it: alice's instance hears (Remove) and hides its copy too.
    let (s, body) = bob
        .api
        .post_empty(&format!(
            "/api/v1/introductions/{}/hide",
            on_b["id"].as_str().unwrap()
        ))
        .await?;
    anyhow::ensure!(s == 200, "hide: {s} {body}");
    eventually("alice's copy is hidden", || async {
        let list = alice
            .api
            .ok(&format!("/api/v1/users/{}/introductions", bob.handle))
            .await?;
        Ok(find_item(&list, "ap_id", &ap_id)
            .filter(|i| i["hidden"] == true)
            .map(|_| ()))
    })
    .await?;

    // Bob's introductions collection answers signed requests with what the signer may see.
    let collection = format!("{}/introductions", bob.ap_id);
    let (s, body) = alice.signed_get(&collection).await?;
    anyhow::ensure!(
        s == 200 && body["orderedItems"].to_string().contains(&ap_id),
        "the writer sees her introduction: {s} {body}"
    );
    let (s, body) = dave.signed_get(&collection).await?;
    anyhow::ensure!(
        s == 200 && !body["orderedItems"].to_string().contains(&ap_id),
        "a hidden introduction is not listed to others: {s} {body}"
    );
    let unsigned = reqwest::Client::new()
        .get(&collection)
        .header("accept", "application/activity+json")
        .send()
        .await?
        .status();
    anyhow::ensure!(unsigned == 401, "introductions, unsigned: {unsigned}");

    // Someone who is not bob's friend cannot place an introduction on his profile.
    let forged = json!({
        "@context": enishi_apub::context::default_context(),
        "id": format!("{}/activities/dave-intro", a.run.base_url),
        "type": "Create",
        "actor": dave.ap_id.as_str(),
        "to": [bob.ap_id.as_str()],
        "object": {
            "id": format!("{}/introductions/dave-about-bob", a.run.base_url),
            "type": "Note",
            "attributedTo": dave.ap_id.as_str(),
            "content": "I know bob!",
            "to": [bob.ap_id.as_str()],
            "introductionOf": bob.ap_id.as_str(),
        }
    });
    let (s, body) = dave
        .signed_post(&format!("{}/inbox", b.run.base_url), &forged)
        .await?;
    anyhow::ensure!(s == 403, "a stranger's introduction: {s} {body}");
    let list = bob.api.ok("/api/v1/users/bob/introductions").await?;
    anyhow::ensure!(
        !list.to_string().contains("I know bob"),
        "the stranger's introduction was kept: {list}"
    );

    // Unfriending removes the introduction on both instances.
    let (s, body) = bob
        .api
        .delete(&format!("/api/v1/friends/{}", alice.handle))
        .await?;
    anyhow::ensure!(s == 204, "unfriend: {s} {body}");
    let bobs = bob.api.ok("/api/v1/users/bob/introductions").await?;
    anyhow::ensure!(find_item(&bobs, "ap_id", &ap_id).is_none(), "{bobs}");
    eventually("alice's copy is gone", || async {
        let list = alice
            .api
            .ok(&format!("/api/v1/users/{}/introductions", bob.handle))
            .await?;
        Ok(find_item(&list, "ap_id", &ap_id).is_none().then_some(()))
    })
    .await?;
    a.stop().await?;
    b.stop().await
}

async fn a_drifted_follower_list_is_repaired_by_collection_synchronization(
    t: TestDb,
) -> anyhow::Result<()> {
    use enishi_db::entity::{follow, friendship};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    // B loses its record of bob following alice (a restored backup, a lost Undo).
    let alice_on_b = enishi_db::actors::find_by_ap_id(&b.run.db, &alice.ap_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("B does not know alice"))?;
    follow::Entity::delete_many()
        .filter(follow::Column::FollowerId.eq(bob.actor_id.0))
        .filter(follow::Column::FolloweeId.eq(alice_on_b.id.0))
        .exec(&b.run.db.conn)
        .await?;
    friendship::Entity::delete_many()
        .exec(&b.run.db.conn)
        .await?;
    // A followers-only delivery carries A's digest of alice's followers on B; B's differs, so
    // B fetches the list, finds bob there, and withdraws the follow it has no record of.
    diary(&alice, "Who still reads me?", "friends").await?;
    eventually("alice's followers agree with B again", || async {
        let rel = alice.relationship(&bob.handle).await?;
        Ok((rel["followed_by"] == false && rel["friend"] == false).then_some(()))
    })
    .await?;
    a.stop().await?;
    b.stop().await
}

async fn friends_of_friends_across_three_instances(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let c = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let carol = c.member("carol").await?;
    let dave = c.member("dave").await?;
    // carol is bob's friend; bob becomes alice's. A learns bob's friend list (fetched with
    // alice's signature), which proves that carol is a friend of alice's friend.
    befriend(&bob, &carol).await?;
    befriend(&alice, &bob).await?;
    let fof = diary(&alice, "For friends of friends", "friends_of_friends").await?;
    let fof_id = fof["ap_id"].as_str().unwrap().to_owned();
    let friends = diary(&alice, "For friends", "friends").await?;
    let friends_id = friends["ap_id"].as_str().unwrap().to_owned();
    in_timeline(&bob, &fof_id).await?;
    eventually(
        "carol, a friend of a friend, may fetch the diary",
        || async {
            let (s, _) = carol.signed_get(&fof_id).await?;
            Ok((s == 200).then_some(()))
        },
    )
    .await?;
    let (s, body) = carol.signed_get(&fof_id).await?;
    anyhow::ensure!(body["enishi:kind"] == "diary", "{s} {body}");
    let (s, _) = carol.signed_get(&friends_id).await?;
    anyhow::ensure!(s == 404, "carol may not see a friends-only diary: {s}");
    let (s, _) = dave.signed_get(&fof_id).await?;
    anyhow::ensure!(s == 404, "dave, nobody's friend, may not: {s}");
    let (s, _) = bob.signed_get(&fof_id).await?;
    anyhow::ensure!(s == 200, "bob, a friend, may: {s}");
    for n in [a, b, c] {
        n.stop().await?;
    }
    Ok(())
}

/// `scripts/two-instances` runs this binary; it must come up with demo content and stop cleanly.
async fn the_two_instances_command_sets_up_and_stops_cleanly() -> anyhow::Result<()> {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_two-instances"))
        .args(["--ports", "0", "0", "--no-wait"])
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "{}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "instance A: http://localhost:",
        "instance B: http://localhost:",
        "bob@",
        "stopped",
    ] {
        anyhow::ensure!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    anyhow::ensure!(
        stdout.lines().filter(|l| l.contains(" token ")).count() == 4,
        "four members with tokens:\n{stdout}"
    );
    Ok(())
}

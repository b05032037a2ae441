//! Member safety across servers (issue 17), on SQLite and PostgreSQL. Reports: a member's
//! report forwarded as a `Flag` reaches the account's server from the instance actor, never
//! naming the reporter, and lands in that server's queue with what it names; a `Flag` naming a
//! post its sender was never sent keeps the report but not that post. Leaving: a deleted
//! account's `Delete` reaches the friend's server, which drops the friendship and the posts.
//! Moving: a member moves to an account on a third server that lists them as an alias; their
//! friend's server believes the `Move` and carries the friendship over when the new account
//! asks.

use enishi_db::accounts::{self, Role};
use enishi_federation_tests::cluster::{Member, Node, befriend, eventually};
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    a_forwarded_report_reaches_the_other_server_without_the_reporter,
    a_flag_names_only_what_its_sender_could_see,
    a_deleted_account_is_gone_on_the_friend_s_server_too,
    a_member_moves_to_another_server_and_the_friendship_follows,
]);

async fn moderator(node: &Node, name: &str) -> anyhow::Result<Member> {
    let m = node.member(name).await?;
    anyhow::ensure!(accounts::set_role(&node.run.db, name, Role::Moderator, "test").await?);
    Ok(m)
}

async fn queue(m: &Member) -> anyhow::Result<Vec<Value>> {
    let q = m.api.ok("/api/v1/admin/reports").await?;
    Ok(q["items"].as_array().cloned().unwrap_or_default())
}

async fn a_forwarded_report_reaches_the_other_server_without_the_reporter(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let mo = moderator(&b, "mo").await?;
    befriend(&alice, &bob).await?;
    let (s, post) = bob
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "a rude voice", "audience": "friends"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "{post}");
    let ap_id = post["ap_id"].as_str().unwrap().to_owned();
    eventually("bob's voice reaches alice", || async {
        let t = alice.api.ok("/api/v1/timeline").await?;
        Ok(t.to_string().contains(&ap_id).then_some(()))
    })
    .await?;
    let (s, made) = alice
        .api
        .post(
            "/api/v1/reports",
            json!({"target": bob.handle, "object_ids": [ap_id], "reason": "violation",
                   "comment": "please look", "forward": true}),
        )
        .await?;
    anyhow::ensure!(s == 201, "{made}");
    anyhow::ensure!(made["forwarded"] == true, "{made}");
    // alice's own instance keeps the report too.
    let local_mo = moderator(&a, "amo").await?;
    anyhow::ensure!(queue(&local_mo).await?.len() == 1);

    let r = eventually("the Flag lands in b's queue", || async {
        Ok(queue(&mo).await?.into_iter().next())
    })
    .await?;
    anyhow::ensure!(r["reporter"].is_null(), "the reporter is not named: {r}");
    anyhow::ensure!(r["origin"] == a.domain(), "{r}");
    anyhow::ensure!(r["target"]["handle"] == "bob", "{r}");
    anyhow::ensure!(r["comment"] == "please look", "{r}");
    anyhow::ensure!(r["objects"][0]["text"] == "a rude voice", "{r}");
    // Nothing that left a names alice.
    use sea_orm::EntityTrait;
    let sent = enishi_db::entity::outbox_activity::Entity::find()
        .all(&a.run.db.conn)
        .await?;
    let flag = sent
        .iter()
        .find(|o| o.body.contains("\"Flag\""))
        .ok_or_else(|| anyhow::anyhow!("no Flag was queued"))?;
    anyhow::ensure!(
        !flag.body.contains("alice") && flag.body.contains("/actor"),
        "the Flag: {}",
        flag.body
    );
    b.stop().await?;
    a.stop().await
}

async fn a_flag_names_only_what_its_sender_could_see(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let carol = a.member("carol").await?;
    let bob = b.member("bob").await?;
    let mo = moderator(&b, "mo").await?;
    let mut ids = Vec::new();
    for (text, audience) in [
        ("seen by all", "public"),
        ("for friends at home", "friends"),
    ] {
        let (s, p) = bob
            .api
            .post(
                "/api/v1/voices",
                json!({"text": text, "audience": audience}),
            )
            .await?;
        anyhow::ensure!(s == 201, "{p}");
        ids.push(p["ap_id"].as_str().unwrap().to_owned());
    }
    let flag = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/flags/1", carol.ap_id),
        "type": "Flag",
        "actor": carol.ap_id.as_str(),
        "content": "both of these",
        "object": [bob.ap_id.as_str(), ids[0], ids[1]],
    });
    let inbox = format!("{}/inbox", b.run.base_url);
    let (s, e) = carol.signed_post(&inbox, &flag).await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    // The same Flag again changes nothing.
    let (s, _) = carol.signed_post(&inbox, &flag).await?;
    anyhow::ensure!(s == 202);
    let list = queue(&mo).await?;
    anyhow::ensure!(list.len() == 1, "{list:?}");
    let objects = list[0]["objects"].as_array().unwrap();
    anyhow::ensure!(objects.len() == 1, "only the public post: {objects:?}");
    anyhow::ensure!(objects[0]["text"] == "seen by all");
    anyhow::ensure!(!list[0].to_string().contains("for friends at home"));
    // A Flag naming nobody here is refused.
    let stray = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/flags/2", carol.ap_id),
        "type": "Flag",
        "actor": carol.ap_id.as_str(),
        "object": [ids[0]],
    });
    let (s, _) = carol.signed_post(&inbox, &stray).await?;
    anyhow::ensure!(s == 404, "{s}");
    b.stop().await?;
    a.stop().await
}

async fn a_deleted_account_is_gone_on_the_friend_s_server_too(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let (s, d) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "bye", "body": "for my friends", "audience": "friends"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "{d}");
    let ap_id = d["ap_id"].as_str().unwrap().to_owned();
    eventually("the diary reaches bob", || async {
        let t = bob.api.ok("/api/v1/timeline").await?;
        Ok(t.to_string().contains(&ap_id).then_some(()))
    })
    .await?;
    let (s, e) = alice
        .api
        .delete_json("/api/v1/me", json!({"password": "wrong"}))
        .await?;
    anyhow::ensure!(s == 403, "a wrong password: {s} {e}");
    let (s, e) = alice
        .api
        .delete_json("/api/v1/me", json!({"password": "password1"}))
        .await?;
    anyhow::ensure!(s == 204, "{s} {e}");
    eventually("bob's server forgets alice", || async {
        let rel = bob.relationship(&alice.handle).await;
        let t = bob.api.ok("/api/v1/timeline").await?;
        let gone = !t.to_string().contains(&ap_id) && rel.map_or(true, |r| r["friend"] != true);
        Ok(gone.then_some(()))
    })
    .await?;
    let friends = bob.api.ok("/api/v1/users/bob/friends").await?;
    anyhow::ensure!(
        !friends.to_string().contains(alice.ap_id.as_str()),
        "{friends}"
    );
    anyhow::ensure!(
        enishi_db::actors::find_by_ap_id(&b.run.db, &alice.ap_id)
            .await?
            .is_none(),
        "b no longer keeps alice's actor"
    );
    // The name stays taken on her own server.
    let taken = enishi_db::accounts::find_by_username(&a.run.db, "alice").await?;
    anyhow::ensure!(taken.is_some_and(|m| m.suspended_at.is_some()));
    b.stop().await?;
    a.stop().await
}

async fn a_member_moves_to_another_server_and_the_friendship_follows(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let c = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let new = c.member("alice2").await?;
    befriend(&alice, &bob).await?;
    // Not yet an alias: the move is refused.
    let (s, e) = alice
        .api
        .post(
            "/api/v1/me/move",
            json!({"target": new.handle, "password": "password1"}),
        )
        .await?;
    anyhow::ensure!(s == 409 && e["error"] == "not_an_alias", "{s} {e}");
    let (s, e) = new
        .api
        .put(
            "/api/v1/me/aliases",
            json!({"also_known_as": [alice.handle]}),
        )
        .await?;
    anyhow::ensure!(s == 200, "{s} {e}");
    anyhow::ensure!(e["also_known_as"][0] == alice.ap_id.as_str(), "{e}");
    let (s, e) = alice
        .api
        .post(
            "/api/v1/me/move",
            json!({"target": new.handle, "password": "wrong"}),
        )
        .await?;
    anyhow::ensure!(s == 403, "a wrong password: {s} {e}");
    let (s, e) = alice
        .api
        .post(
            "/api/v1/me/move",
            json!({"target": new.handle, "password": "password1"}),
        )
        .await?;
    anyhow::ensure!(s == 200 && e["moved_to"] == new.ap_id.as_str(), "{s} {e}");
    // Her actor points to the new account.
    let (_, doc) = bob.signed_get(alice.ap_id.as_str()).await?;
    anyhow::ensure!(doc["movedTo"] == new.ap_id.as_str(), "{doc}");
    // b believes the Move once it arrives; then the new account asks bob.
    eventually("b learns of the move", || async {
        let old = enishi_db::actors::find_by_ap_id(&b.run.db, &alice.ap_id).await?;
        let Some(old) = old else { return Ok(None) };
        let state = enishi_db::moves::state(&b.run.db, old.id).await?;
        Ok((state.moved_to.as_ref() == Some(&new.ap_id)).then_some(()))
    })
    .await?;
    let (s, e) = new
        .api
        .post("/api/v1/friends/requests", json!({"target": bob.handle}))
        .await?;
    anyhow::ensure!(s == 201, "{s} {e}");
    eventually("bob is friends with alice2, not alice", || async {
        let to_new = bob.relationship(&new.handle).await?;
        let to_old = bob.relationship(&alice.handle).await?;
        Ok((to_new["friend"] == true && to_old["friend"] != true).then_some(()))
    })
    .await?;
    c.stop().await?;
    b.stop().await?;
    a.stop().await
}

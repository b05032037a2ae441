//! An account deleted on its own server (`Delete` whose object is the sender itself, as
//! Mastodon sends when a user deletes their account): the receiving instance forgets it —
//! its friendships, its posts on members' timelines, the account itself — and answers the
//! delivery with 202. A second delivery of the same activity changes nothing more.

use enishi_federation_tests::cluster::{Node, befriend, eventually, find_item};
use enishi_testkit::TestDb;
use serde_json::json;

enishi_testkit::main!(db: [a_deleted_account_is_forgotten]);

async fn a_deleted_account_is_forgotten(t: TestDb) -> anyhow::Result<()> {
    let b = Node::start(t.kind).await?;
    let a = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let (s, diary) = bob
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "Last words", "body": "…", "audience": "friends"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "bob's diary: {s} {diary}");
    let diary_ap = diary["ap_id"].as_str().unwrap_or_default().to_owned();
    eventually("bob's diary reaches alice", || async {
        let t = alice.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &diary_ap).map(|_| ()))
    })
    .await?;

    let delete = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#delete", bob.ap_id), "type": "Delete",
        "actor": bob.ap_id.as_str(), "object": bob.ap_id.as_str(),
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    let inbox = format!("{}/inbox", a.run.base_url);
    let (s, body) = bob.signed_post(&inbox, &delete).await?;
    anyhow::ensure!(s == 202, "the account's Delete: {s} {body}");

    let (s, _) = alice
        .api
        .get(&format!("/api/v1/users/{}/relationship", bob.handle))
        .await?;
    anyhow::ensure!(s == 404, "bob's account on A after its Delete: {s}");
    let friends = alice.api.ok("/api/v1/users/alice/friends").await?;
    anyhow::ensure!(
        friends["items"].as_array().is_some_and(Vec::is_empty),
        "{friends}"
    );
    let timeline = alice.api.ok("/api/v1/timeline").await?;
    anyhow::ensure!(
        find_item(&timeline, "ap_id", &diary_ap).is_none(),
        "bob's diary is still on alice's timeline"
    );
    // The same activity again (a retry): the account is looked up anew from its server, which
    // still serves it here, and the delivery is answered without an error.
    let (s, body) = bob.signed_post(&inbox, &delete).await?;
    anyhow::ensure!(s == 202, "the Delete again: {s} {body}");
    a.stop().await?;
    b.stop().await
}

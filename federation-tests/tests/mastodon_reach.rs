//! What members do through Mastodon apps reaches others as it does in Mastodon (issue 18), on
//! SQLite and PostgreSQL, over real HTTP between two instances:
//! - reblogs: a member boosts a public post; their friends here see it on their timelines as
//!   boosted by them, their friend on another instance receives the `Announce`, the author is
//!   notified, and nothing narrower than public can be passed on. Taking the boost back undoes
//!   all of it. A friend on the other instance passing the post on from there tells its author
//!   here too;
//! - content warnings: `spoiler_text` stays a warning (not text), folds the post on its page,
//!   travels as the Note's `summary` and is changed or taken away by an edit.

use enishi_federation_tests::cluster::{Member, Node, befriend, eventually, find_item};
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    a_member_passes_a_public_post_on_and_takes_it_back,
    content_warnings_stay_warnings_here_and_elsewhere,
]);

/// Reblogs' status ids start here (`mastodon::reblogs::REBLOG_BASE`).
const REBLOG_BASE: i64 = 1 << 61;

async fn voice(m: &Member, text: &str, audience: &str) -> anyhow::Result<String> {
    let (s, v) = m
        .api
        .post(
            "/api/v1/voices",
            json!({"text": text, "audience": audience}),
        )
        .await?;
    anyhow::ensure!(s == 201, "voice: {s} {v}");
    Ok(v["ap_id"].as_str().unwrap_or_default().to_owned())
}

/// The status with ActivityPub id `uri` (itself or inside a reblog) on `m`'s Mastodon home.
async fn on_home(m: &Member, uri: &str) -> anyhow::Result<Option<Value>> {
    let home = m.api.ok("/api/v1/timelines/home?limit=40").await?;
    Ok(home
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["uri"] == uri || s["reblog"]["uri"] == uri)
        .cloned())
}

async fn a_member_passes_a_public_post_on_and_takes_it_back(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let carol = a.member("carol").await?;
    let alice = a.member("alice").await?;
    let dave = a.member("dave").await?;
    let erin = a.member("erin").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &carol).await?;
    befriend(&alice, &dave).await?;
    befriend(&alice, &bob).await?;

    let public = voice(&carol, "carol's public news", "public").await?;
    let narrow = voice(&carol, "carol's news for friends", "friends").await?;
    let shown = on_home(&alice, &public)
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice sees carol's post"))?;
    let id = shown["id"].as_str().unwrap_or_default().to_owned();
    let before = on_home(&dave, &public).await?;
    anyhow::ensure!(before.is_none(), "dave is no friend of carol's: {before:?}");

    // Only a public post may be passed on; a comment is no post of its own.
    let narrow_id = on_home(&alice, &narrow).await?.map(|s| s["id"].clone());
    let narrow_id = narrow_id.and_then(|v| v.as_str().map(str::to_owned));
    let narrow_id = narrow_id.ok_or_else(|| anyhow::anyhow!("alice sees the friends' post"))?;
    let (s, e) = alice
        .api
        .post(&format!("/api/v1/statuses/{narrow_id}/reblog"), json!({}))
        .await?;
    anyhow::ensure!(s == 422, "a friends-only post cannot be reblogged: {s} {e}");
    anyhow::ensure!(e["error"].as_str().is_some(), "Mastodon's error shape: {e}");
    let (s, e) = erin
        .api
        .post(&format!("/api/v1/statuses/{narrow_id}/reblog"), json!({}))
        .await?;
    anyhow::ensure!(s == 404, "erin may not even see it: {s} {e}");

    let (s, reblog) = alice
        .api
        .post(&format!("/api/v1/statuses/{id}/reblog"), json!({}))
        .await?;
    anyhow::ensure!(s == 200, "reblog: {s} {reblog}");
    let reblog_id: i64 = reblog["id"].as_str().unwrap_or_default().parse()?;
    anyhow::ensure!(
        reblog_id > REBLOG_BASE
            && reblog["reblog"]["id"] == id.as_str()
            && reblog["reblog"]["reblogged"] == true
            && reblog["reblog"]["reblogs_count"] == 1
            && reblog["account"]["username"] == "alice",
        "the reblog wraps the post: {reblog}"
    );
    let (s, again) = alice
        .api
        .post(&format!("/api/v1/statuses/{id}/reblog"), json!({}))
        .await?;
    anyhow::ensure!(
        s == 200 && again["id"] == reblog["id"],
        "reblogging twice is the same reblog: {s} {again}"
    );

    // Alice's friend here sees it as her reblog, in both APIs; a stranger does not.
    let wrapped = on_home(&dave, &public)
        .await?
        .ok_or_else(|| anyhow::anyhow!("dave sees alice's reblog"))?;
    anyhow::ensure!(
        wrapped["id"] == reblog["id"] && wrapped["account"]["username"] == "alice",
        "as alice's reblog: {wrapped}"
    );
    let timeline = dave.api.ok("/api/v1/timeline").await?;
    let entry = find_item(&timeline, "ap_id", &public)
        .ok_or_else(|| anyhow::anyhow!("on dave's Enishi timeline: {timeline}"))?;
    anyhow::ensure!(
        entry["boosted_by"]["ap_id"] == alice.ap_id.as_str(),
        "boosted by alice: {entry}"
    );
    anyhow::ensure!(
        on_home(&erin, &public).await?.is_none(),
        "erin: not a friend"
    );
    let (s, one) = dave
        .api
        .get(&format!("/api/v1/statuses/{reblog_id}"))
        .await?;
    anyhow::ensure!(
        s == 200 && one["reblog"]["uri"] == public,
        "by id: {s} {one}"
    );
    let by = dave
        .api
        .ok(&format!("/api/v1/statuses/{id}/reblogged_by"))
        .await?;
    anyhow::ensure!(by[0]["username"] == "alice", "reblogged_by: {by}");
    // Paging past the reblog continues below its post.
    let older = dave
        .api
        .ok(&format!("/api/v1/timelines/home?max_id={reblog_id}"))
        .await?;
    anyhow::ensure!(
        older.as_array().is_some_and(|l| l
            .iter()
            .all(|s| s["uri"] != public.as_str() && s["reblog"]["uri"] != public.as_str())),
        "max_id of a reblog pages below it: {older}"
    );

    // The author hears of it.
    let notes = carol.api.ok("/api/v1/notifications").await?;
    anyhow::ensure!(
        notes.to_string().contains("\"boost\""),
        "carol is told: {notes}"
    );

    // The friend on the other instance gets the Announce and sees the post as alice's boost.
    let copy = eventually("bob sees alice's boost", || async {
        let t = bob.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &public).cloned())
    })
    .await?;
    anyhow::ensure!(
        copy["boosted_by"]["ap_id"] == alice.ap_id.as_str(),
        "bob's copy is alice's boost: {copy}"
    );

    // Taking it back: everywhere.
    let (s, back) = alice
        .api
        .post(&format!("/api/v1/statuses/{id}/unreblog"), json!({}))
        .await?;
    anyhow::ensure!(
        s == 200 && back["reblogged"] == false && back["reblogs_count"] == 0,
        "unreblog: {s} {back}"
    );
    anyhow::ensure!(
        on_home(&dave, &public).await?.is_none(),
        "gone from dave's home"
    );
    let (s, _) = dave
        .api
        .get(&format!("/api/v1/statuses/{reblog_id}"))
        .await?;
    anyhow::ensure!(s == 404, "the reblog is gone: {s}");
    let notes = carol.api.ok("/api/v1/notifications").await?;
    anyhow::ensure!(
        !notes.to_string().contains("\"boost\""),
        "carol's notice is withdrawn: {notes}"
    );
    eventually("bob's boost is undone", || async {
        let t = bob.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", &public).is_none().then_some(()))
    })
    .await?;

    // Deleting one's reblog as a status is the same as unreblog.
    let (_, reblog) = alice
        .api
        .post(&format!("/api/v1/statuses/{id}/reblog"), json!({}))
        .await?;
    let rid = reblog["id"].as_str().unwrap_or_default().to_owned();
    let (s, e) = dave.api.delete(&format!("/api/v1/statuses/{rid}")).await?;
    anyhow::ensure!(s == 404, "dave cannot delete alice's reblog: {s} {e}");
    let (s, e) = alice.api.delete(&format!("/api/v1/statuses/{rid}")).await?;
    anyhow::ensure!(s == 200, "alice deletes her reblog: {s} {e}");
    anyhow::ensure!(
        on_home(&dave, &public).await?.is_none(),
        "deleted reblog gone"
    );

    // A friend elsewhere passes the post on from their server: its author here is told.
    let found = bob
        .api
        .ok(&format!(
            "/api/v2/search?type=statuses&resolve=true&q={}",
            url::form_urlencoded::byte_serialize(public.as_bytes()).collect::<String>()
        ))
        .await?;
    let there = found["statuses"][0]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("bob's server keeps the post: {found}"))?
        .to_owned();
    let (s, e) = bob
        .api
        .post(&format!("/api/v1/statuses/{there}/reblog"), json!({}))
        .await?;
    anyhow::ensure!(s == 200, "bob reblogs on his server: {s} {e}");
    eventually("carol hears of bob's boost", || async {
        let notes = carol.api.ok("/api/v1/notifications").await?;
        Ok(notes["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|n| n["kind"] == "boost" && n["actor"]["ap_id"] == bob.ap_id.as_str())
            .then_some(()))
    })
    .await?;

    a.stop().await?;
    b.stop().await
}

/// `m`'s post with ActivityPub id `ap_id` on their Enishi timeline, once it is there and
/// `ready` holds for it.
async fn arrived(m: &Member, ap_id: &str, ready: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    eventually(&format!("{ap_id} on {}'s timeline", m.name), || async {
        let t = m.api.ok("/api/v1/timeline").await?;
        Ok(find_item(&t, "ap_id", ap_id).filter(|p| ready(p)).cloned())
    })
    .await
}

async fn content_warnings_stay_warnings_here_and_elsewhere(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;

    let (s, status) = alice
        .api
        .post(
            "/api/v1/statuses",
            json!({"status": "the ending of the film", "spoiler_text": " film spoilers ",
                   "visibility": "public"}),
        )
        .await?;
    anyhow::ensure!(s == 200, "post: {s} {status}");
    anyhow::ensure!(
        status["spoiler_text"] == "film spoilers"
            && status["sensitive"] == true
            && !status["content"]
                .as_str()
                .unwrap_or_default()
                .contains("spoilers"),
        "a warning, not text: {status}"
    );
    let uri = status["uri"].as_str().unwrap_or_default().to_owned();
    let id = status["id"].as_str().unwrap_or_default().to_owned();

    // Its page folds the text behind the warning.
    let page = reqwest::Client::new()
        .get(&uri)
        .header("accept", "text/html")
        .send()
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        page.contains("<details class=\"content-warning\"><summary>film spoilers</summary>"),
        "the page folds it: {page}"
    );

    // The friend's server keeps it as a warning: in Enishi's API and as spoiler_text.
    let copy = arrived(&bob, &uri, |p| p["content_warning"] == "film spoilers").await?;
    anyhow::ensure!(copy["text"] == "the ending of the film", "text: {copy}");
    let home = bob.api.ok("/api/v1/timelines/home").await?;
    let shown = home
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["uri"] == uri.as_str())
        .ok_or_else(|| anyhow::anyhow!("on bob's Mastodon home: {home}"))?;
    anyhow::ensure!(shown["spoiler_text"] == "film spoilers", "spoiler: {shown}");

    // Too long a warning is refused, naming it; nothing is posted.
    let (s, e) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "x", "content_warning": "w".repeat(201)}),
        )
        .await?;
    anyhow::ensure!(
        s == 422 && e.to_string().contains("content_warning"),
        "too long: {s} {e}"
    );

    // An edit changes it, then takes it away, here and there.
    let (s, edited) = alice
        .api
        .put(
            &format!("/api/v1/statuses/{id}"),
            json!({"status": "the ending of the film", "spoiler_text": "plot"}),
        )
        .await?;
    anyhow::ensure!(
        s == 200 && edited["spoiler_text"] == "plot",
        "edit: {s} {edited}"
    );
    arrived(&bob, &uri, |p| p["content_warning"] == "plot").await?;
    let (s, edited) = alice
        .api
        .put(
            &format!("/api/v1/statuses/{id}"),
            json!({"status": "the ending of the film", "spoiler_text": ""}),
        )
        .await?;
    anyhow::ensure!(
        s == 200 && edited["spoiler_text"] == "" && edited["sensitive"] == false,
        "edit: {s} {edited}"
    );
    arrived(&bob, &uri, |p| p["content_warning"].is_null()).await?;

    a.stop().await?;
    b.stop().await
}

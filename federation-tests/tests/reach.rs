//! Issue 14: what the rest of the fediverse sends reaches members as far as Enishi can show
//! it. Real payloads of other server families (`crates/apub/tests/fixtures`, origins in its
//! `SOURCES.tsv`) are delivered through the real inbox by a friend on a second instance, with
//! their ids moved onto that friend's server (the inbox refuses objects of other servers), and
//! read back through the API.

use enishi_federation_tests::cluster::{Member, Node, befriend};
use enishi_testkit::TestDb;
use serde_json::{Value, json};
use std::path::PathBuf;

enishi_testkit::main!(db: [
    other_object_types_from_a_friend_are_shown_with_title_text_and_link,
    unknown_activity_types_are_acknowledged_and_change_nothing,
    announces_by_followed_accounts_and_groups_show_as_boosts,
]);

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn fixture(path: &str) -> Value {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/apub/tests/fixtures")
        .join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fixture's object (the object of a `Create`, or the fixture itself), moved onto
/// `author`'s server, attributed to them and addressed to everyone.
fn moved_object(path: &str, n: usize, author: &Member) -> Value {
    let payload = fixture(path);
    let mut object = if payload["type"] == "Create" {
        payload["object"].clone()
    } else {
        payload
    };
    let me = author.ap_id.as_str();
    object["id"] = json!(format!("{me}/fixtures/{n}"));
    object["attributedTo"] = match &object["attributedTo"] {
        // Keep the list (PeerTube, Plume): the person in it becomes the author.
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| {
                    if i["type"] == "Group" {
                        i.clone()
                    } else {
                        json!({ "type": "Person", "id": me })
                    }
                })
                .collect(),
        ),
        _ => json!(me),
    };
    object["to"] = json!([PUBLIC]);
    object["cc"] = json!([]);
    if let Some(o) = object.as_object_mut() {
        o.remove("inReplyTo");
    }
    object
}

/// The link the post must carry to its original: its HTML `url`, else its id.
fn original_link(object: &Value) -> String {
    match &object["url"] {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .find(|i| i["mediaType"] == "text/html")
            .and_then(|i| i["href"].as_str())
            .unwrap_or_default()
            .to_owned(),
        Value::Object(link) => link["href"].as_str().unwrap_or_default().to_owned(),
        _ => object["id"].as_str().unwrap_or_default().to_owned(),
    }
}

async fn other_object_types_from_a_friend_are_shown_with_title_text_and_link(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let inbox = format!("{}/inbox", a.run.base_url);
    let cases = [
        "lemmy/create_page.json",
        "lemmy/page_live_no_content.json",
        "peertube/video.json",
        "mobilizon/create_event.json",
        "mobilizon/event_group_attributed.json",
        "friendica/create_page_to_group.json",
        "hubzilla/create_note_with_name.json",
        "wordpress/article.json",
        "plume/article.json",
        "smithereen/question_poll_non_anonymous.json",
        "mastodon/create_question_poll.json",
    ];
    for (n, path) in cases.iter().enumerate() {
        let object = moved_object(path, n, &bob);
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/create", object["id"].as_str().unwrap()),
            "type": "Create",
            "actor": bob.ap_id.as_str(),
            "to": [PUBLIC],
            "object": object,
        });
        let (s, e) = bob.signed_post(&inbox, &create).await?;
        anyhow::ensure!(s == 202, "{path}: {s} {e}");
    }
    let timeline = alice.api.ok("/api/v1/timeline?limit=50").await?;
    let items = timeline["items"].as_array().cloned().unwrap_or_default();
    for (n, path) in cases.iter().enumerate() {
        let object = moved_object(path, n, &bob);
        let id = object["id"].as_str().unwrap();
        let item = items
            .iter()
            .find(|i| i["ap_id"] == id)
            .ok_or_else(|| anyhow::anyhow!("{path} is not on the timeline: {timeline}"))?;
        anyhow::ensure!(
            item["author"]["ap_id"] == bob.ap_id.as_str() || item["author_handle"] == bob.handle,
            "{path}: by bob: {item}"
        );
        let name = object["name"].as_str().map(str::trim).unwrap_or_default();
        let html = if name.is_empty() {
            anyhow::ensure!(
                item["kind"] == "voice",
                "{path}: untitled, a voice post: {item}"
            );
            item["text_html"].as_str().unwrap_or_default()
        } else {
            anyhow::ensure!(
                item["kind"] == "diary" && item["title"] == name,
                "{path}: titled {name:?}, a diary: {item}"
            );
            item["body_html"].as_str().unwrap_or_default()
        };
        let is_note_or_article = matches!(object["type"].as_str(), Some("Note" | "Article"));
        if !is_note_or_article {
            let link = original_link(&object);
            anyhow::ensure!(
                html.contains(&format!("<a href=\"{}\"", link.replace('&', "&amp;"))),
                "{path}: links to {link}: {html}"
            );
        }
        if let Some(content) = object["content"].as_str().filter(|c| c.len() > 20) {
            // Some words of the text survive (sanitising keeps the words).
            let word = content
                .split(|c: char| !c.is_alphanumeric())
                .find(|w| w.chars().count() >= 6)
                .unwrap_or_default();
            anyhow::ensure!(html.contains(word), "{path}: keeps {word:?}: {html}");
        }
        if path.contains("question") {
            let choices = ["oneOf", "anyOf"]
                .iter()
                .filter_map(|k| object[*k].as_array())
                .flatten()
                .filter_map(|c| c["name"].as_str())
                .collect::<Vec<_>>();
            anyhow::ensure!(!choices.is_empty(), "{path} has choices");
            for c in choices {
                anyhow::ensure!(html.contains(c), "{path}: shows the choice {c:?}: {html}");
            }
        }
    }
    a.stop().await?;
    b.stop().await
}

async fn unknown_activity_types_are_acknowledged_and_change_nothing(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let (s, voice) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({ "text": "react to me", "audience": "friends" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "{voice}");
    let before = alice.api.ok("/api/v1/notifications").await?;
    let inbox = format!("{}/inbox", a.run.base_url);
    for (n, path) in [
        "akkoma/emoji_react_unicode.json",
        "akkoma/emoji_react_custom_emoji.json",
        "lemmy/lock_page.json",
    ]
    .iter()
    .enumerate()
    {
        let mut activity = fixture(path);
        activity["id"] = json!(format!("{}/unknown/{n}", bob.ap_id));
        activity["actor"] = json!(bob.ap_id.as_str());
        activity["object"] = voice["ap_id"].clone();
        activity["to"] = json!([alice.ap_id.as_str()]);
        let (s, e) = bob.signed_post(&inbox, &activity).await?;
        anyhow::ensure!(s == 202, "{path}: acknowledged, not refused: {s} {e}");
    }
    let after = alice.api.ok("/api/v1/notifications").await?;
    anyhow::ensure!(before == after, "nothing changed: {before} → {after}");
    a.stop().await?;
    b.stop().await
}

/// Issue 14, item 4, with the real shapes: a Mastodon boost (`Announce` of a URL, which A
/// fetches from its server) and a Lemmy community's announce of a `Create{Page}` (embedded, on
/// the announcer's own server), both by an account alice follows, show on her timeline as
/// boosted by it; its `Undo` takes the boost back; an announce by someone nobody here follows
/// changes nothing, and neither does a boost of a post that is not public.
async fn announces_by_followed_accounts_and_groups_show_as_boosts(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    let erin = b.member("erin").await?;
    befriend(&alice, &bob).await?;
    let inbox = format!("{}/inbox", a.run.base_url);
    let (s, voice) = erin
        .api
        .post(
            "/api/v1/voices",
            json!({ "text": "erin's open words", "audience": "public" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "{s} {voice}");
    let voice_ap = voice["ap_id"].as_str().unwrap().to_owned();
    let (s, closed) = erin
        .api
        .post(
            "/api/v1/voices",
            json!({ "text": "erin's friends only", "audience": "friends" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "{s} {closed}");
    let closed_ap = closed["ap_id"].as_str().unwrap().to_owned();

    let me = bob.ap_id.as_str();
    let mut boost = fixture("mastodon/announce_public.json");
    boost["id"] = json!(format!("{me}/announces/1"));
    boost["actor"] = json!(me);
    boost["object"] = json!(voice_ap);
    boost["cc"] = json!([format!("{me}/followers")]);
    if let Some(o) = boost.as_object_mut() {
        o.remove("signature");
        o.remove("atomUri");
    }
    let (s, e) = bob.signed_post(&inbox, &boost).await?;
    anyhow::ensure!(s == 202, "boost: {s} {e}");
    let timeline = alice.api.ok("/api/v1/timeline?limit=50").await?;
    let entry = find_ap_id(&timeline, &voice_ap)
        .ok_or_else(|| anyhow::anyhow!("the boosted post is on the timeline: {timeline}"))?;
    anyhow::ensure!(
        entry["author"]["ap_id"] == erin.ap_id.as_str()
            && entry["boosted_by"]["ap_id"] == me
            && entry["text_html"].to_string().contains("open words"),
        "by erin, boosted by bob: {entry}"
    );

    // Lemmy: the community announces the Create of a Page (here on bob's server, by erin).
    let mut group = fixture("lemmy/announce_create_page.json");
    let page_id = format!("{}/pages/7", erin.ap_id);
    group["id"] = json!(format!("{me}/announces/2"));
    group["actor"] = json!(me);
    group["cc"] = json!([format!("{me}/followers")]);
    group["object"]["id"] = json!(format!("{}/creates/7", erin.ap_id));
    group["object"]["actor"] = json!(erin.ap_id.as_str());
    group["object"]["cc"] = json!([me]);
    group["object"]["object"]["id"] = json!(page_id);
    group["object"]["object"]["attributedTo"] = json!(erin.ap_id.as_str());
    group["object"]["object"]["to"] = json!([me, PUBLIC]);
    let (s, e) = bob.signed_post(&inbox, &group).await?;
    anyhow::ensure!(s == 202, "group announce: {s} {e}");
    let timeline = alice.api.ok("/api/v1/timeline?limit=50").await?;
    let entry = find_ap_id(&timeline, &page_id)
        .ok_or_else(|| anyhow::anyhow!("the community's post is on the timeline: {timeline}"))?;
    anyhow::ensure!(
        entry["kind"] == "diary"
            && entry["title"] == "post 4"
            && entry["boosted_by"]["ap_id"] == me,
        "a diary titled as the Page, passed on by the community: {entry}"
    );

    // Not public: fetched with the instance's signature, which erin's server refuses.
    let mut hidden = boost.clone();
    hidden["id"] = json!(format!("{me}/announces/3"));
    hidden["object"] = json!(closed_ap);
    let (s, e) = bob.signed_post(&inbox, &hidden).await?;
    anyhow::ensure!(s == 202, "acknowledged: {s} {e}");
    // By someone nobody here follows: nothing is fetched or kept.
    let mut stranger = boost.clone();
    stranger["id"] = json!(format!("{}/announces/4", erin.ap_id));
    stranger["actor"] = json!(erin.ap_id.as_str());
    let (s, e) = erin.signed_post(&inbox, &stranger).await?;
    anyhow::ensure!(s == 202, "acknowledged: {s} {e}");
    let timeline = alice.api.ok("/api/v1/timeline?limit=50").await?;
    anyhow::ensure!(
        find_ap_id(&timeline, &closed_ap).is_none(),
        "a friends-only post is never shown by a boost: {timeline}"
    );
    let boosted: Vec<&Value> = timeline["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["boosted_by"].is_object())
        .collect();
    anyhow::ensure!(boosted.len() == 2, "two boosts, both bob's: {boosted:?}");

    // The Undo takes the boost back.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{me}/announces/1/undo"),
        "type": "Undo",
        "actor": me,
        "object": boost,
    });
    let (s, e) = bob.signed_post(&inbox, &undo).await?;
    anyhow::ensure!(s == 202, "undo: {s} {e}");
    let timeline = alice.api.ok("/api/v1/timeline?limit=50").await?;
    anyhow::ensure!(
        find_ap_id(&timeline, &voice_ap).is_none(),
        "the boost is gone: {timeline}"
    );
    a.stop().await?;
    b.stop().await
}

fn find_ap_id<'a>(page: &'a Value, ap_id: &str) -> Option<&'a Value> {
    page["items"]
        .as_array()?
        .iter()
        .find(|i| i["ap_id"] == ap_id)
}

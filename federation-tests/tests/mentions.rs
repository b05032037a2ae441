//! Issue 14, item 3: `@name`, `@name@domain` and `#tag` in what members write. Mentions are
//! resolved when the text is written (members and known actors from the database, others by
//! WebFinger), become links and `Mention` tags, reach and notify those named — but only those
//! the audience lets see the text — and hashtags list the posts that carry them. Inbound
//! `Mention` tags notify a member only if the member may see the post.

use enishi_federation_tests::cluster::{Member, Node, befriend, eventually};
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    mentions_link_notify_and_reach_only_those_who_may_see,
    hashtags_list_the_posts_each_viewer_may_see,
    inbound_mentions_notify_only_members_who_may_see_the_post,
]);

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The mention notifications of a member, as (actor handle, post id, comment id).
async fn mention_notices(m: &Member) -> anyhow::Result<Vec<(String, String, String)>> {
    let list = m.api.ok("/api/v1/notifications?limit=100").await?;
    Ok(list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["kind"] == "mention")
        .map(|n| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                s(&n["actor"]["handle"]),
                s(&n["post_id"]),
                s(&n["comment_id"]),
            )
        })
        .collect())
}

/// Whether `html` links `text` as a mention.
fn links_mention(html: &str, text: &str) -> bool {
    html.contains(&format!("class=\"u-url mention\">{text}</a>"))
        || html.contains(&format!(
            "class=\"u-url mention\" rel=\"nofollow noopener noreferrer\">{text}</a>"
        ))
}

async fn mentions_link_notify_and_reach_only_those_who_may_see(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let carol = a.member("carol").await?;
    let dave = a.member("dave").await?;
    let bob = b.member("bob").await?;
    let erin = b.member("erin").await?;
    befriend(&alice, &dave).await?;
    befriend(&alice, &erin).await?;
    let (bh, nobody) = (&bob.handle, format!("nobody@{}", b.domain()));

    // A public voice post: carol (a member here) and bob (never seen by A: found by
    // WebFinger) are named; an account that does not exist stays text.
    let (s, voice) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({ "text": format!("Hello @carol and @{bh} and @{nobody}!"), "audience": "public" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "voice: {s} {voice}");
    let html = voice["text_html"].as_str().unwrap_or_default();
    anyhow::ensure!(links_mention(html, "@carol"), "carol linked: {html}");
    anyhow::ensure!(links_mention(html, &format!("@{bh}")), "bob linked: {html}");
    anyhow::ensure!(
        html.contains(&format!("@{nobody}!")) && !links_mention(html, &format!("@{nobody}")),
        "an unknown account stays text: {html}"
    );
    let voice_id = voice["id"].as_str().unwrap().to_owned();
    anyhow::ensure!(
        mention_notices(&carol).await? == vec![("alice".into(), voice_id.clone(), String::new())],
        "carol is told once: {:?}",
        mention_notices(&carol).await?
    );
    // bob is not alice's friend and follows nobody on A: the mention alone brings it to him.
    let alice_on_b = alice.handle.clone();
    let on_b = eventually("bob hears of the mention", || async {
        Ok(mention_notices(&bob).await?.into_iter().next())
    })
    .await?;
    anyhow::ensure!(on_b.0 == alice_on_b, "from alice: {on_b:?}");
    // What other servers get: the Mention tag, bob in cc.
    let (s, object) = erin.signed_get(voice["ap_id"].as_str().unwrap()).await?;
    anyhow::ensure!(s == 200, "the Note: {s} {object}");
    let tags = object["tag"].as_array().cloned().unwrap_or_default();
    for who in [&carol, &bob] {
        anyhow::ensure!(
            tags.iter()
                .any(|t| t["type"] == "Mention" && t["href"] == who.ap_id.as_str()),
            "{} tagged: {object}",
            who.name
        );
        anyhow::ensure!(
            object["cc"]
                .as_array()
                .is_some_and(|cc| cc.contains(&json!(who.ap_id.as_str()))),
            "{} in cc: {object}",
            who.name
        );
    }
    anyhow::ensure!(tags.len() == 2, "two mentions, nobody else: {object}");

    // A friends-only diary: dave and erin are friends and are told; carol and bob may not
    // read it, so they are neither linked, tagged nor told.
    let erin_h = &erin.handle;
    let (s, diary) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({
                "title": "Plans",
                "body": format!("For @dave and @{erin_h}, not @carol or @{bh}."),
                "audience": "friends",
            }),
        )
        .await?;
    anyhow::ensure!(s == 201, "diary: {s} {diary}");
    let diary_id = diary["id"].as_str().unwrap().to_owned();
    let html = diary["body_html"].as_str().unwrap_or_default();
    anyhow::ensure!(
        links_mention(html, "@dave") && links_mention(html, &format!("@{erin_h}")),
        "friends linked: {html}"
    );
    anyhow::ensure!(
        !links_mention(html, "@carol") && !links_mention(html, &format!("@{bh}")),
        "others not: {html}"
    );
    anyhow::ensure!(
        mention_notices(&dave).await? == vec![("alice".into(), diary_id.clone(), String::new())],
        "dave told: {:?}",
        mention_notices(&dave).await?
    );
    anyhow::ensure!(
        mention_notices(&carol).await?.len() == 1,
        "carol not told again"
    );
    eventually("erin hears of the diary's mention", || async {
        Ok((!mention_notices(&erin).await?.is_empty()).then_some(()))
    })
    .await?;
    // Both went to B's shared inbox in order; bob got only the first.
    eventually("the diary reaches erin", || async {
        let t = erin.api.ok("/api/v1/timeline").await?;
        Ok(t.to_string().contains("Plans").then_some(()))
    })
    .await?;
    anyhow::ensure!(
        mention_notices(&bob).await?.len() == 1,
        "bob not told of a diary he may not read: {:?}",
        mention_notices(&bob).await?
    );
    let (s, object) = erin.signed_get(diary["ap_id"].as_str().unwrap()).await?;
    anyhow::ensure!(s == 200, "the diary: {s} {object}");
    let tagged: Vec<&str> = object["tag"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["href"].as_str())
        .collect();
    anyhow::ensure!(
        tagged == vec![dave.ap_id.as_str(), erin.ap_id.as_str()],
        "only friends tagged: {object}"
    );

    // A comment naming a member tells them (with the comment); the post's author hears of
    // the comment once, as a comment.
    let (s, c) = carol
        .api
        .post(
            &format!("/api/v1/voices/{voice_id}/comments"),
            json!({ "text": "@dave look, and hi @alice" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "comment: {s} {c}");
    let comment_id = c["id"].as_str().unwrap().to_owned();
    anyhow::ensure!(
        mention_notices(&dave)
            .await?
            .contains(&("carol".into(), voice_id.clone(), comment_id)),
        "dave told of the comment: {:?}",
        mention_notices(&dave).await?
    );
    anyhow::ensure!(
        mention_notices(&alice).await?.is_empty(),
        "alice hears of it as a comment only"
    );

    // An edit tells only those named for the first time; an edit of the audience alone keeps
    // the links.
    let (s, edited) = alice
        .api
        .patch(
            &format!("/api/v1/voices/{voice_id}"),
            json!({ "text": format!("Hello @carol and @{bh}, and @dave too") }),
        )
        .await?;
    anyhow::ensure!(s == 200, "edit: {s} {edited}");
    anyhow::ensure!(
        mention_notices(&carol).await?.len() == 1,
        "carol not told twice"
    );
    anyhow::ensure!(
        mention_notices(&dave)
            .await?
            .iter()
            .filter(|n| n.1 == voice_id && n.2.is_empty())
            .count()
            == 1,
        "dave told of the edit that names him"
    );
    let (s, narrowed) = alice
        .api
        .patch(
            &format!("/api/v1/voices/{voice_id}"),
            json!({ "audience": "members" }),
        )
        .await?;
    anyhow::ensure!(s == 200, "narrowed: {s} {narrowed}");
    let html = narrowed["text_html"].as_str().unwrap_or_default();
    anyhow::ensure!(
        links_mention(html, "@carol") && links_mention(html, "@dave"),
        "members still linked: {html}"
    );
    anyhow::ensure!(
        !links_mention(html, &format!("@{bh}")),
        "bob may not read a members-only post: {html}"
    );
    // Widening the audience alone names whoever may read it now.
    let (s, private) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({ "text": "a note to self about @carol", "audience": "private" }),
        )
        .await?;
    anyhow::ensure!(s == 201, "private: {s} {private}");
    let private_id = private["id"].as_str().unwrap().to_owned();
    anyhow::ensure!(
        !links_mention(private["text_html"].as_str().unwrap_or_default(), "@carol"),
        "carol may not read it: {private}"
    );
    let told = mention_notices(&carol).await?.len();
    let (s, widened) = alice
        .api
        .patch(
            &format!("/api/v1/voices/{private_id}"),
            json!({ "audience": "members" }),
        )
        .await?;
    anyhow::ensure!(s == 200, "widened: {s} {widened}");
    anyhow::ensure!(
        links_mention(widened["text_html"].as_str().unwrap_or_default(), "@carol"),
        "carol linked once she may read it: {widened}"
    );
    anyhow::ensure!(mention_notices(&carol).await?.len() == told + 1, "and told");
    a.stop().await?;
    b.stop().await
}

async fn hashtags_list_the_posts_each_viewer_may_see(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let dave = a.member("dave").await?;
    let carol = a.member("carol").await?;
    befriend(&alice, &dave).await?;
    let post = |text: &'static str, audience: &'static str| {
        let alice = &alice;
        async move {
            let (s, v) = alice
                .api
                .post(
                    "/api/v1/voices",
                    json!({ "text": text, "audience": audience }),
                )
                .await?;
            anyhow::ensure!(s == 201, "{s} {v}");
            Ok::<_, anyhow::Error>(v["id"].as_str().unwrap().to_owned())
        }
    };
    let open = post("A #Picnic in the park #日記", "public").await?;
    let close = post("Only friends: #picnic again", "friends").await?;
    post("No tag: picnic", "public").await?;
    let v = alice.api.ok(&format!("/api/v1/voices/{open}")).await?;
    let html = v["text_html"].as_str().unwrap_or_default();
    anyhow::ensure!(
        html.contains(&format!(
            "<a href=\"{}/tags/picnic\" class=\"mention hashtag\" rel=\"tag\">#Picnic</a>",
            a.run.base_url
        )),
        "the tag is a link: {html}"
    );
    let ids = |list: Value| -> Vec<String> {
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["id"].as_str().map(str::to_owned))
            .collect()
    };
    let anon = alice.api.anonymous();
    anyhow::ensure!(
        ids(anon.ok("/api/v1/tags/picnic").await?) == vec![open.clone()],
        "anyone sees the public one"
    );
    anyhow::ensure!(
        ids(carol.api.ok("/api/v1/tags/%23PICNIC").await?) == vec![open.clone()],
        "any case, with its #; carol is no friend"
    );
    anyhow::ensure!(
        ids(dave.api.ok("/api/v1/tags/picnic").await?) == vec![close.clone(), open.clone()],
        "a friend sees both, newest first"
    );
    anyhow::ensure!(
        ids(anon.ok("/api/v1/tags/%E6%97%A5%E8%A8%98").await?) == vec![open.clone()],
        "tags in any script"
    );
    // The page behind the link.
    let page = a
        .http
        .get(format!("{}/tags/picnic", a.run.base_url))
        .send()
        .await?;
    anyhow::ensure!(page.status() == 200, "tag page: {}", page.status());
    let text = page.text().await?;
    anyhow::ensure!(
        text.contains("#picnic") && text.contains("in the park") && !text.contains("Only friends"),
        "the page lists what an anonymous visitor may see: {text}"
    );
    // Editing the tag away takes the post off the list.
    let (s, _) = alice
        .api
        .patch(
            &format!("/api/v1/voices/{open}"),
            json!({ "text": "A picnic in the park" }),
        )
        .await?;
    anyhow::ensure!(s == 200, "edit: {s}");
    anyhow::ensure!(
        ids(anon.ok("/api/v1/tags/picnic").await?).is_empty(),
        "untagged by the edit"
    );
    a.stop().await
}

async fn inbound_mentions_notify_only_members_who_may_see_the_post(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let carol = a.member("carol").await?;
    let bob = b.member("bob").await?;
    // A learns of bob from his signed deliveries (the inbox fetches his key).
    let inbox = format!("{}/inbox", a.run.base_url);
    let me = bob.ap_id.as_str();
    let note = |n: u32, to: Vec<&str>, cc: Vec<&str>, mentions: Vec<&str>| {
        let id = format!("{me}/notes/m{n}");
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/create"),
            "type": "Create",
            "actor": me,
            "to": to,
            "cc": cc,
            "object": {
                "id": id,
                "type": "Note",
                "attributedTo": me,
                "content": format!("<p>note {n}</p>"),
                "to": to,
                "cc": cc,
                "tag": mentions.iter().map(|h| json!({"type": "Mention", "href": h, "name": "@x"}))
                    .chain([json!({"type": "Hashtag", "name": "#Fedi", "href": "https://x.example/tags/fedi"})])
                    .collect::<Vec<_>>(),
            },
        })
    };
    let (al, ca) = (alice.ap_id.as_str(), carol.ap_id.as_str());
    let followers = format!("{me}/followers");
    // Public, alice in cc: she is told.
    let (s, e) = bob
        .signed_post(&inbox, &note(1, vec![PUBLIC], vec![al], vec![al]))
        .await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    // Direct to carol, alice only tagged: alice may not read it, so she is not told; carol,
    // to whom it is addressed, is.
    let (s, e) = bob
        .signed_post(&inbox, &note(2, vec![ca], vec![], vec![al, ca]))
        .await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    // To bob's followers (nobody here follows him): nobody is told.
    let (s, e) = bob
        .signed_post(
            &inbox,
            &note(3, vec![followers.as_str()], vec![], vec![al, ca]),
        )
        .await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    let alice_told = mention_notices(&alice).await?;
    anyhow::ensure!(
        alice_told.len() == 1 && alice_told[0].0 == bob.handle,
        "alice told of the public note only: {alice_told:?}"
    );
    let carol_told = mention_notices(&carol).await?;
    anyhow::ensure!(
        carol_told.len() == 1,
        "carol told of the note to her: {carol_told:?}"
    );
    // Its hashtag lists it here.
    let tagged = alice.api.anonymous().ok("/api/v1/tags/fedi").await?;
    anyhow::ensure!(
        tagged["items"].as_array().map(Vec::len) == Some(1),
        "the public note is listed under its tag: {tagged}"
    );
    a.stop().await?;
    b.stop().await
}

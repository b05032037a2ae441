//! The diary and voice pages end to end over real HTTP, on SQLite and PostgreSQL: writing
//! through the forms (with preview), who sees a post on its page, on home, in the timeline and
//! in a member's diary list (and who sees no trace of it), comments and likes from the forms,
//! author-only edits and deletes, and forms without their token refused.

mod common;
#[path = "posts_pages/more.rs"]
mod more;
#[path = "posts_pages/photo_refusals.rs"]
mod photo_refusals;
#[path = "posts_pages/photos.rs"]
mod photos;

use common::{befriend, instance, items, member};
use enishi_testkit::TestDb;
use enishi_testkit::web::{Answer, WebClient};
use more::{timeline_and_diary_list_page_backwards, voice_posts_from_the_composer};
use photo_refusals::{
    photo_forms_refuse_bad_files_and_forged_tokens,
    photo_forms_take_photos_past_the_usual_body_limit,
};
use photos::a_diary_carries_photos_from_its_form;
use serde_json::json;

enishi_testkit::main!(db: [
    a_friends_diary_reaches_friends_only,
    forms_without_their_token_change_nothing,
    only_the_author_edits_and_deletes,
    voice_posts_from_the_composer,
    timeline_and_diary_list_page_backwards,
    a_diary_carries_photos_from_its_form,
    photo_forms_refuse_bad_files_and_forged_tokens,
    photo_forms_take_photos_past_the_usual_body_limit,
]);

/// A browser logged in as `name` (every test member's password is `password1`).
pub(crate) async fn logged_in(base: &str, name: &str) -> anyhow::Result<WebClient> {
    let b = WebClient::new(base);
    b.login(name, "password1").await?;
    Ok(b)
}

/// Whether an answer is a 303 to `to`.
pub(crate) fn redirects(a: &Answer, to: &str) -> bool {
    a.status == 303 && a.location.as_deref() == Some(to)
}

/// The public id in a redirect to a post's page.
pub(crate) fn id_in(location: Option<&str>, kind: &str) -> String {
    let l = location.unwrap_or_default();
    l.strip_prefix(&format!("/{kind}/"))
        .unwrap_or_else(|| panic!("not a {kind} page: {l:?}"))
        .to_owned()
}

async fn a_friends_diary_reaches_friends_only(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    member(&run, "carol").await?;
    befriend(&alice, &bob).await?;
    let a = logged_in(&run.base_url, "alice").await?;
    let b = logged_in(&run.base_url, "bob").await?;
    let c = logged_in(&run.base_url, "carol").await?;
    let anon = WebClient::new(&run.base_url);

    let form = a.get("/diaries/new").await?;
    assert_eq!(form.status, 200);
    assert!(
        form.html.contains("name=\"preview\" value=\"1\""),
        "{}",
        form.html
    );
    let title = "Secret picnic plans";
    let text = "We meet at <noon> & bring tea.\n\nSecond paragraph.";
    let p = a
        .post(
            "/diaries",
            &[
                ("title", title),
                ("body", text),
                ("audience", "friends"),
                ("preview", "1"),
            ],
        )
        .await?;
    assert_eq!(p.status, 200, "a preview is the form again");
    // Markdown, rendered; the HTML-looking `<noon>` shows as typed.
    let rendered = "<p>We meet at &lt;noon&gt; &amp; bring tea.</p>\n<p>Second paragraph.</p>";
    assert!(
        p.html.contains(rendered),
        "the preview renders the body: {}",
        p.html
    );
    assert!(
        p.html.contains("value=\"friends\" selected"),
        "audience kept"
    );
    let list = alice.api.ok("/api/v1/users/alice/diaries").await?;
    assert!(
        items(&list, "id").is_empty(),
        "a preview writes nothing: {list}"
    );

    let r = a
        .post(
            "/diaries",
            &[("title", title), ("body", text), ("audience", "friends")],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.html);
    let id = id_in(r.location.as_deref(), "diaries");
    let path = format!("/diaries/{id}");
    let own = a.get(&path).await?;
    assert_eq!(own.status, 200);
    assert!(
        own.html.contains(title) && own.html.contains(rendered),
        "the page shows what the preview did"
    );
    assert!(
        own.html.contains(&format!("{path}/edit")),
        "the author may edit"
    );

    // A friend: on home, on the page, and can comment and like.
    let home = b.get("/").await?;
    assert!(home.html.contains(title), "the friend's home lists it");
    let page = b.get(&path).await?;
    assert_eq!(page.status, 200);
    assert!(page.html.contains(title) && page.html.contains("bring tea"));
    assert!(
        !page.html.contains(&format!("{path}/edit")),
        "no edit button for others"
    );
    let fp = alice.api.ok("/api/v1/footprints").await?;
    assert!(
        fp.to_string().contains("bob"),
        "reading leaves a footprint: {fp}"
    );
    let r = b
        .post(&format!("{path}/comments"), &[("text", "Count me in!")])
        .await?;
    assert_eq!(r.status, 303, "{}", r.html);
    assert!(
        r.location
            .as_deref()
            .unwrap_or_default()
            .starts_with(&format!("{path}#comment-"))
    );
    let r = b
        .post(&format!("{path}/comments"), &[("text", "   ")])
        .await?;
    assert_eq!(r.status, 422, "an empty comment is refused");
    assert!(r.html.contains("role=\"alert\""), "{}", r.html);
    let r = b.post(&format!("{path}/like"), &[]).await?;
    assert!(redirects(&r, &format!("{path}#likes")), "{r:?}");
    let liked = alice.api.ok(&format!("/api/v1/diaries/{id}/likes")).await?;
    assert_eq!(items(&liked, "handle"), ["bob"]);
    let page = a.get(&path).await?;
    assert!(
        page.html.contains("Count me in!") && page.html.contains("1 like"),
        "{}",
        page.html
    );
    let notes = alice.api.ok("/api/v1/notifications").await?;
    let kinds: Vec<_> = items(&notes, "kind");
    assert!(
        kinds.contains(&"comment".into()) && kinds.contains(&"like".into()),
        "{notes}"
    );
    let page = b.get(&path).await?;
    assert!(
        page.html.contains(&format!("{path}/unlike")),
        "the button toggles"
    );
    b.post(&format!("{path}/unlike"), &[]).await?;
    let liked = alice.api.ok(&format!("/api/v1/diaries/{id}/likes")).await?;
    assert!(items(&liked, "handle").is_empty(), "unliked: {liked}");

    // Neither a non-friend nor a visitor learns anything: 404, no title, no body.
    for (who, br) in [("carol", &c), ("a visitor", &anon)] {
        let page = br.get(&path).await?;
        assert_eq!(page.status, 404, "{who} on the diary page");
        for l in ["/users/alice/diaries", "/", "/timeline"] {
            let other = br.get(l).await?;
            for secret in [title, "bring tea", "Count me in"] {
                assert!(!other.html.contains(secret), "{who} sees {secret:?} on {l}");
                assert!(
                    !page.html.contains(secret),
                    "{who} sees {secret:?} on the 404"
                );
            }
        }
    }
    let r = c
        .post(&format!("{path}/comments"), &[("text", "sneaky")])
        .await?;
    assert_eq!(r.status, 404, "carol cannot comment on what she cannot see");
    let r = c.post(&format!("{path}/like"), &[]).await?;
    assert_eq!(r.status, 404, "nor like it");
    let r = anon
        .post(&format!("{path}/comments"), &[("text", "sneaky")])
        .await?;
    assert!(
        redirects(&r, "/login"),
        "a visitor is sent to log in: {r:?}"
    );
    // ActivityPub clients still meet authorised fetch at the same URL.
    let ap = reqwest::Client::new()
        .get(format!("{}{path}", run.base_url))
        .header("accept", "application/activity+json")
        .send()
        .await?;
    assert_eq!(
        ap.status(),
        401,
        "an unsigned fetch is asked for a signature"
    );
    let comments = alice
        .api
        .ok(&format!("/api/v1/diaries/{id}/comments"))
        .await?;
    assert_eq!(items(&comments, "text"), ["Count me in!"], "{comments}");
    let likes = alice.api.ok(&format!("/api/v1/diaries/{id}/likes")).await?;
    assert!(
        items(&likes, "handle").is_empty(),
        "carol's like was refused: {likes}"
    );

    // The post's author may delete a friend's comment; the comment's author sees a button too.
    let cid = comments["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        b.get(&path)
            .await?
            .html
            .contains(&format!("/comments/{cid}/delete"))
    );
    let r = c.post(&format!("/comments/{cid}/delete"), &[]).await?;
    assert_eq!(r.status, 404, "carol cannot see it");
    assert!(
        a.get(&path)
            .await?
            .html
            .contains(&format!("/comments/{cid}/delete"))
    );
    let r = a.post(&format!("/comments/{cid}/delete"), &[]).await?;
    assert!(redirects(&r, &format!("{path}#comments")), "{r:?}");
    assert!(!a.get(&path).await?.html.contains("Count me in!"));
    run.stop().await
}

async fn forms_without_their_token_change_nothing(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let a = logged_in(&run.base_url, "alice").await?;
    let (s, d) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "Hello", "body": "World", "audience": "public"}),
        )
        .await?;
    assert_eq!(s, 201);
    let id = d["id"].as_str().unwrap().to_owned();
    let fields = [
        ("title", "Forged"),
        ("body", "by another site"),
        ("audience", "public"),
    ];
    let mut forged: Vec<(&str, &str)> = fields.to_vec();
    let r = a.post_raw("/diaries", &forged).await?;
    assert_eq!(r.status, 403, "no token");
    forged.push(("csrf", "0123456789abcdef0123456789abcdef0123"));
    let r = a.post_raw("/diaries", &forged).await?;
    assert_eq!(r.status, 403, "a wrong token");
    let r = a.post_raw(&format!("/diaries/{id}/edit"), &fields).await?;
    assert_eq!(r.status, 403);
    for path in [
        format!("/diaries/{id}/delete"),
        format!("/diaries/{id}/like"),
        "/voices".to_owned(),
    ] {
        let r = a.post_raw(&path, &[("text", "forged")]).await?;
        assert_eq!(r.status, 403, "{path}");
    }
    let r = a
        .post_raw(&format!("/diaries/{id}/comments"), &[("text", "forged")])
        .await?;
    assert_eq!(r.status, 403);
    let list = alice.api.ok("/api/v1/users/alice/diaries").await?;
    assert_eq!(items(&list, "title"), ["Hello"], "nothing written: {list}");
    assert_eq!(
        alice.api.ok(&format!("/api/v1/diaries/{id}/likes")).await?["items"],
        json!([])
    );
    assert_eq!(
        alice
            .api
            .ok(&format!("/api/v1/diaries/{id}/comments"))
            .await?["items"],
        json!([])
    );
    assert_eq!(
        alice.api.ok("/api/v1/users/alice/voices").await?["items"],
        json!([])
    );
    // With the token the same forms work (the refusals above were the token's doing).
    a.get("/diaries/new").await?;
    let r = a.post(&format!("/diaries/{id}/like"), &[]).await?;
    assert_eq!(r.status, 303);
    run.stop().await
}

async fn only_the_author_edits_and_deletes(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    befriend(&alice, &bob).await?;
    let a = logged_in(&run.base_url, "alice").await?;
    let b = logged_in(&run.base_url, "bob").await?;
    let anon = WebClient::new(&run.base_url);
    a.get("/diaries/new").await?;
    let r = a
        .post(
            "/diaries",
            &[
                ("title", "First"),
                ("body", "Draft one"),
                ("audience", "members"),
            ],
        )
        .await?;
    let id = id_in(r.location.as_deref(), "diaries");
    let path = format!("/diaries/{id}");
    let edit = [
        ("title", "Hijacked"),
        ("body", "Bob was here"),
        ("audience", "public"),
    ];

    assert_eq!(b.get(&format!("{path}/edit")).await?.status, 403);
    assert_eq!(b.post(&format!("{path}/edit"), &edit).await?.status, 403);
    assert_eq!(b.get(&format!("{path}/delete")).await?.status, 403);
    assert_eq!(b.post(&format!("{path}/delete"), &[]).await?.status, 403);
    anon.get("/").await?;
    let r = anon.post(&format!("{path}/edit"), &edit).await?;
    assert!(
        redirects(&r, "/login"),
        "a visitor is sent to log in: {r:?}"
    );
    let d = alice.api.ok(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(
        (d["title"].as_str(), d["body"].as_str()),
        (Some("First"), Some("Draft one"))
    );

    let form = a.get(&format!("{path}/edit")).await?;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("value=\"First\"") && form.html.contains("Draft one"));
    assert!(
        form.html.contains("value=\"members\" selected"),
        "the post's audience"
    );
    let r = a
        .post(
            &format!("{path}/edit"),
            &[
                ("title", "Second"),
                ("body", "Draft two"),
                ("audience", "friends"),
                ("preview", "1"),
            ],
        )
        .await?;
    assert_eq!(r.status, 200);
    assert_eq!(
        alice.api.ok(&format!("/api/v1/diaries/{id}")).await?["title"],
        "First",
        "a preview saves nothing"
    );
    let r = a
        .post(
            &format!("{path}/edit"),
            &[("title", " "), ("body", "x"), ("audience", "friends")],
        )
        .await?;
    assert_eq!(r.status, 422);
    assert!(r.html.contains("role=\"alert\""));
    let r = a
        .post(
            &format!("{path}/edit"),
            &[("title", "Second"), ("body", "x"), ("audience", "nobody")],
        )
        .await?;
    assert_eq!(r.status, 422, "an audience that is none");
    let r = a
        .post(
            &format!("{path}/edit"),
            &[
                ("title", "Second"),
                ("body", "Draft two"),
                ("audience", "friends"),
            ],
        )
        .await?;
    assert!(redirects(&r, &path), "{r:?}");
    let d = alice.api.ok(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(
        (
            d["title"].as_str(),
            d["body"].as_str(),
            d["audience"].as_str()
        ),
        (Some("Second"), Some("Draft two"), Some("friends"))
    );
    assert_eq!(
        a.get(&format!("{path}/delete")).await?.status,
        200,
        "asks first"
    );
    let r = a.post(&format!("{path}/delete"), &[]).await?;
    assert!(redirects(&r, "/users/alice/diaries"), "{r:?}");
    assert_eq!(a.get(&path).await?.status, 404);
    assert_eq!(
        alice.api.get(&format!("/api/v1/diaries/{id}")).await?.0,
        404
    );
    run.stop().await
}

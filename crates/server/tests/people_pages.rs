//! The people pages over real HTTP, as a browser drives them (cookies, the form token,
//! `Accept: text/html`), on SQLite and PostgreSQL: friend requests sent and approved through the
//! pages, introductions written, hidden and shown, a friends-only bio kept from strangers and
//! visitors, blocking from a profile, settings that persist, notifications, finding accounts,
//! remote profiles from what the instance knows, and forms without their token refused.

mod common;

#[path = "people_pages/browser.rs"]
mod browser;

use browser::{Browser, id_after};
use common::{befriend, instance, member};
use enishi_testkit::TestDb;
use serde_json::json;

enishi_testkit::main!(db: [
    a_friend_request_sent_and_approved_through_the_pages_makes_friends,
    introductions_show_and_hide_on_the_profile,
    a_friends_only_bio_stays_with_friends,
    blocking_from_the_profile_ends_the_friendship,
    settings_persist_and_shape_the_pages,
    finding_accounts_and_remote_profiles,
    forms_without_their_token_change_nothing,
]);

async fn a_friend_request_sent_and_approved_through_the_pages_makes_friends(
    t: TestDb,
) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let (alice, bob) = (member(&run, "alice").await?, member(&run, "bob").await?);
    let (a, b) = (
        Browser::login(&run, "alice").await?,
        Browser::login(&run, "bob").await?,
    );
    let profile = a.page("/users/bob").await?;
    assert!(profile.contains("Send friend request"), "{profile}");
    a.submit(
        "/friends/requests",
        &[
            ("target", "bob"),
            ("message", "hello from the pages"),
            ("back", "/users/bob"),
        ],
        "/users/bob",
    )
    .await?;
    assert!(a.page("/users/bob").await?.contains("Cancel request"));
    let outgoing = a.page("/friends/requests").await?;
    assert!(outgoing.contains("@bob@"), "{outgoing}");

    // Bob is told, on the notifications page, and the unread badge goes once he has seen it.
    assert!(b.page("/").await?.contains("1 unread notification"));
    let notices = b.page("/notifications").await?;
    assert!(
        notices.contains("alice sent you a friend request"),
        "{notices}"
    );
    assert!(!b.page("/").await?.contains("unread notification"));

    let requests = b.page("/friends/requests").await?;
    assert!(requests.contains("hello from the pages"), "{requests}");
    let id = id_after(&requests, "/friends/requests/").expect("an accept form");
    b.submit(
        &format!("/friends/requests/{id}/accept"),
        &[],
        "/friends/requests",
    )
    .await?;

    assert!(a.page("/friends").await?.contains("href=\"/users/bob\""));
    assert!(b.page("/friends").await?.contains("href=\"/users/alice\""));
    let rel = alice.api.ok("/api/v1/users/bob/relationship").await?;
    assert_eq!(rel["friend"], true, "{rel}");
    let rel = bob.api.ok("/api/v1/users/alice/relationship").await?;
    assert_eq!(rel["friend"], true, "{rel}");
    assert!(
        a.page("/users/bob")
            .await?
            .contains("Write an introduction")
    );
    run.stop().await
}

async fn introductions_show_and_hide_on_the_profile(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let (alice, bob) = (member(&run, "alice").await?, member(&run, "bob").await?);
    member(&run, "carol").await?;
    befriend(&alice, &bob).await?;
    // Bob shows his introductions to everyone, so that hiding one is what takes it away.
    let (s, body) = bob
        .api
        .patch(
            "/api/v1/me/settings",
            json!({"introductions_audience": "public"}),
        )
        .await?;
    assert_eq!(s, 200, "{body}");
    let (a, b, c) = (
        Browser::login(&run, "alice").await?,
        Browser::login(&run, "bob").await?,
        Browser::login(&run, "carol").await?,
    );
    let visitor = Browser::new(&run);

    // Empty text is refused with the form shown again, and nothing is written.
    let refused = a
        .post("/users/bob/introductions", &[("text", "  ")])
        .await?;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("role=\"alert\""), "{}", refused.body);
    assert!(!visitor.page("/users/bob").await?.contains("INTROMARK"));

    a.submit(
        "/users/bob/introductions",
        &[("text", "INTROMARK kind and funny")],
        "/users/bob#introductions",
    )
    .await?;
    for who in [&a, &b, &c, &visitor] {
        assert!(who.page("/users/bob").await?.contains("INTROMARK"));
    }
    // A stranger may not write one.
    let s = c.post("/users/bob/introductions", &[("text", "x")]).await?;
    assert!(s.status == 403 || s.status == 404, "{}", s.status);

    let mine = b.page("/users/bob").await?;
    let id = id_after(&mine, "/introductions/").expect("a hide form");
    b.submit(
        &format!("/introductions/{id}/hide"),
        &[("back", "/users/bob")],
        "/users/bob",
    )
    .await?;
    assert!(!visitor.page("/users/bob").await?.contains("INTROMARK"));
    assert!(!c.page("/users/bob").await?.contains("INTROMARK"));
    // The writer and the subject still see it; the subject sees it is hidden.
    assert!(a.page("/users/bob").await?.contains("INTROMARK"));
    let mine = b.page("/users/bob").await?;
    assert!(mine.contains("INTROMARK") && mine.contains("Show on my profile"));

    b.submit(
        &format!("/introductions/{id}/show"),
        &[("back", "/users/bob")],
        "/users/bob",
    )
    .await?;
    assert!(visitor.page("/users/bob").await?.contains("INTROMARK"));
    // The writer edits it; a stranger cannot even open the edit form.
    assert_eq!(
        c.get(&format!("/introductions/{id}/edit")).await?.status,
        403
    );
    a.submit(
        &format!("/introductions/{id}/edit"),
        &[("text", "EDITMARK still kind")],
        "/users/bob#introductions",
    )
    .await?;
    let page = visitor.page("/users/bob").await?;
    assert!(page.contains("EDITMARK") && !page.contains("INTROMARK"));
    b.submit(
        &format!("/introductions/{id}/delete"),
        &[("back", "/users/bob")],
        "/users/bob",
    )
    .await?;
    assert!(!a.page("/users/bob").await?.contains("EDITMARK"));
    run.stop().await
}

async fn a_friends_only_bio_stays_with_friends(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let (alice, bob) = (member(&run, "alice").await?, member(&run, "bob").await?);
    member(&run, "carol").await?;
    befriend(&alice, &bob).await?;
    let (a, b, c) = (
        Browser::login(&run, "alice").await?,
        Browser::login(&run, "bob").await?,
        Browser::login(&run, "carol").await?,
    );
    let visitor = Browser::new(&run);
    b.submit(
        "/settings/profile",
        &[
            ("nickname", "Bobby"),
            ("nickname_audience", "public"),
            ("bio", "BIOMARK <likes> tea\n\nsecond line"),
            ("bio_audience", "friends"),
            ("field-0-name", "Hometown"),
            ("field-0-value", "FIELDFRIENDS"),
            ("field-0-audience", "friends"),
            ("field-1-name", "Hobby"),
            ("field-1-value", "FIELDPUBLIC"),
            ("field-1-audience", "public"),
        ],
        "/settings/profile?saved=1",
    )
    .await?;
    // The form shows the bio back as it was typed.
    let form = b.page("/settings/profile").await?;
    assert!(
        form.contains("BIOMARK &lt;likes&gt; tea\n\nsecond line"),
        "{form}"
    );

    let friend = a.page("/users/bob").await?;
    assert!(
        friend.contains("BIOMARK") && friend.contains("FIELDFRIENDS"),
        "{friend}"
    );
    for (who, page) in [
        ("carol", c.page("/users/bob").await?),
        ("visitor", visitor.page("/users/bob").await?),
    ] {
        assert!(
            page.contains("Bobby") && page.contains("FIELDPUBLIC"),
            "{who}: {page}"
        );
        assert!(
            !page.contains("BIOMARK") && !page.contains("FIELDFRIENDS"),
            "{who}: {page}"
        );
    }
    // Friends-list audience: friends by default.
    assert!(
        a.page("/users/bob/friends")
            .await?
            .contains("href=\"/users/alice\"")
    );
    let hidden = visitor.page("/users/bob/friends").await?;
    assert!(!hidden.contains("/users/alice\""), "{hidden}");

    // A refused profile edit changes nothing.
    let long = "x".repeat(51);
    let r = b
        .post(
            "/settings/profile",
            &[
                ("nickname", &long),
                ("nickname_audience", "public"),
                ("bio", ""),
                ("bio_audience", "public"),
            ],
        )
        .await?;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(visitor.page("/users/bob").await?.contains("Bobby"));
    run.stop().await
}

async fn blocking_from_the_profile_ends_the_friendship(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let (alice, bob) = (member(&run, "alice").await?, member(&run, "bob").await?);
    befriend(&alice, &bob).await?;
    let (a, b) = (
        Browser::login(&run, "alice").await?,
        Browser::login(&run, "bob").await?,
    );
    a.submit(
        "/friends/block",
        &[("target", "bob"), ("back", "/users/bob")],
        "/users/bob",
    )
    .await?;
    let rel = alice.api.ok("/api/v1/users/bob/relationship").await?;
    assert_eq!(
        (rel["friend"].clone(), rel["blocking"].clone()),
        (json!(false), json!(true))
    );
    assert!(!a.page("/friends").await?.contains("/users/bob\""));
    assert!(a.page("/friends/blocks").await?.contains("@bob@"));
    // The blocker's view of the profile offers only the unblock button; the blocked member
    // finds no profile at all.
    let page = a.page("/users/bob").await?;
    assert!(
        page.contains("Unblock") && !page.contains("Send friend request"),
        "{page}"
    );
    assert_eq!(b.get("/users/alice").await?.status, 404);
    assert!(!b.page("/friends").await?.contains("/users/alice\""));

    a.submit(
        "/friends/unblock",
        &[("target", "bob"), ("back", "/friends/blocks")],
        "/friends/blocks",
    )
    .await?;
    assert!(!a.page("/friends/blocks").await?.contains("@bob@"));
    assert_eq!(b.get("/users/alice").await?.status, 200);
    run.stop().await
}

async fn settings_persist_and_shape_the_pages(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    member(&run, "bob").await?;
    let (a, b) = (
        Browser::login(&run, "alice").await?,
        Browser::login(&run, "bob").await?,
    );
    assert!(
        a.page("/")
            .await?
            .contains("<option value=\"friends\" selected>")
    );
    a.submit(
        "/settings",
        &[
            ("default_audience", "private"),
            ("lang", "ja"),
            ("nickname_audience", "public"),
            ("bio_audience", "public"),
            ("avatar_audience", "public"),
            ("friends_audience", "private"),
            ("introductions_audience", "friends"),
        ],
        "/settings?saved=1",
    )
    .await?;
    let me = alice.api.ok("/api/v1/me").await?;
    assert_eq!(me["settings"]["default_audience"], "private", "{me}");
    assert_eq!(me["settings"]["footprints_enabled"], false, "{me}");
    assert_eq!(me["settings"]["friends_audience"], "private", "{me}");
    let home = a.page("/").await?;
    assert!(
        home.contains("<option value=\"private\" selected>"),
        "{home}"
    );
    assert!(home.contains("<html lang=\"ja\""), "the language is stored");
    let find = a.page("/friends/find").await?;
    assert!(
        find.contains("マイミクを探す") && !find.contains("Find friends"),
        "{find}"
    );
    let settings = a.page("/settings").await?;
    assert!(!settings.contains("name=\"footprints\" value=\"on\" checked"));

    // Footprints off: Bob's visit leaves none.
    b.page("/users/alice").await?;
    let f = a.page("/footprints").await?;
    assert!(!f.contains("/users/bob\""), "{f}");
    run.stop().await
}

async fn finding_accounts_and_remote_profiles(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    member(&run, "bob").await?;
    let a = Browser::login(&run, "alice").await?;
    let empty = a.page("/friends/find").await?;
    assert!(
        empty.contains("@name@"),
        "the empty state explains what to type"
    );
    let found = a.page("/friends/find?q=%40bob").await?;
    assert!(found.contains("href=\"/users/bob\"") && found.contains("Send friend request"));
    assert_eq!(a.get("/friends/find?q=nobody").await?.status, 404);
    assert_eq!(
        Browser::new(&run)
            .get("/friends/find?q=bob")
            .await?
            .location,
        "/login"
    );

    // A remote account the instance knows, shown without fetching anything.
    let mut remote = enishi_db::actors::find_local_person(&run.db, "bob")
        .await?
        .unwrap();
    remote.ap_id = url::Url::parse("https://remote.example/users/rita")?;
    remote.username = "rita".into();
    remote.domain = "remote.example".into();
    remote.is_local = false;
    remote.display_name = Some("Rita".into());
    remote.summary = Some("<p>REMOTEBIO</p>".into());
    remote.url = None;
    remote.inbox = url::Url::parse("https://remote.example/users/rita/inbox")?;
    remote.shared_inbox = None;
    remote.public_key_id = "https://remote.example/users/rita#main-key".into();
    remote.fetched_at = Some(chrono::Utc::now());
    enishi_db::actors::upsert_remote(&run.db, remote).await?;
    let page = a.page("/@rita@remote.example").await?;
    assert!(
        page.contains("REMOTEBIO") && page.contains("From remote.example"),
        "{page}"
    );
    assert!(page.contains("Follow") && page.contains("Send friend request"));
    assert_eq!(
        Browser::new(&run)
            .get("/@rita@remote.example")
            .await?
            .status,
        200
    );
    assert_eq!(a.get("/@nobody@nowhere.example").await?.status, 404);
    assert_eq!(a.get("/@bob").await?.location, "/users/bob");

    a.submit(
        "/friends/requests",
        &[
            ("target", "rita@remote.example"),
            ("back", "/@rita@remote.example"),
        ],
        "/@rita@remote.example",
    )
    .await?;
    let rel = alice
        .api
        .ok("/api/v1/users/rita@remote.example/relationship")
        .await?;
    assert_eq!(rel["requested"], true, "{rel}");
    assert!(
        a.page("/@rita@remote.example")
            .await?
            .contains("Cancel request")
    );
    run.stop().await
}

async fn forms_without_their_token_change_nothing(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let a = Browser::login(&run, "alice").await?;
    for fields in [
        vec![],
        vec![("csrf", "not-the-token-not-the-token-not-the-token")],
    ] {
        let mut all = fields.clone();
        all.push(("target", "bob"));
        let r = a.post_raw("/friends/requests", &all).await?;
        assert_eq!(r.status, 403, "{}", r.body);
        let mut all = fields.clone();
        all.extend([("default_audience", "public"), ("lang", "ja")]);
        all.extend([
            ("nickname_audience", "public"),
            ("bio_audience", "public"),
            ("avatar_audience", "public"),
        ]);
        all.extend([
            ("friends_audience", "public"),
            ("introductions_audience", "public"),
        ]);
        assert_eq!(a.post_raw("/settings", &all).await?.status, 403);
    }
    let incoming = bob
        .api
        .ok("/api/v1/friends/requests?direction=incoming")
        .await?;
    assert_eq!(incoming["items"], json!([]), "{incoming}");
    let me = alice.api.ok("/api/v1/me").await?;
    assert_eq!(me["settings"]["default_audience"], "friends", "{me}");
    // The same form with its token is accepted.
    a.submit("/friends/requests", &[("target", "bob")], "/users/bob")
        .await?;
    run.stop().await
}

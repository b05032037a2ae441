//! The Mastodon client API (issue 18), over real HTTP on SQLite and PostgreSQL: the paths both
//! APIs define answer in the caller's shape (blocks, media, reports, tags), blocking by
//! account, what an account shows of Enishi's profile — introductions as fields and the
//! counts — only as far as the viewer may see those sections, and paging by `max_id`,
//! `since_id` and `min_id` (the page just above it) with notification types filtered before
//! the page is cut.

mod common;

const PHOTO: &[u8] = include_bytes!("assets/gps_photo.jpg");

use common::{Member, befriend, instance, member};
use enishi_testkit::TestDb;
use enishi_testkit::mastodon::{password_token, register_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    shared_paths_answer_in_the_shape_of_the_caller_s_api,
    accounts_show_introductions_and_counts_as_far_as_allowed,
    paging_follows_mastodon_s_cursors,
]);

/// A Mastodon app calling as one member.
struct App {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl App {
    async fn of(base: &str, name: &str, scopes: &str) -> anyhow::Result<App> {
        let http = reqwest::Client::new();
        let app = register_app(&http, base, "tests", scopes).await?;
        let token = password_token(&http, base, &app, name, scopes).await?;
        Ok(App {
            base: base.to_owned(),
            token,
            http,
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await?;
        let status = r.status();
        let text = r.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    async fn ok(&self, path: &str) -> anyhow::Result<Value> {
        let (s, v) = self.call(Method::GET, path, None).await?;
        anyhow::ensure!(s == 200, "GET {path}: {s} {v}");
        Ok(v)
    }

    async fn account_id(&self, acct: &str) -> anyhow::Result<String> {
        let a = self
            .ok(&format!("/api/v1/accounts/lookup?acct={acct}"))
            .await?;
        a["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("lookup {acct}: {a}"))
    }
}

async fn shared_paths_answer_in_the_shape_of_the_caller_s_api(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = run.base_url.clone();
    let alice = member(&run, "alice").await?;
    let _carol = member(&run, "carol").await?;
    let app = App::of(&base, "alice", "read write follow").await?;
    let carol_id = app.account_id("carol").await?;

    // Blocks: Mastodon's list of accounts, Enishi's page of handles; block and unblock by id.
    assert_eq!(app.ok("/api/v1/blocks").await?, json!([]));
    let (s, rel) = app
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{carol_id}/block"),
            None,
        )
        .await?;
    assert_eq!((s.as_u16(), &rel["blocking"]), (200, &json!(true)), "{rel}");
    let blocked = app.ok("/api/v1/blocks").await?;
    assert_eq!(blocked[0]["acct"], "carol", "{blocked}");
    let own = alice.api.ok("/api/v1/blocks").await?;
    assert_eq!(own["items"][0]["handle"], "carol", "Enishi's shape: {own}");
    let (s, rel) = app
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{carol_id}/unblock"),
            None,
        )
        .await?;
    assert_eq!(
        (s.as_u16(), &rel["blocking"]),
        (200, &json!(false)),
        "{rel}"
    );
    assert_eq!(app.ok("/api/v1/blocks").await?, json!([]));
    let (s, e) = app
        .call(Method::POST, "/api/v1/accounts/999999/block", None)
        .await?;
    assert_eq!(s, 404, "{e}");

    // Media through v1: a MediaAttachment (with `meta`), its alt text changed by PUT.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(PHOTO.to_vec())
            .file_name("p.jpg")
            .mime_str("image/jpeg")?,
    );
    let r = app
        .http
        .post(format!("{base}/api/v1/media"))
        .bearer_auth(&app.token)
        .multipart(form)
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let media: Value = r.json().await?;
    assert!(media["meta"]["original"]["width"].is_number(), "{media}");
    let id = media["id"].as_str().unwrap_or_default().to_owned();
    let (s, described) = app
        .call(
            Method::PUT,
            &format!("/api/v1/media/{id}"),
            Some(json!({"description": "the harbour at dusk"})),
        )
        .await?;
    assert_eq!(
        (s.as_u16(), &described["description"]),
        (200, &json!("the harbour at dusk"))
    );
    let got = app.ok(&format!("/api/v1/media/{id}")).await?;
    assert_eq!(got["description"], "the harbour at dusk", "{got}");
    assert!(got["meta"].is_object(), "{got}");
    let own = alice.api.ok(&format!("/api/v1/media/{id}")).await?;
    assert!(
        own.get("meta").is_none() && own["id"] == id.as_str(),
        "Enishi's: {own}"
    );

    // Reports: Mastodon's fields; unknown categories and a missing account are refused.
    let (s, report) = app
        .call(
            Method::POST,
            "/api/v1/reports",
            Some(json!({"account_id": carol_id, "comment": "selling things", "category": "spam"})),
        )
        .await?;
    assert_eq!(s, 200, "{report}");
    assert_eq!(
        (&report["category"], &report["target_account"]["acct"]),
        (&json!("spam"), &json!("carol")),
        "{report}"
    );
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/reports",
            Some(json!({"account_id": carol_id, "category": "boredom"})),
        )
        .await?;
    assert_eq!(s, 422, "{e}");
    assert!(
        e["error"].as_str().unwrap_or_default().contains("category"),
        "{e}"
    );
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/reports",
            Some(json!({"comment": "x"})),
        )
        .await?;
    assert_eq!(s, 422, "{e}");
    let admin_view = alice.api.get("/api/v1/admin/reports").await?;
    assert_eq!(
        admin_view.0, 403,
        "a member is no moderator: {}",
        admin_view.1
    );

    // Tags: Mastodon's Tag; Enishi's list of posts.
    let tag = app.ok("/api/v1/tags/Cats").await?;
    assert_eq!(
        (&tag["name"], &tag["history"]),
        (&json!("Cats"), &json!([])),
        "{tag}"
    );
    let own = alice.api.ok("/api/v1/tags/Cats").await?;
    assert!(own["items"].is_array(), "Enishi's: {own}");
    run.stop().await
}

async fn settings(m: &Member, body: Value) -> anyhow::Result<()> {
    let (s, v) = m.api.patch("/api/v1/me/settings", body).await?;
    anyhow::ensure!(s == 200, "settings: {s} {v}");
    Ok(())
}

async fn accounts_show_introductions_and_counts_as_far_as_allowed(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = run.base_url.clone();
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let _carol = member(&run, "carol").await?;
    befriend(&alice, &bob).await?;
    settings(
        &alice,
        json!({"introductions_audience": "friends", "friends_audience": "friends"}),
    )
    .await?;
    let (s, i) = bob
        .api
        .post(
            "/api/v1/users/alice/introductions",
            json!({"text": "Alice bakes the best bread in town."}),
        )
        .await?;
    assert_eq!(s, 201, "{i}");
    for (audience, text) in [("public", "open to all"), ("friends", "for friends")] {
        let (s, v) = alice
            .api
            .post(
                "/api/v1/voices",
                json!({"text": text, "audience": audience}),
            )
            .await?;
        assert_eq!(s, 201, "{v}");
    }

    let friend = App::of(&base, "bob", "read").await?;
    let stranger = App::of(&base, "carol", "read").await?;
    let id = friend.account_id("alice").await?;
    let seen = friend.ok(&format!("/api/v1/accounts/{id}")).await?;
    let field = seen["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == "Introduction by bob"))
        .ok_or_else(|| anyhow::anyhow!("a friend sees the introduction: {seen}"))?;
    assert_eq!(field["value"], "Alice bakes the best bread in town.");
    assert_eq!(seen["enishi"]["introductions"][0]["writer"]["acct"], "bob");
    assert_eq!(
        (
            &seen["followers_count"],
            &seen["following_count"],
            &seen["statuses_count"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "counts: friends, and public posts only: {seen}"
    );

    let other = stranger.ok(&format!("/api/v1/accounts/{id}")).await?;
    assert!(
        !other.to_string().contains("bread"),
        "no introduction for someone outside the section's audience: {other}"
    );
    assert_eq!(other["enishi"]["introductions"], json!([]));
    assert_eq!(
        (&other["followers_count"], &other["statuses_count"]),
        (&json!(0), &json!(1)),
        "the friend count only where the friend list shows: {other}"
    );

    // Hidden by its subject: gone from the account for everyone.
    let iid = i["id"].as_str().unwrap_or_default();
    let (s, _) = alice
        .api
        .post_empty(&format!("/api/v1/introductions/{iid}/hide"))
        .await?;
    assert_eq!(s, 200);
    let seen = friend.ok(&format!("/api/v1/accounts/{id}")).await?;
    assert!(!seen.to_string().contains("bread"), "hidden: {seen}");
    run.stop().await
}

fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn paging_follows_mastodon_s_cursors(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = run.base_url.clone();
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let carol = member(&run, "carol").await?;
    befriend(&alice, &bob).await?;
    let mut public_ids = Vec::new();
    for i in 0..6 {
        let (s, v) = alice
            .api
            .post(
                "/api/v1/voices",
                json!({"text": format!("voice {i}"), "audience": "friends"}),
            )
            .await?;
        assert_eq!(s, 201, "{v}");
        public_ids.push(v["id"].as_str().unwrap_or_default().to_owned());
    }
    let app = App::of(&base, "alice", "read").await?;
    // Oldest first: the statuses' numbers.
    let mut ids = ids_of(&app.ok("/api/v1/timelines/home?limit=6").await?);
    ids.reverse();
    assert_eq!(ids.len(), 6);
    let page = |q: String| {
        let app = &app;
        async move { Ok::<_, anyhow::Error>(ids_of(&app.ok(&q).await?)) }
    };
    let home = "/api/v1/timelines/home";
    assert_eq!(
        page(format!("{home}?limit=2")).await?,
        [ids[5].clone(), ids[4].clone()]
    );
    assert_eq!(
        page(format!("{home}?limit=2&max_id={}", ids[4])).await?,
        [ids[3].clone(), ids[2].clone()]
    );
    assert_eq!(
        page(format!("{home}?limit=2&since_id={}", ids[0])).await?,
        [ids[5].clone(), ids[4].clone()]
    );
    assert_eq!(
        page(format!("{home}?limit=2&min_id={}", ids[0])).await?,
        [ids[2].clone(), ids[1].clone()],
        "min_id: the page just above it, newest first"
    );
    let alice_id = app.account_id("alice").await?;
    let statuses = format!("/api/v1/accounts/{alice_id}/statuses");
    assert_eq!(
        page(format!("{statuses}?limit=2&min_id={}", ids[1])).await?,
        [ids[3].clone(), ids[2].clone()]
    );
    assert_eq!(
        page(format!("{statuses}?limit=3&max_id={}", ids[2])).await?,
        [ids[1].clone(), ids[0].clone()]
    );

    // Notifications: three likes, then a friend request on top; a page of likes is full.
    for id in &public_ids[..3] {
        let (s, v) = bob
            .api
            .post_empty(&format!("/api/v1/voices/{id}/like"))
            .await?;
        assert!(s.is_success(), "{v}");
    }
    let (s, v) = carol
        .api
        .post("/api/v1/friends/requests", json!({"target": "alice"}))
        .await?;
    assert_eq!(s, 201, "{v}");
    let notes = app
        .ok("/api/v1/notifications?limit=2&types[]=favourite")
        .await?;
    let kinds: Vec<&str> = notes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["type"].as_str())
        .collect();
    assert_eq!(kinds, ["favourite", "favourite"], "{notes}");
    let notes = app
        .ok("/api/v1/notifications?limit=3&exclude_types[]=follow_request")
        .await?;
    assert_eq!(notes.as_array().map(Vec::len), Some(3), "{notes}");
    assert!(!notes.to_string().contains("follow_request"), "{notes}");
    run.stop().await
}

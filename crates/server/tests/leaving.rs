//! Deleting one's account (issue 17) on one instance, on SQLite and PostgreSQL: the password is
//! checked (a wrong one changes nothing); then the member's posts, comments, likes,
//! introductions, friendships and photos are gone, their token and login stop working, their
//! profile is gone, and the username cannot be taken again. The same from the settings page.
//! (The `Delete` reaching a friend's server: federation-tests/tests/safety.rs.) And the
//! archive a member downloads before leaving: made in the background with its progress shown,
//! holding everything of theirs and nothing of anyone else's but introductions about them.

mod common;

const PHOTO: &[u8] = include_bytes!("assets/gps_photo.jpg");

use common::{befriend, member};
use enishi_server::{default_config, start_on_free_port};
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient;
use serde_json::json;

enishi_testkit::main!(db: [
    a_member_deletes_their_account_through_the_api,
    a_member_deletes_their_account_from_the_settings,
    an_archive_holds_the_member_s_things_and_nobody_else_s,
    the_move_page_sets_aliases_and_refuses_what_it_cannot_do,
]);

async fn a_member_deletes_their_account_through_the_api(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.instance.registration = enishi_core::RegistrationMode::Open;
    let run = start_on_free_port(config).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    befriend(&alice, &bob).await?;
    let (s, d) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "mine", "body": "alice wrote this", "audience": "public"}),
        )
        .await?;
    assert_eq!(s, 201);
    let diary = d["id"].as_str().unwrap().to_owned();
    let (s, bd) = bob
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "bob's", "body": "bob wrote this", "audience": "public"}),
        )
        .await?;
    assert_eq!(s, 201);
    let bob_diary = bd["id"].as_str().unwrap().to_owned();
    let (s, _) = alice
        .api
        .post(
            &format!("/api/v1/diaries/{bob_diary}/comments"),
            json!({"text": "alice's comment"}),
        )
        .await?;
    assert_eq!(s, 201);
    let (s, _) = alice
        .api
        .post_empty(&format!("/api/v1/diaries/{bob_diary}/like"))
        .await?;
    assert!(s.is_success());
    let (s, _) = alice
        .api
        .post(
            "/api/v1/users/bob/introductions",
            json!({"text": "alice introduces bob"}),
        )
        .await?;
    assert_eq!(s, 201);

    let (s, e) = alice
        .api
        .delete_json("/api/v1/me", json!({"password": "not it"}))
        .await?;
    assert_eq!(s, 403, "{e}");
    let (s, _) = alice.api.get("/api/v1/me").await?;
    assert_eq!(s, 200, "a wrong password changes nothing");
    let (s, e) = alice.api.delete_json("/api/v1/me", json!({})).await?;
    assert_eq!(s, 422, "no password: {e}");

    let (s, e) = alice
        .api
        .delete_json("/api/v1/me", json!({"password": "password1"}))
        .await?;
    assert_eq!(s, 204, "{e}");
    let (s, _) = alice.api.get("/api/v1/me").await?;
    assert_eq!(s, 401, "the token is gone");
    let (s, _) = bob.api.get("/api/v1/users/alice").await?;
    assert_eq!(s, 404, "the profile is gone");
    let (s, _) = bob.api.get(&format!("/api/v1/diaries/{diary}")).await?;
    assert_eq!(s, 404, "her diary is gone");
    let comments = bob
        .api
        .ok(&format!("/api/v1/diaries/{bob_diary}/comments"))
        .await?;
    assert!(
        !comments.to_string().contains("alice's comment"),
        "{comments}"
    );
    let likes = bob
        .api
        .ok(&format!("/api/v1/diaries/{bob_diary}/likes"))
        .await?;
    assert!(!likes.to_string().contains("alice"), "{likes}");
    let intros = bob.api.ok("/api/v1/users/bob/introductions").await?;
    assert!(!intros.to_string().contains("alice introduces"), "{intros}");
    let friends = bob.api.ok("/api/v1/users/bob/friends").await?;
    assert!(!friends.to_string().contains("alice"), "{friends}");
    let (s, _) = reqwest::Client::new()
        .post(format!("{}/api/v1/sessions", run.base_url))
        .json(&json!({"username": "alice", "password": "password1"}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))?;
    assert_eq!(s, 401, "no login");
    // The name stays taken.
    let web = WebClient::new(&run.base_url);
    web.get("/signup").await?;
    let a = web
        .post(
            "/signup",
            &[("username", "alice"), ("password", "a long password")],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 409, "{}", a.html);
    // And an admin cannot bring the account back.
    assert!(!enishi_db::accounts::set_suspended(&run.db, "alice", false, "test").await?);
    run.stop().await
}

async fn a_member_deletes_their_account_from_the_settings(t: TestDb) -> anyhow::Result<()> {
    let run = start_on_free_port(default_config(&t.url, &t.dir)).await?;
    member(&run, "carol").await?;
    let web = WebClient::new(&run.base_url);
    web.login("carol", "password1").await?;
    let settings = web.get("/settings").await?;
    assert!(settings.html.contains("href=\"/settings/delete\""));
    let form = web.get("/settings/delete").await?;
    assert_eq!(form.status.as_u16(), 200);
    let wrong = web
        .post("/settings/delete", &[("password", "nope")])
        .await?;
    assert_eq!(wrong.status.as_u16(), 403, "{}", wrong.html);
    let done = web
        .post("/settings/delete", &[("password", "password1")])
        .await?;
    assert_eq!(done.status.as_u16(), 200, "{}", done.html);
    assert!(done.html.contains("has been deleted"), "{}", done.html);
    let after = web.get("/settings").await?;
    assert_ne!(after.status.as_u16(), 200, "the session is gone");
    let (s, _) = common::Api::new(&run.base_url, None)
        .get("/api/v1/users/carol")
        .await?;
    assert_eq!(s, 404);
    run.stop().await
}

/// Every file of a zip, by name.
fn unzip(bytes: &[u8]) -> anyhow::Result<std::collections::BTreeMap<String, Vec<u8>>> {
    use std::io::Read as _;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut out = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i)?;
        let mut b = Vec::new();
        f.read_to_end(&mut b)?;
        out.insert(f.name()?.into_owned(), b);
    }
    Ok(out)
}

async fn an_archive_holds_the_member_s_things_and_nobody_else_s(t: TestDb) -> anyhow::Result<()> {
    let run = start_on_free_port(default_config(&t.url, &t.dir)).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let carol = member(&run, "carol").await?;
    befriend(&alice, &bob).await?;
    befriend(&bob, &carol).await?;
    let (s, up) = common::media::upload(
        &alice,
        PHOTO.to_vec(),
        "p.jpg",
        "image/jpeg",
        Some("a view"),
    )
    .await?;
    assert_eq!(s, 201, "{up}");
    let photo = up["id"].as_str().unwrap().to_owned();
    let (s, d) = alice
        .api
        .post("/api/v1/diaries", json!({"title": "my trip", "body": "alice-diary-text", "audience": "friends", "media_ids": [photo]}))
        .await?;
    assert_eq!(s, 201, "{d}");
    let diary = d["id"].as_str().unwrap().to_owned();
    let (s, _) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "alice-voice-text", "audience": "private"}),
        )
        .await?;
    assert_eq!(s, 201);
    let (s, bd) = bob
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "b", "body": "bob-secret-text", "audience": "friends"}),
        )
        .await?;
    assert_eq!(s, 201);
    let bob_diary = bd["id"].as_str().unwrap().to_owned();
    let (s, _) = alice
        .api
        .post(
            &format!("/api/v1/diaries/{bob_diary}/comments"),
            json!({"text": "alice-comment-text"}),
        )
        .await?;
    assert_eq!(s, 201);
    let (s, _) = bob
        .api
        .post(
            &format!("/api/v1/diaries/{diary}/comments"),
            json!({"text": "bob-comment-text"}),
        )
        .await?;
    assert_eq!(s, 201);
    for (from, to, text) in [
        (&alice, "bob", "alice-about-bob"),
        (&bob, "alice", "bob-about-alice"),
    ] {
        let (s, e) = from
            .api
            .post(
                &format!("/api/v1/users/{to}/introductions"),
                json!({"text": text}),
            )
            .await?;
        assert_eq!(s, 201, "{e}");
    }
    let (s, _) = carol
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "carol-private-text", "audience": "private"}),
        )
        .await?;
    assert_eq!(s, 201);

    let (s, _) = alice.api.get("/api/v1/me/archive").await?;
    assert_eq!(s, 404, "none yet");
    let (s, started) = alice.api.post_empty("/api/v1/me/archive").await?;
    assert_eq!(s, 202, "{started}");
    let mut status = started;
    for _ in 0..100 {
        if status["state"] != "running" {
            break;
        }
        let p = status["progress"].as_i64().unwrap();
        assert!((0..=100).contains(&p), "{status}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = alice.api.ok("/api/v1/me/archive").await?;
    }
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["progress"], 100);
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/me/archive/download", run.base_url))
        .bearer_auth(alice.api.token().unwrap())
        .send()
        .await?;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let files = unzip(&resp.bytes().await?)?;
    let text = |name: &str| String::from_utf8_lossy(&files[name]).into_owned();
    assert!(text("diaries.json").contains("alice-diary-text"));
    assert!(text("diaries.json").contains(&format!("media/{photo}.jpg")));
    assert!(text("voices.json").contains("alice-voice-text"));
    assert!(text("comments.json").contains("alice-comment-text"));
    assert!(text("introductions_written.json").contains("alice-about-bob"));
    assert!(text("introductions_received.json").contains("bob-about-alice"));
    assert!(text("friends.txt").contains("bob@"));
    assert!(text("following_accounts.csv").starts_with("Account address,"));
    let jpeg = &files[&format!("media/{photo}.jpg")];
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "the photo itself");
    let everything: String = files
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    for other in ["bob-secret-text", "bob-comment-text", "carol-private-text"] {
        assert!(!everything.contains(other), "{other} is not alice's");
    }
    // Nobody else can download it.
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/me/archive/download", run.base_url))
        .bearer_auth(bob.api.token().unwrap())
        .send()
        .await?;
    assert_eq!(resp.status().as_u16(), 404);

    // The same from the settings page.
    let web = WebClient::new(&run.base_url);
    web.login("bob", "password1").await?;
    let a = web.post("/settings/archive", &[]).await?;
    assert_eq!(a.status.as_u16(), 303, "{}", a.html);
    let mut page = web.get("/settings/archive").await?;
    for _ in 0..100 {
        if page.html.contains("/settings/archive/download") {
            break;
        }
        assert!(
            page.html.contains("<progress"),
            "the progress is shown: {}",
            page.html
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = web.get("/settings/archive").await?;
    }
    let zip = web.get("/settings/archive/download").await?;
    assert_eq!(zip.status.as_u16(), 200);
    run.stop().await
}

/// The move page (the move itself between servers: federation-tests/tests/safety.rs): aliases
/// are saved and published in the actor document; a wrong password, an unknown account or one
/// on this server are refused, and nothing moves.
async fn the_move_page_sets_aliases_and_refuses_what_it_cannot_do(t: TestDb) -> anyhow::Result<()> {
    let run = start_on_free_port(default_config(&t.url, &t.dir)).await?;
    member(&run, "dana").await?;
    member(&run, "erin").await?;
    let web = WebClient::new(&run.base_url);
    web.login("dana", "password1").await?;
    assert_eq!(web.get("/settings/move").await?.status.as_u16(), 200);
    let a = web
        .post("/settings/aliases", &[("aliases", "erin\n")])
        .await?;
    assert_eq!(a.status.as_u16(), 303, "{}", a.html);
    let doc: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/users/dana", run.base_url))
        .header("accept", "application/activity+json")
        .send()
        .await?
        .json()
        .await?;
    assert!(
        doc["alsoKnownAs"][0]
            .as_str()
            .unwrap()
            .ends_with("/users/erin"),
        "{doc}"
    );
    let a = web
        .post(
            "/settings/move",
            &[("target", "erin"), ("password", "nope")],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 403);
    let a = web
        .post(
            "/settings/move",
            &[("target", "nobody"), ("password", "password1")],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 404);
    let a = web
        .post(
            "/settings/move",
            &[("target", "erin"), ("password", "password1")],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 422, "erin is on this server: {}", a.html);
    let dana = enishi_db::accounts::find_by_username(&run.db, "dana")
        .await?
        .unwrap();
    assert!(
        enishi_db::moves::state(&run.db, dana.actor.id)
            .await?
            .moved_to
            .is_none()
    );
    run.stop().await
}

//! Deleting one's account (issue 17) on one instance, on SQLite and PostgreSQL: the password is
//! checked (a wrong one changes nothing); then the member's posts, comments, likes,
//! introductions, friendships and photos are gone, their token and login stop working, their
//! profile is gone, and the username cannot be taken again. The same from the settings page.
//! (The `Delete` reaching a friend's server: federation-tests/tests/safety.rs.)

mod common;

use common::{befriend, member};
use enishi_server::{default_config, start_on_free_port};
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient;
use serde_json::json;

enishi_testkit::main!(db: [
    a_member_deletes_their_account_through_the_api,
    a_member_deletes_their_account_from_the_settings,
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

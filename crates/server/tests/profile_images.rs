//! Avatars and header images end to end over real HTTP, on SQLite and PostgreSQL: set through
//! the API and the settings page's multipart forms, shown in the profile answer, the profile
//! page and the actor document only to those the avatar audience admits, and their URLs dying
//! when the audience narrows, an image is replaced or removed.

mod common;

use common::{Member, befriend, instance, member};
use enishi_server::Running;
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    profile_images_follow_the_avatar_audience,
    replacing_removing_and_refusing_images,
    the_settings_page_sets_images,
]);

const PHOTO: &[u8] = include_bytes!("assets/gps_photo.jpg");

/// Uploads the test photo with alt text; returns its id.
async fn upload(m: &Member, description: &str) -> anyhow::Result<String> {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(PHOTO.to_vec())
                .file_name("photo.jpg")
                .mime_str("image/jpeg")?,
        )
        .text("description", description.to_owned());
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/media", m.api.base))
        .bearer_auth(m.api.token().unwrap_or_default())
        .multipart(form)
        .send()
        .await?;
    let status = r.status().as_u16();
    let body: Value = r.json().await?;
    anyhow::ensure!(status == 201, "upload: {status} {body}");
    Ok(body["id"].as_str().unwrap_or_default().to_owned())
}

/// Status and `Cache-Control` of an anonymous fetch of `url`.
async fn fetch(url: &str) -> anyhow::Result<(u16, String)> {
    let r = reqwest::get(url).await?;
    let cache = r
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((r.status().as_u16(), cache))
}

/// The member's actor document, as another server fetches it.
async fn actor_document(run: &Running, name: &str) -> anyhow::Result<Value> {
    let r = reqwest::Client::new()
        .get(format!("{}/users/{name}", run.base_url))
        .header("accept", "application/activity+json")
        .send()
        .await?;
    anyhow::ensure!(r.status() == 200, "actor document: {}", r.status());
    Ok(r.json().await?)
}

/// The URL path of `url` (pages link files by path).
fn path_of(url: &str) -> &str {
    let rest = url.split("://").nth(1).unwrap_or(url);
    &rest[rest.find('/').unwrap_or(0)..]
}

async fn profile_images_follow_the_avatar_audience(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let carol = member(&run, "carol").await?;
    befriend(&alice, &bob).await?;
    let avatar_id = upload(&alice, "Alice smiling").await?;
    let header_id = upload(&alice, "A beach at dusk").await?;

    let (s, p) = alice
        .api
        .patch(
            "/api/v1/me/profile",
            json!({"avatar_id": avatar_id, "header_id": header_id}),
        )
        .await?;
    anyhow::ensure!(s == 200, "set images: {s} {p}");
    assert_eq!(p["avatar"]["id"], avatar_id.as_str(), "{p}");
    assert_eq!(p["avatar"]["description"], "Alice smiling");
    assert_eq!(p["header"]["id"], header_id.as_str(), "{p}");
    let avatar = p["avatar"]["url"].as_str().unwrap().to_owned();
    let avatar_small = p["avatar"]["preview_url"].as_str().unwrap().to_owned();
    let header = p["header"]["url"].as_str().unwrap().to_owned();
    assert!(avatar.starts_with(&format!("{}/media/", run.base_url)));

    // Public by default: everyone sees them, caches may keep them.
    let seen = carol.api.anonymous().ok("/api/v1/users/alice").await?;
    assert_eq!(
        (
            seen["avatar"]["url"].as_str(),
            seen["header"]["url"].as_str()
        ),
        (Some(avatar.as_str()), Some(header.as_str())),
        "{seen}"
    );
    let (s, cache) = fetch(&avatar).await?;
    assert_eq!(s, 200);
    assert!(cache.starts_with("public"), "a public avatar: {cache}");
    let doc = actor_document(&run, "alice").await?;
    assert_eq!(doc["icon"]["type"], "Image", "{doc}");
    assert_eq!(doc["icon"]["mediaType"], "image/jpeg");
    assert_eq!(doc["icon"]["url"], avatar.as_str());
    assert_eq!(doc["image"]["url"], header.as_str(), "{doc}");
    let page = WebClient::new(&run.base_url)
        .get("/users/alice")
        .await?
        .html;
    assert!(page.contains(path_of(&avatar_small)), "{page}");
    assert!(page.contains(path_of(&header)), "{page}");
    assert!(page.contains("alt=\"Alice smiling\""), "{page}");

    // Friends only: the old URLs die, friends get new ones, others nothing.
    let (s, _) = alice
        .api
        .patch("/api/v1/me/settings", json!({"avatar_audience": "friends"}))
        .await?;
    assert_eq!(s, 200);
    for old in [&avatar, &avatar_small, &header] {
        assert_eq!(fetch(old).await?.0, 404, "{old} outlived the narrowing");
    }
    let seen = bob.api.ok("/api/v1/users/alice").await?;
    let (new_avatar, new_header) = (
        seen["avatar"]["url"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        seen["header"]["url"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    assert_eq!(seen["avatar"]["id"], avatar_id.as_str(), "{seen}");
    assert!(new_avatar != avatar && new_header != header, "{seen}");
    let (s, cache) = fetch(&new_avatar).await?;
    assert_eq!(s, 200);
    assert!(
        cache.starts_with("private"),
        "a friends-only avatar: {cache}"
    );
    assert_eq!(fetch(&new_header).await?.0, 200);
    for stranger in [carol.api.clone(), carol.api.anonymous()] {
        let seen = stranger.ok("/api/v1/users/alice").await?;
        assert!(
            seen["avatar"].is_null() && seen["header"].is_null(),
            "{seen}"
        );
    }
    let doc = actor_document(&run, "alice").await?;
    assert!(
        doc.get("icon").is_none() && doc.get("image").is_none(),
        "{doc}"
    );
    let carol_page = WebClient::new(&run.base_url)
        .get("/users/alice")
        .await?
        .html;
    assert!(
        !carol_page.contains(&key_of(&new_avatar)) && !carol_page.contains("Alice smiling"),
        "{carol_page}"
    );

    // Widening again shows them to everyone, under the same live keys.
    let (s, _) = alice
        .api
        .patch("/api/v1/me/settings", json!({"avatar_audience": "public"}))
        .await?;
    assert_eq!(s, 200);
    let doc = actor_document(&run, "alice").await?;
    assert_eq!(doc["icon"]["url"], new_avatar.as_str(), "{doc}");
    assert_eq!(doc["image"]["url"], new_header.as_str(), "{doc}");
    assert!(fetch(&new_avatar).await?.1.starts_with("public"));
    Ok(())
}

fn key_of(url: &str) -> String {
    url.split("/media/").nth(1).unwrap_or_default()[..32].to_owned()
}

async fn replacing_removing_and_refusing_images(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let first = upload(&alice, "first").await?;
    let p = alice
        .api
        .patch("/api/v1/me/profile", json!({"avatar_id": first}))
        .await?
        .1;
    let first_url = p["avatar"]["url"].as_str().unwrap().to_owned();
    assert!(p["header"].is_null(), "{p}");
    // Naming the current avatar again changes nothing.
    let (s, again) = alice
        .api
        .patch("/api/v1/me/profile", json!({"avatar_id": first}))
        .await?;
    assert_eq!(
        (s.as_u16(), again["avatar"]["url"].as_str()),
        (200, Some(first_url.as_str()))
    );

    // Replacing: the old avatar is gone, its URL at once.
    let second = upload(&alice, "second").await?;
    let (s, p) = alice
        .api
        .patch("/api/v1/me/profile", json!({"avatar_id": second}))
        .await?;
    assert_eq!(s, 200);
    assert_eq!(p["avatar"]["id"], second.as_str(), "{p}");
    assert_eq!(fetch(&first_url).await?.0, 404);
    let (s, _) = alice.api.get(&format!("/api/v1/media/{first}")).await?;
    assert_eq!(s, 404, "the replaced avatar's row is gone");
    let second_url = p["avatar"]["url"].as_str().unwrap().to_owned();

    // Someone else's photo, an unknown one, one on a post, the avatar as the header: refused,
    // and nothing changes.
    let bobs = upload(&bob, "bob's").await?;
    let (s, e) = alice
        .api
        .patch("/api/v1/me/profile", json!({"header_id": bobs}))
        .await?;
    assert_eq!(
        (s.as_u16(), e["error"].as_str()),
        (409, Some("media_unknown")),
        "{e}"
    );
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("header_id")),
        "{e}"
    );
    let (s, e) = alice
        .api
        .patch(
            "/api/v1/me/profile",
            json!({"avatar_id": "0190a000-0000-7000-8000-000000000000"}),
        )
        .await?;
    assert_eq!(
        (s.as_u16(), e["error"].as_str()),
        (409, Some("media_unknown")),
        "{e}"
    );
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("avatar_id")),
        "{e}"
    );
    let on_post = upload(&alice, "on a diary").await?;
    let (s, d) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "t", "body": "b", "audience": "public", "media_ids": [on_post]}),
        )
        .await?;
    anyhow::ensure!(s == 201, "diary: {s} {d}");
    let (s, e) = alice
        .api
        .patch("/api/v1/me/profile", json!({"header_id": on_post}))
        .await?;
    assert_eq!(
        (s.as_u16(), e["error"].as_str()),
        (409, Some("media_attached"))
    );
    let (s, _) = alice
        .api
        .patch("/api/v1/me/profile", json!({"header_id": second}))
        .await?;
    assert_eq!(s, 409, "the avatar cannot be the header too");
    let p = alice.api.ok("/api/v1/users/alice").await?;
    assert_eq!(p["avatar"]["url"], second_url.as_str(), "{p}");
    assert!(p["header"].is_null(), "{p}");
    // Bob's photo is still his, unattached.
    assert_eq!(bob.api.get(&format!("/api/v1/media/{bobs}")).await?.0, 200);

    // Removing, with an empty id or null; leaving the fields out keeps the images.
    let header = upload(&alice, "header").await?;
    let p = alice
        .api
        .patch("/api/v1/me/profile", json!({"header_id": header}))
        .await?
        .1;
    let header_url = p["header"]["url"].as_str().unwrap().to_owned();
    let p = alice
        .api
        .patch("/api/v1/me/profile", json!({"nickname": "Alice"}))
        .await?
        .1;
    assert!(!p["avatar"].is_null() && !p["header"].is_null(), "{p}");
    let (s, p) = alice
        .api
        .patch(
            "/api/v1/me/profile",
            json!({"avatar_id": "", "header_id": null}),
        )
        .await?;
    assert_eq!(s, 200);
    assert!(p["avatar"].is_null() && p["header"].is_null(), "{p}");
    assert_eq!(fetch(&second_url).await?.0, 404);
    assert_eq!(fetch(&header_url).await?.0, 404);
    Ok(())
}

/// Posts the avatar form of the settings page as a browser would (multipart, the token first).
async fn post_image_form(
    web: &WebClient,
    path: &str,
    csrf: Option<&str>,
    file: Option<(&[u8], &str, &str)>,
    fields: &[(&str, &str)],
) -> anyhow::Result<(u16, String, String)> {
    let mut form = reqwest::multipart::Form::new();
    if let Some(token) = csrf {
        form = form.text("csrf", token.to_owned());
    }
    if let Some((bytes, name, mime)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec())
                .file_name(name.to_owned())
                .mime_str(mime)?,
        );
    }
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let cookies = ["enishi_session", "enishi_csrf"]
        .iter()
        .filter_map(|n| web.cookie(n).map(|v| format!("{n}={v}")))
        .collect::<Vec<_>>()
        .join("; ");
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .post(format!("{}{path}", web.base))
        .header("accept", "text/html")
        .header("cookie", cookies)
        .multipart(form)
        .send()
        .await?;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((status, location, r.text().await?))
}

async fn the_settings_page_sets_images(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let web = WebClient::new(&run.base_url);
    web.login("alice", "password1").await?;
    let form = web.get("/settings/profile").await?.html;
    assert!(
        form.contains("action=\"/settings/profile/avatar\"")
            && form.contains("enctype=\"multipart/form-data\""),
        "{form}"
    );
    let token = web.csrf_token().unwrap();
    let jpeg = Some((PHOTO, "me.jpg", "image/jpeg"));

    // Without the form token, or with another one: refused, nothing kept.
    for csrf in [None, Some("0".repeat(token.len()))] {
        let (s, _, _) = post_image_form(
            &web,
            "/settings/profile/avatar",
            csrf.as_deref(),
            jpeg,
            &[("description", "no token")],
        )
        .await?;
        assert_eq!(s, 403);
    }
    assert!(alice.api.ok("/api/v1/me").await?["profile"]["avatar"].is_null());

    // Upload with alt text: the avatar is set, the profile page shows it.
    let (s, to, body) = post_image_form(
        &web,
        "/settings/profile/avatar",
        Some(&token),
        jpeg,
        &[("description", "Me at the lake")],
    )
    .await?;
    assert_eq!(
        (s, to.as_str()),
        (303, "/settings/profile?saved=1"),
        "{body}"
    );
    let (s, _, _) = post_image_form(
        &web,
        "/settings/profile/header",
        Some(&token),
        jpeg,
        &[("description", "The lake")],
    )
    .await?;
    assert_eq!(s, 303);
    let p = alice.api.ok("/api/v1/users/alice").await?;
    assert_eq!(p["avatar"]["description"], "Me at the lake", "{p}");
    assert_eq!(p["header"]["description"], "The lake", "{p}");
    let avatar = p["avatar"]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&avatar).await?.0, 200);
    let page = web.get("/users/alice").await?.html;
    assert!(page.contains("alt=\"Me at the lake\""), "{page}");
    assert!(page.contains("alt=\"The lake\""), "{page}");
    let form = web.get("/settings/profile").await?.html;
    assert!(form.contains("value=\"Me at the lake\""), "{form}");

    // Alt text alone changes; the image stays.
    let (s, _, _) = post_image_form(
        &web,
        "/settings/profile/avatar",
        Some(&token),
        None,
        &[("description", "Me, older")],
    )
    .await?;
    assert_eq!(s, 303);
    let p = alice.api.ok("/api/v1/users/alice").await?;
    assert_eq!(
        (
            p["avatar"]["url"].as_str(),
            p["avatar"]["description"].as_str()
        ),
        (Some(avatar.as_str()), Some("Me, older"))
    );

    // A file that is no image: the page says so, the avatar stays.
    let (s, _, body) = post_image_form(
        &web,
        "/settings/profile/avatar",
        Some(&token),
        Some((
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "x.svg",
            "image/svg+xml",
        )),
        &[("description", "")],
    )
    .await?;
    assert_eq!(s, 415);
    assert!(
        body.contains("role=\"alert\"") && body.contains("not taken"),
        "{body}"
    );
    assert_eq!(fetch(&avatar).await?.0, 200);

    // Removing: the avatar goes, its URL dies.
    let (s, _, _) = post_image_form(
        &web,
        "/settings/profile/avatar",
        Some(&token),
        None,
        &[("description", ""), ("remove", "on")],
    )
    .await?;
    assert_eq!(s, 303);
    let p = alice.api.ok("/api/v1/users/alice").await?;
    assert!(p["avatar"].is_null() && !p["header"].is_null(), "{p}");
    assert_eq!(fetch(&avatar).await?.0, 404);
    Ok(())
}

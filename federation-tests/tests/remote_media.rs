//! Other servers' photos (issue 15, inbound): attachments of remote posts are fetched into a
//! bounded cache when first asked for, re-encoded, and served from this instance with the
//! post's audience; what cannot be read is linked, never fetched; hostile files (2 GiB, never
//! ending, stalling, an SVG posing as a PNG) are refused without leaving anything behind and
//! without holding the server up.
//!
//! The posts are real Mastodon, GoToSocial and Misskey payloads (from `crates/apub/tests/fixtures`,
//! see its SOURCES.tsv), re-addressed to come from a member of a second instance, with their
//! attachment URLs pointing at a file server this test runs.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use enishi_federation_tests::cluster::{Member, Node, TEST_PHOTO, befriend, eventually};
use enishi_testkit::TestDb;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

enishi_testkit::main!(db: [
    a_friends_photo_is_served_from_here_and_dies_with_the_audience,
    fixture_attachments_are_cached_and_hostile_ones_are_refused,
    the_cache_evicts_the_longest_unused_file_and_fetches_it_again,
]);

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A file server standing in for other servers' media hosts, counting what it is asked for.
#[derive(Clone, Default)]
struct Files {
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Files {
    fn hits(&self, name: &str) -> usize {
        self.hits.lock().unwrap().get(name).copied().unwrap_or(0)
    }
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("a PNG encodes");
    out.into_inner()
}

fn webp(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, _| {
        image::Rgba([200, (x * 3) as u8, 40, 255])
    });
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .encode(img.as_raw(), width, height, image::ExtendedColorType::Rgba8)
        .expect("a WebP encodes");
    out
}

async fn file(State(files): State<Files>, Path(name): Path<String>) -> Response {
    *files.hits.lock().unwrap().entry(name.clone()).or_default() += 1;
    let typed = |t: &'static str, bytes: Vec<u8>| {
        ([(header::CONTENT_TYPE, HeaderValue::from_static(t))], bytes).into_response()
    };
    match name.as_str() {
        "photo.jpg" | "photo2.jpg" => typed("image/jpeg", TEST_PHOTO.to_vec()),
        "comic.png" | "panel.png" => typed("image/png", png(64, 48)),
        "drawing.webp" => typed("image/webp", webp(40, 30)),
        "clip.mp4" => typed("video/mp4", vec![0; 64]),
        // Claims (in the post) to be a PNG; is a script-carrying SVG.
        "fake.png" => typed(
            "image/png",
            br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec(),
        ),
        // Announces 2 GiB.
        "huge.jpg" => {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            headers.insert(
                header::CONTENT_LENGTH,
                HeaderValue::from_static("2147483648"),
            );
            let endless = futures::stream::repeat_with(|| {
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(&[0u8; 65536]))
            });
            (headers, Body::from_stream(endless)).into_response()
        }
        // Never ends, announcing nothing.
        "endless.jpg" => {
            let endless = futures::stream::repeat_with(|| {
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(&[0xffu8; 65536]))
            });
            (
                [(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"))],
                Body::from_stream(endless),
            )
                .into_response()
        }
        // Answers the head, then never sends a byte.
        "stall.jpg" => {
            let never = futures::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
            (
                [(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"))],
                Body::from_stream(never),
            )
                .into_response()
        }
        _ => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the file server; returns its base URL.
async fn start_files(files: Files) -> anyhow::Result<String> {
    let app = Router::new()
        .route("/files/{name}", axum::routing::get(file))
        .with_state(files);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://127.0.0.1:{}/files", addr.port()))
}

/// A fixture's post object.
fn fixture(path: &str) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/apub/tests/fixtures");
    let text = std::fs::read_to_string(dir.join(path)).expect("the fixture is there");
    let json: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    match json.get("object") {
        Some(o) if o.is_object() => o.clone(),
        _ => json,
    }
}

/// `object` re-addressed as `author`'s public post `name`, its attachments' URLs replaced by
/// `urls` (in order; type, alt text and sizes as the other server wrote them).
fn as_post_of(author: &Member, name: &str, mut object: Value, urls: &[String]) -> Value {
    let id = format!("{}/notes/{name}", author.ap_id);
    for field in [
        "replies",
        "url",
        "inReplyTo",
        "conversation",
        "atomUri",
        "inReplyToAtomUri",
        "likes",
        "shares",
        "context",
        "tag",
        "_misskey_content",
        "source",
    ] {
        if let Some(map) = object.as_object_mut() {
            map.remove(field);
        }
    }
    object["id"] = json!(id);
    object["attributedTo"] = json!(author.ap_id.as_str());
    object["to"] = json!([PUBLIC]);
    object["cc"] = json!([format!("{}/followers", author.ap_id)]);
    object["published"] = json!(chrono::Utc::now().to_rfc3339());
    let items = match object.get_mut("attachment") {
        Some(Value::Array(a)) => a,
        _ => panic!("{name}: the fixture has attachments"),
    };
    assert_eq!(items.len(), urls.len(), "{name}");
    for (item, url) in items.iter_mut().zip(urls) {
        item["url"] = json!(url);
    }
    object
}

async fn deliver(author: &Member, to: &Node, object: &Value) -> anyhow::Result<()> {
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activity", object["id"].as_str().unwrap_or_default()),
        "type": "Create",
        "actor": author.ap_id.as_str(),
        "to": object["to"],
        "cc": object["cc"],
        "object": object,
    });
    let (s, e) = author
        .signed_post(&format!("{}/inbox", to.run.base_url), &create)
        .await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    Ok(())
}

/// The post with ActivityPub id `ap_id` on `reader`'s timeline, once it is there.
async fn on_timeline(reader: &Member, ap_id: &str) -> anyhow::Result<Value> {
    eventually(&format!("{ap_id} reaches {}", reader.name), || async {
        let page = reader.api.ok("/api/v1/timeline?limit=50").await?;
        Ok(page["items"]
            .as_array()
            .and_then(|items| items.iter().find(|p| p["ap_id"] == ap_id))
            .cloned())
    })
    .await
}

/// GETs `url` with no credentials: status, content type and body.
async fn fetch(url: &str) -> anyhow::Result<(u16, String, Vec<u8>)> {
    let r = reqwest::get(url).await?;
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((status, kind, r.bytes().await?.to_vec()))
}

/// The files in `node`'s media directory.
fn stored_files(node: &Node) -> Vec<PathBuf> {
    let enishi_media::StoreConfig::Local { root } = &node.run.config.media.store else {
        panic!("these tests use the local store");
    };
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}

/// A photo in a friends-only diary on B reaches the friend on A with URLs of A; the files come
/// from A's cache, re-encoded; a member of A who is no friend cannot see the post; when the
/// author narrows the diary to themselves, A's old URL answers 404 at once.
async fn a_friends_photo_is_served_from_here_and_dies_with_the_audience(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let stranger = a.member("stranger").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let photo = bob.upload_photo(TEST_PHOTO, "the harbour at dusk").await?;
    let (s, diary) = bob
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "harbour", "body": "for friends", "audience": "friends",
                   "media_ids": [photo["id"]]}),
        )
        .await?;
    anyhow::ensure!(s == 201, "{diary}");
    let ap_id = diary["ap_id"].as_str().unwrap_or_default();
    let seen = on_timeline(&alice, ap_id).await?;
    let media = &seen["media"][0];
    anyhow::ensure!(media["type"] == "image", "{seen}");
    anyhow::ensure!(media["description"] == "the harbour at dusk", "{seen}");
    let url = media["url"].as_str().unwrap_or_default().to_owned();
    anyhow::ensure!(
        url.starts_with(&format!("{}/media/", a.run.base_url)),
        "served from A: {url}"
    );
    let (s, kind, body) = fetch(&url).await?;
    anyhow::ensure!(s == 200 && kind == "image/jpeg", "{s} {kind}");
    let img = image::load_from_memory(&body)?;
    anyhow::ensure!(
        (img.width(), img.height())
            == (
                media["width"].as_u64().unwrap_or(0) as u32,
                media["height"].as_u64().unwrap_or(0) as u32
            ),
        "the cached file has the sizes the post now tells"
    );
    anyhow::ensure!(
        !body.windows(4).any(|w| w == b"Exif"),
        "no EXIF in the re-encoded file"
    );
    let (s, _, _) = fetch(media["preview_url"].as_str().unwrap_or_default()).await?;
    anyhow::ensure!(s == 200, "the thumbnail: {s}");
    // The stranger on A does not see the diary anywhere.
    let page = stranger.api.ok("/api/v1/timeline?limit=50").await?;
    anyhow::ensure!(
        !page.to_string().contains(ap_id),
        "the stranger's timeline shows the friends-only diary"
    );
    // Bob's uploaded avatar reaches A with his actor, and A serves it from its cache.
    let face = bob.upload_photo(TEST_PHOTO, "bob's face").await?;
    let (s, e) = bob
        .api
        .patch("/api/v1/me/profile", json!({"avatar_id": face["id"]}))
        .await?;
    anyhow::ensure!(s == 200, "{s} {e}");
    let avatar = eventually("bob's avatar reaches A", || async {
        let profile = alice
            .api
            .ok(&format!("/api/v1/users/{}", bob.handle))
            .await?;
        Ok(profile["avatar"]["url"].as_str().map(str::to_owned))
    })
    .await?;
    anyhow::ensure!(
        avatar.starts_with(&format!("{}/media/", a.run.base_url)),
        "served from A: {avatar}"
    );
    let (s, kind, _) = fetch(&avatar).await?;
    anyhow::ensure!(s == 200 && kind == "image/jpeg", "the avatar: {s} {kind}");
    // Bob narrows the diary to himself: A's copy goes, and its URLs with it.
    let (s, e) = bob
        .api
        .patch(
            &format!(
                "/api/v1/diaries/{}",
                diary["id"].as_str().unwrap_or_default()
            ),
            json!({"audience": "private"}),
        )
        .await?;
    anyhow::ensure!(s == 200, "{e}");
    eventually("the old URL dies on A", || async {
        Ok((fetch(&url).await?.0 == 404).then_some(()))
    })
    .await?;
    a.stop().await?;
    b.stop().await
}

/// Real payloads with attachments (Mastodon's PNG, GoToSocial's PNG, Misskey's WebP, Mastodon's
/// video) and hostile ones, delivered by a member of B to A where alice follows him.
async fn fixture_attachments_are_cached_and_hostile_ones_are_refused(
    t: TestDb,
) -> anyhow::Result<()> {
    let files = Files::default();
    let host = start_files(files.clone()).await?;
    let a = Node::start_with(t.kind, 0, |c| {
        c.media.fetch_timeout = Duration::from_secs(3);
    })
    .await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let url = |name: &str| format!("{host}/{name}");

    let masto = as_post_of(
        &bob,
        "masto",
        fixture("mastodon/note_public_live_masto_ai.json"),
        &[url("comic.png")],
    );
    let gts = as_post_of(
        &bob,
        "gts",
        fixture("gotosocial/note_public_live_single_string_to_cc.json"),
        &[url("panel.png")],
    );
    let misskey = as_post_of(
        &bob,
        "misskey",
        fixture("misskey/note_public_live_misskey_io.json"),
        &[url("drawing.webp")],
    );
    let video = as_post_of(
        &bob,
        "video",
        fixture("mastodon/create_note_followers_only.json"),
        &[url("clip.mp4")],
    );
    let mut hostile = as_post_of(
        &bob,
        "hostile",
        fixture("mastodon/note_public_live_masto_ai.json"),
        &[url("huge.jpg")],
    );
    hostile["attachment"] = json!(["huge.jpg", "endless.jpg", "stall.jpg", "fake.png"]
        .iter()
        .map(|n| json!({"type": "Document", "mediaType": if n.ends_with(".png") { "image/png" } else { "image/jpeg" }, "url": url(n)}))
        .collect::<Vec<_>>());
    for post in [&masto, &gts, &misskey, &video, &hostile] {
        deliver(&bob, &a, post).await?;
    }

    // The readable ones: served from A, re-encoded, with the other server's alt text.
    for (post, name, alt, kind) in [
        (
            &masto,
            "comic.png",
            "Original Heathcliff comic",
            "image/png",
        ),
        (&gts, "panel.png", "GoToSocial settings panel", "image/png"),
        // Its alpha channel keeps it lossless.
        (&misskey, "drawing.webp", "", "image/png"),
    ] {
        let seen = on_timeline(&alice, post["id"].as_str().unwrap_or_default()).await?;
        let m = &seen["media"][0];
        anyhow::ensure!(m["type"] == "image", "{name}: {seen}");
        anyhow::ensure!(
            m["description"]
                .as_str()
                .unwrap_or_default()
                .starts_with(alt),
            "{name}: {m}"
        );
        anyhow::ensure!(files.hits(name) == 0, "{name} fetched before anyone asked");
        let (s, got, body) = fetch(m["url"].as_str().unwrap_or_default()).await?;
        anyhow::ensure!(s == 200 && got == kind, "{name}: {s} {got}");
        image::load_from_memory(&body)?;
        let (s, _, _) = fetch(m["preview_url"].as_str().unwrap_or_default()).await?;
        anyhow::ensure!(s == 200, "{name} thumbnail: {s}");
        anyhow::ensure!(files.hits(name) == 1, "{name}: fetched once, then cached");
        let seen = on_timeline(&alice, post["id"].as_str().unwrap_or_default()).await?;
        anyhow::ensure!(
            seen["media"][0]["blurhash"]
                .as_str()
                .is_some_and(|b| !b.is_empty()),
            "{name}: computed here once fetched: {seen}"
        );
    }

    // The video is linked to, never fetched.
    let seen = on_timeline(&alice, video["id"].as_str().unwrap_or_default()).await?;
    anyhow::ensure!(seen["media"][0]["type"] == "unknown", "{seen}");
    anyhow::ensure!(seen["media"][0]["url"] == url("clip.mp4"), "{seen}");

    // The hostile ones, all at once, while the server keeps answering.
    let seen = on_timeline(&alice, hostile["id"].as_str().unwrap_or_default()).await?;
    let urls: Vec<String> = seen["media"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["url"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(urls.len() == 4, "{seen}");
    let started = Instant::now();
    let fetches = futures::future::join_all(urls.iter().map(|u| fetch(u)));
    let responsive = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let t0 = Instant::now();
        let r = reqwest::get(format!("{}/nodeinfo/2.1", a.run.base_url)).await?;
        anyhow::ensure!(r.status() == 200, "nodeinfo: {}", r.status());
        Ok::<_, anyhow::Error>(t0.elapsed())
    };
    let (answers, quick) = tokio::join!(fetches, responsive);
    let quick = quick?;
    anyhow::ensure!(
        quick < Duration::from_secs(2),
        "the server answered other requests in {quick:?} while the fetches hung"
    );
    for (u, answer) in urls.iter().zip(answers) {
        let (s, _, _) = answer?;
        anyhow::ensure!(s == 404, "{u}: {s}");
    }
    anyhow::ensure!(
        started.elapsed() < Duration::from_secs(15),
        "the stalled fetch was given up in time ({:?})",
        started.elapsed()
    );
    for name in ["huge.jpg", "endless.jpg", "stall.jpg", "fake.png"] {
        anyhow::ensure!(
            files.hits(name) == 1,
            "{name}: {} fetches",
            files.hits(name)
        );
    }
    // Asked again at once: not fetched again (a failure waits before the next try).
    for u in &urls {
        anyhow::ensure!(fetch(u).await?.0 == 404, "{u}");
    }
    for name in ["huge.jpg", "endless.jpg", "stall.jpg", "fake.png"] {
        anyhow::ensure!(files.hits(name) == 1, "{name} fetched again at once");
    }
    // Shown as links now, and nothing half-written is left: two files for each of the three
    // readable attachments.
    let seen = on_timeline(&alice, hostile["id"].as_str().unwrap_or_default()).await?;
    anyhow::ensure!(
        seen["media"]
            .as_array()
            .is_some_and(|a| a.iter().all(|m| m["type"] == "unknown")),
        "{seen}"
    );
    let stored = stored_files(&a);
    anyhow::ensure!(stored.len() == 6, "files in A's store: {stored:?}");

    // The Mastodon post narrowed to alice alone: A's URL for it changes, the old one dies.
    let old =
        on_timeline(&alice, masto["id"].as_str().unwrap_or_default()).await?["media"][0]["url"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    let mut narrowed = masto.clone();
    narrowed["to"] = json!([alice.ap_id.as_str()]);
    narrowed["cc"] = json!([]);
    let update = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/update", masto["id"].as_str().unwrap_or_default()),
        "type": "Update",
        "actor": bob.ap_id.as_str(),
        "to": [alice.ap_id.as_str()],
        "object": narrowed,
    });
    let (s, e) = bob
        .signed_post(&format!("{}/inbox", a.run.base_url), &update)
        .await?;
    anyhow::ensure!(s == 202, "{s} {e}");
    anyhow::ensure!(
        fetch(&old).await?.0 == 404,
        "the URL from before the narrowing"
    );
    let new =
        on_timeline(&alice, masto["id"].as_str().unwrap_or_default()).await?["media"][0]["url"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    anyhow::ensure!(new != old, "a new key");
    anyhow::ensure!(fetch(&new).await?.0 == 200, "the new URL");
    anyhow::ensure!(
        files.hits("comic.png") == 1,
        "the cached file moved with the key"
    );
    a.stop().await?;
    b.stop().await
}

/// With room for about one photo, the cache drops the longest unused one when another comes
/// in, and fetches it again when it is asked for again.
async fn the_cache_evicts_the_longest_unused_file_and_fetches_it_again(
    t: TestDb,
) -> anyhow::Result<()> {
    let files = Files::default();
    let host = start_files(files.clone()).await?;
    let a = Node::start_with(t.kind, 0, |c| c.media.cache_max = 1).await?;
    let b = Node::start(t.kind).await?;
    let alice = a.member("alice").await?;
    let bob = b.member("bob").await?;
    befriend(&alice, &bob).await?;
    let mut post = as_post_of(
        &bob,
        "two",
        fixture("mastodon/note_public_live_masto_ai.json"),
        &[format!("{host}/photo.jpg")],
    );
    post["attachment"] = json!([
        {"type": "Document", "mediaType": "image/jpeg", "url": format!("{host}/photo.jpg")},
        {"type": "Document", "mediaType": "image/jpeg", "url": format!("{host}/photo2.jpg")},
    ]);
    deliver(&bob, &a, &post).await?;
    let seen = on_timeline(&alice, post["id"].as_str().unwrap_or_default()).await?;
    let first = seen["media"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let second = seen["media"][1]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    anyhow::ensure!(fetch(&first).await?.0 == 200);
    anyhow::ensure!(fetch(&first).await?.0 == 200);
    anyhow::ensure!(files.hits("photo.jpg") == 1, "cached");
    anyhow::ensure!(fetch(&second).await?.0 == 200);
    anyhow::ensure!(stored_files(&a).len() == 2, "only the newest photo is kept");
    anyhow::ensure!(fetch(&first).await?.0 == 200, "fetched again");
    anyhow::ensure!(files.hits("photo.jpg") == 2, "after it was evicted");
    anyhow::ensure!(files.hits("photo2.jpg") == 1);
    a.stop().await?;
    b.stop().await
}

//! Photos end to end over real HTTP, on SQLite and PostgreSQL, with the files on the local disk
//! and in a real S3 server (s3s-fs): uploads are cleaned (EXIF with GPS dropped, orientation
//! applied), attached to diaries and voice posts, served only under live keys, and their URLs
//! die when a post is deleted, narrowed or loses the photo. Bad uploads get clear errors and
//! leave nothing behind.

mod common;

use common::media::{age_files, contains, fetch, files_under, key_of, prune, stored_files, upload};
use common::{befriend, instance, member};
use enishi_server::{default_config, start_on_free_port};
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    a_photo_is_cleaned_and_follows_its_post,
    bad_uploads_are_refused_and_leave_nothing,
    attaching_is_checked,
    the_s3_store_keeps_and_serves_photos,
]);

const GPS_PHOTO: &[u8] = include_bytes!("assets/gps_photo.jpg");

async fn a_photo_is_cleaned_and_follows_its_post(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let carol = member(&run, "carol").await?;
    befriend(&alice, &bob).await?;

    let (s, photo) = upload(
        &alice,
        GPS_PHOTO.to_vec(),
        "IMG_0001.JPG",
        "image/jpeg",
        Some("A circuit board on a desk"),
    )
    .await?;
    anyhow::ensure!(s == 201, "upload: {s} {photo}");
    // Orientation 6 turned the 720×477 photo upright.
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(477), Some(720))
    );
    assert_eq!(photo["description"], "A circuit board on a desk");
    assert_eq!(photo["type"], "image");
    assert!(photo["blurhash"].as_str().unwrap().len() >= 20, "{photo}");
    let url = photo["url"].as_str().unwrap().to_owned();
    let preview = photo["preview_url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/media/", run.base_url)),
        "{url}"
    );
    assert!(
        url.ends_with("/original.jpg") && preview.ends_with("/small.jpg"),
        "{url} {preview}"
    );
    assert_eq!(key_of(&url).len(), 32);

    // Nothing of the EXIF block survives: no GPS, no camera, no serial number.
    let (s, cache, kind, bytes) = fetch(&url).await?;
    assert_eq!((s, kind.as_str()), (200, "image/jpeg"));
    assert!(cache.starts_with("private"), "an unattached photo: {cache}");
    assert!(contains(GPS_PHOTO, b"Exif\0\0") && contains(GPS_PHOTO, b"SERIAL-0042"));
    for leaked in [
        &b"Exif\0\0"[..],
        b"SERIAL-0042",
        b"EnishiTestCam",
        b"Model-X",
    ] {
        assert!(
            !contains(&bytes, leaked),
            "{:?} survived",
            String::from_utf8_lossy(leaked)
        );
    }
    let img = image::load_from_memory(&bytes)?;
    assert_eq!((img.width(), img.height()), (477, 720));
    let (s, _, _, small) = fetch(&preview).await?;
    assert_eq!(s, 200);
    let small = image::load_from_memory(&small)?;
    assert!(small.width().max(small.height()) <= 480);

    // A friends-only diary with the photo: friends get the URL, others not even the diary.
    let (s, diary) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "Soldering", "body": "Done.", "audience": "friends",
                   "media_ids": [photo["id"]]}),
        )
        .await?;
    anyhow::ensure!(s == 201, "diary: {s} {diary}");
    let id = diary["id"].as_str().unwrap().to_owned();
    assert_eq!(diary["media"][0]["url"], url.as_str());
    assert_eq!(
        diary["media"][0]["description"],
        "A circuit board on a desk"
    );
    let (s, seen) = bob.api.get(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(
        (s.as_u16(), seen["media"][0]["url"].as_str()),
        (200, Some(url.as_str()))
    );
    let (s, _) = carol.api.get(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(s, 404);
    let (s, cache, _, _) = fetch(&url).await?;
    assert_eq!(s, 200);
    assert!(
        cache.starts_with("private"),
        "a friends-only photo: {cache}"
    );
    // Only the two file names the photo has; a key that never was is the same 404.
    let base = url.trim_end_matches("/original.jpg");
    for wrong in [
        format!("{base}/original.png"),
        format!("{base}/other.jpg"),
        format!("{}/media/{}/original.jpg", run.base_url, "0".repeat(32)),
        format!("{}/media/..%2F..%2Fetc/original.jpg", run.base_url),
    ] {
        assert_eq!(fetch(&wrong).await?.0, 404, "{wrong}");
    }

    // Widening keeps the URL; narrowing kills it at once and gives the photo a new one.
    let (s, wide) = alice
        .api
        .patch(
            &format!("/api/v1/diaries/{id}"),
            json!({"audience": "friends_of_friends"}),
        )
        .await?;
    assert_eq!(
        (s.as_u16(), wide["media"][0]["url"].as_str()),
        (200, Some(url.as_str()))
    );
    let (s, narrow) = alice
        .api
        .patch(
            &format!("/api/v1/diaries/{id}"),
            json!({"audience": "private"}),
        )
        .await?;
    assert_eq!(s, 200, "{narrow}");
    let new_url = narrow["media"][0]["url"].as_str().unwrap().to_owned();
    assert_ne!(new_url, url);
    assert_eq!(
        fetch(&url).await?.0,
        404,
        "the old URL dies with the narrowing"
    );
    assert_eq!(fetch(&new_url).await?.0, 200);
    // The prune moves the files to the new key; nothing stays under the old one.
    let report = prune(&run).await?;
    assert_eq!(report.moved, 1, "{report:?}");
    let files = stored_files(&run);
    let new_key = key_of(&new_url);
    assert!(files.iter().all(|f| f.starts_with(&new_key)), "{files:?}");
    assert_eq!(files.len(), 2, "{files:?}");
    let (s, _, _, again) = fetch(&new_url).await?;
    assert_eq!((s, again.len()), (200, bytes.len()));

    // Removing the photo from the post kills its URL too.
    let (s, bare) = alice
        .api
        .patch(&format!("/api/v1/diaries/{id}"), json!({"media_ids": []}))
        .await?;
    assert_eq!(
        (s.as_u16(), bare["media"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    assert_eq!(fetch(&new_url).await?.0, 404);

    // A public voice post's photo may be cached by anyone; deleting the post kills it.
    let (_, p2) = upload(&alice, GPS_PHOTO.to_vec(), "p.jpg", "image/jpeg", None).await?;
    let (s, voice) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "Look", "audience": "public", "media_ids": [p2["id"]]}),
        )
        .await?;
    assert_eq!(s, 201, "{voice}");
    let public_url = voice["media"][0]["url"].as_str().unwrap().to_owned();
    let (s, cache, _, _) = fetch(&public_url).await?;
    assert_eq!(s, 200);
    assert!(
        cache.contains("public") && cache.contains("immutable"),
        "{cache}"
    );
    let vid = voice["id"].as_str().unwrap();
    assert_eq!(
        alice.api.delete(&format!("/api/v1/voices/{vid}")).await?.0,
        204
    );
    assert_eq!(fetch(&public_url).await?.0, 404);
    // The prune deletes the files nothing needs (after a grace period for uploads in flight,
    // which these files are past once their modification time is made old).
    age_files(&run)?;
    let report = prune(&run).await?;
    assert_eq!(report.deleted_files, 4, "{report:?}");
    assert!(stored_files(&run).is_empty(), "{:?}", stored_files(&run));
    run.stop().await
}

/// Sends only the head of an upload announcing `length` bytes; returns the status and body.
async fn headers_only_upload(
    base: &str,
    token: &str,
    length: usize,
) -> anyhow::Result<(u16, Value)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await?;
    let head = format!(
        "POST /api/v1/media HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n",
        base.trim_start_matches("http://")
    );
    stream.write_all(head.as_bytes()).await?;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

/// A PNG header claiming `w`×`h` pixels, with no image data after it.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc(&ihdr).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(b"IEND");
    out.extend_from_slice(&crc(b"IEND").to_be_bytes());
    out
}

async fn bad_uploads_are_refused_and_leave_nothing(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let cases: Vec<(&str, Vec<u8>, &str, u16, &str)> = vec![
        ("zero bytes", vec![], "image/jpeg", 422, "file"),
        ("an SVG", svg.to_vec(), "image/svg+xml", 415, ""),
        ("an SVG called .jpg", svg.to_vec(), "image/jpeg", 415, ""),
        ("text", b"hello".to_vec(), "image/png", 415, ""),
        (
            "a truncated JPEG",
            GPS_PHOTO[..GPS_PHOTO.len() / 3].to_vec(),
            "image/jpeg",
            422,
            "file",
        ),
        (
            "a 100-megapixel PNG",
            png_claiming(10_000, 10_000),
            "image/png",
            422,
            "file",
        ),
    ];
    for (what, bytes, mime, status, field) in cases {
        let (s, body) = upload(&alice, bytes, "x.jpg", mime, None).await?;
        assert_eq!(s, status, "{what}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {body}"
        );
        if !field.is_empty() {
            assert_eq!(body["field"], field, "{what}: {body}");
        }
    }
    // An upload announced larger than 10 MiB is refused before a byte of it is read. Sent
    // over a plain socket without the body: a client still writing it when the server answers
    // and closes would see a broken pipe instead of the answer.
    let (s, body) = headers_only_upload(
        &run.base_url,
        alice.api.token().unwrap_or_default(),
        11 << 20,
    )
    .await?;
    assert_eq!(s, 413, "{body}");
    assert_eq!(body["error"], "payload_too_large", "{body}");
    let (s, body) = upload(
        &alice,
        GPS_PHOTO.to_vec(),
        "x.jpg",
        "image/jpeg",
        Some(&"x".repeat(1_501)),
    )
    .await?;
    assert_eq!(
        (s, body["field"].as_str()),
        (422, Some("description")),
        "{body}"
    );
    // No file at all, and a field nobody asked for.
    let no_file = reqwest::Client::new()
        .post(format!("{}/api/v1/media", run.base_url))
        .bearer_auth(alice.api.token().unwrap_or_default())
        .multipart(reqwest::multipart::Form::new().text("description", "hi"))
        .send()
        .await?;
    assert_eq!(no_file.status(), 422);
    let body: Value = no_file.json().await?;
    assert_eq!(body["field"], "file", "{body}");
    let anonymous = reqwest::Client::new()
        .post(format!("{}/api/v1/media", run.base_url))
        .multipart(reqwest::multipart::Form::new().text("description", "hi"))
        .send()
        .await?;
    assert_eq!(anonymous.status(), 401);
    assert!(
        stored_files(&run).is_empty(),
        "refusals leave no files: {:?}",
        stored_files(&run)
    );

    // The type comes from the bytes: a PNG called .jpg stays a PNG; whatever rides after the
    // image in a polyglot file is gone.
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
        40,
        30,
        image::Rgba([9, 9, 9, 100]),
    ))
    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    let (s, p) = upload(&alice, png, "photo.jpg", "image/jpeg", None).await?;
    assert_eq!(s, 201, "{p}");
    assert!(p["url"].as_str().unwrap().ends_with("/original.png"), "{p}");
    let mut polyglot = GPS_PHOTO.to_vec();
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>PK\x03\x04");
    let (s, p) = upload(&alice, polyglot, "a.jpg", "image/jpeg", None).await?;
    assert_eq!(s, 201, "{p}");
    let (_, _, _, bytes) = fetch(p["url"].as_str().unwrap()).await?;
    assert!(!contains(&bytes, b"<script>") && !contains(&bytes, b"PK\x03\x04"));
    // A photo as large as a phone makes (several megabytes) is taken whole.
    let mut rng = 7u32;
    let noisy = image::RgbImage::from_fn(2600, 1950, |x, y| {
        rng = rng.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        image::Rgb([(x % 256) as u8, (y % 256) as u8, (rng >> 16) as u8])
    });
    let mut big = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut big, 95).encode_image(&noisy)?;
    assert!(big.len() > 3_000_000, "{} bytes", big.len());
    let (s, p) = upload(&alice, big, "big.jpg", "image/jpeg", None).await?;
    assert_eq!(s, 201, "{p}");
    assert_eq!(
        (p["width"].as_u64(), p["height"].as_u64()),
        (Some(2560), Some(1920))
    );
    assert_eq!(stored_files(&run).len(), 6, "three uploads, two files each");
    run.stop().await
}

async fn attaching_is_checked(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let (s, p) = upload(&alice, GPS_PHOTO.to_vec(), "p.jpg", "image/jpeg", None).await?;
        assert_eq!(s, 201, "{p}");
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    let diary = |media: &[String]| json!({"title": "t", "body": "b", "media_ids": media});
    let (s, e) = alice.api.post("/api/v1/diaries", diary(&ids)).await?;
    assert_eq!(
        (s.as_u16(), e["field"].as_str()),
        (422, Some("media_ids")),
        "four on a diary: {e}"
    );
    let (s, e) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "v", "media_ids": &ids[..2]}),
        )
        .await?;
    assert_eq!(
        (s.as_u16(), e["field"].as_str()),
        (422, Some("media_ids")),
        "two on a voice: {e}"
    );
    let (s, e) = bob.api.post("/api/v1/diaries", diary(&ids[..1])).await?;
    assert_eq!(
        (s.as_u16(), e["error"].as_str()),
        (409, Some("media_unknown")),
        "someone else's: {e}"
    );
    let twice = [ids[0].clone(), ids[0].clone()];
    let (s, e) = alice.api.post("/api/v1/diaries", diary(&twice)).await?;
    assert_eq!(
        (s.as_u16(), e["field"].as_str()),
        (422, Some("media_ids")),
        "twice: {e}"
    );
    // Refused posts were not written.
    let (_, mine) = alice.api.get("/api/v1/users/alice/diaries").await?;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(0), "{mine}");

    // Three in order, then reordered and one swapped by an edit.
    let (s, d) = alice.api.post("/api/v1/diaries", diary(&ids[..3])).await?;
    assert_eq!(s, 201, "{d}");
    let order = |d: &Value| -> Vec<String> {
        d["media"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(order(&d), ids[..3]);
    let did = d["id"].as_str().unwrap().to_owned();
    let (s, e) = alice.api.post("/api/v1/diaries", diary(&ids[..1])).await?;
    assert_eq!(
        (s.as_u16(), e["error"].as_str()),
        (409, Some("media_attached")),
        "already attached: {e}"
    );
    let new_order = vec![ids[3].clone(), ids[1].clone(), ids[0].clone()];
    let (s, d) = alice
        .api
        .patch(
            &format!("/api/v1/diaries/{did}"),
            json!({"media_ids": new_order}),
        )
        .await?;
    assert_eq!(s, 200, "{d}");
    assert_eq!(order(&d), new_order);
    let (_, read) = alice.api.get(&format!("/api/v1/diaries/{did}")).await?;
    assert_eq!(order(&read), new_order);
    // The one taken off is gone: its id is no one's any more.
    let (s, _) = alice.api.get(&format!("/api/v1/media/{}", ids[2])).await?;
    assert_eq!(s, 404);
    let (s, m) = alice
        .api
        .put(
            &format!("/api/v1/media/{}", ids[3]),
            json!({"description": "new alt"}),
        )
        .await?;
    assert_eq!(
        (s.as_u16(), m["description"].as_str()),
        (200, Some("new alt")),
        "{m}"
    );
    let (s, _) = bob
        .api
        .put(
            &format!("/api/v1/media/{}", ids[3]),
            json!({"description": "mine"}),
        )
        .await?;
    assert_eq!(s, 404, "another member's photo is not found");
    run.stop().await
}

async fn the_s3_store_keeps_and_serves_photos(t: TestDb) -> anyhow::Result<()> {
    let s3 = enishi_testkit::s3::S3Server::start(&t.dir.join("s3")).await?;
    let mut config = default_config(&t.url, &t.dir);
    config.media.store = enishi_media::StoreConfig::S3 {
        endpoint: Some(s3.endpoint.clone()),
        bucket: s3.bucket.clone(),
        region: "us-east-1".into(),
        access_key: s3.access_key.clone(),
        secret_key: s3.secret_key.clone(),
        path_style: true,
    };
    let run = start_on_free_port(config).await?;
    let alice = member(&run, "alice").await?;
    let (s, p) = upload(
        &alice,
        GPS_PHOTO.to_vec(),
        "p.jpg",
        "image/jpeg",
        Some("alt"),
    )
    .await?;
    assert_eq!(s, 201, "{p}");
    let bucket_files = || files_under(&t.dir.join("s3").join("enishi-media"));
    let key = key_of(p["url"].as_str().unwrap());
    assert_eq!(
        bucket_files(),
        [format!("{key}/original.jpg"), format!("{key}/small.jpg")],
        "the files are in the bucket, not on the instance's disk"
    );
    assert!(!run.config.data_dir.join("media").exists());
    let (s, d) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "t", "body": "b", "audience": "public", "media_ids": [p["id"]]}),
        )
        .await?;
    assert_eq!(s, 201, "{d}");
    let url = d["media"][0]["url"].as_str().unwrap().to_owned();
    let (s, _, _, bytes) = fetch(&url).await?;
    assert_eq!(s, 200);
    assert!(!contains(&bytes, b"Exif\0\0"));
    let did = d["id"].as_str().unwrap();
    let (_, narrowed) = alice
        .api
        .patch(
            &format!("/api/v1/diaries/{did}"),
            json!({"audience": "friends"}),
        )
        .await?;
    let new_url = narrowed["media"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&url).await?.0, 404);
    assert_eq!(fetch(&new_url).await?.0, 200);
    let report = prune(&run).await?;
    assert_eq!(report.moved, 1, "{report:?}");
    let new_key = key_of(&new_url);
    // The old key's files are deleted by a later prune, once past the grace period; the new
    // ones are there now.
    assert!(
        bucket_files().contains(&format!("{new_key}/original.jpg")),
        "{:?}",
        bucket_files()
    );
    let (s, _, _, moved) = fetch(&new_url).await?;
    assert_eq!((s, moved.len()), (200, bytes.len()));
    run.stop().await
}

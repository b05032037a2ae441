//! Photos beyond the JPEG case, over real HTTP on SQLite and PostgreSQL: a GIF keeps its first
//! frame and a WebP is re-encoded like any other upload; an upload nobody attaches within a day
//! is forgotten by the prune, its URL dies and its files go, while attached photos and younger
//! uploads stay.

mod common;

use common::media::{age_files, fetch, key_of, prune, stored_files, upload};
use common::{instance, member};
use enishi_testkit::TestDb;
use image::{Rgba, RgbaImage};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

enishi_testkit::main!(db: [
    gif_and_webp_uploads_are_re_encoded,
    uploads_nobody_attaches_are_forgotten_after_a_day,
]);

fn solid(w: u32, h: u32, c: [u8; 4]) -> RgbaImage {
    RgbaImage::from_pixel(w, h, Rgba(c))
}

/// A two-frame animated GIF: red, then blue.
fn animated_gif() -> anyhow::Result<Vec<u8>> {
    use image::codecs::gif::{GifEncoder, Repeat};
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite)?;
        for c in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            enc.encode_frame(image::Frame::new(solid(40, 30, c)))?;
        }
    }
    Ok(out)
}

fn webp() -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out).encode(
        solid(64, 48, [0, 160, 0, 255]).as_raw(),
        64,
        48,
        image::ExtendedColorType::Rgba8,
    )?;
    Ok(out)
}

/// The colour at the centre of an image file.
fn centre(bytes: &[u8]) -> anyhow::Result<[u8; 3]> {
    let img = image::load_from_memory(bytes)?.to_rgb8();
    let p = img.get_pixel(img.width() / 2, img.height() / 2);
    Ok(p.0)
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 8)
}

async fn gif_and_webp_uploads_are_re_encoded(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;

    // The GIF's type is sniffed from its bytes, whatever its name and header claim.
    let gif = animated_gif()?;
    let (s, photo) = upload(&alice, gif.clone(), "cat.jpg", "image/jpeg", None).await?;
    anyhow::ensure!(s == 201, "GIF upload: {s} {photo}");
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(40), Some(30))
    );
    let url = photo["url"].as_str().unwrap_or_default();
    assert!(
        url.ends_with("/original.png"),
        "a GIF is kept as a PNG: {url}"
    );
    let (s, _, kind, bytes) = fetch(url).await?;
    assert_eq!((s, kind.as_str()), (200, "image/png"));
    assert_ne!(bytes, gif, "re-encoded, not stored as sent");
    // One still frame: the first one.
    assert_eq!(
        image::guess_format(&bytes)?,
        image::ImageFormat::Png,
        "not an animation"
    );
    assert!(near(centre(&bytes)?, [255, 0, 0]), "{:?}", centre(&bytes)?);
    let (s, _, _, small) = fetch(photo["preview_url"].as_str().unwrap_or_default()).await?;
    assert_eq!(s, 200);
    assert!(near(centre(&small)?, [255, 0, 0]));

    let webp = webp()?;
    let (s, photo) = upload(
        &alice,
        webp.clone(),
        "leaf.png",
        "image/png",
        Some("A leaf"),
    )
    .await?;
    anyhow::ensure!(s == 201, "WebP upload: {s} {photo}");
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(64), Some(48))
    );
    assert_eq!(photo["description"], "A leaf");
    let url = photo["url"].as_str().unwrap_or_default();
    let (s, _, kind, bytes) = fetch(url).await?;
    assert_eq!(s, 200);
    assert!(kind == "image/jpeg" || kind == "image/png", "{kind}");
    assert_ne!(image::guess_format(&bytes)?, image::ImageFormat::WebP);
    assert!(near(centre(&bytes)?, [0, 160, 0]), "{:?}", centre(&bytes)?);

    // Both can be attached and are served with the post.
    let gif_id = photo["id"].clone();
    let (s, voice) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "green", "audience": "public", "media_ids": [gif_id]}),
        )
        .await?;
    assert_eq!(s, 201, "{voice}");
    assert_eq!(voice["media"][0]["description"], "A leaf");
    run.stop().await
}

async fn uploads_nobody_attaches_are_forgotten_after_a_day(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let jpeg = |c: [u8; 3]| -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut out)
            .encode_image(&image::RgbImage::from_pixel(32, 32, image::Rgb(c)))?;
        Ok(out)
    };
    let mut photos = Vec::new();
    for c in [[200, 0, 0], [0, 200, 0], [0, 0, 200]] {
        let (s, p) = upload(&alice, jpeg(c)?, "p.jpg", "image/jpeg", None).await?;
        anyhow::ensure!(s == 201, "{s} {p}");
        photos.push(p);
    }
    let [forgotten, attached, young] = &photos[..] else {
        unreachable!()
    };
    let (s, voice) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "kept", "audience": "friends", "media_ids": [attached["id"]]}),
        )
        .await?;
    assert_eq!(s, 201, "{voice}");

    // Two of them have waited 25 hours; one of those is attached to a post.
    use enishi_db::entity::media;
    let day_ago = chrono::Utc::now() - chrono::Duration::hours(25);
    for p in [forgotten, attached] {
        media::Entity::update_many()
            .col_expr(media::Column::CreatedAt, Expr::value(day_ago))
            .filter(media::Column::PublicId.eq(p["id"].as_str().unwrap_or_default()))
            .exec(&run.db.conn)
            .await?;
    }
    age_files(&run)?;
    let before = stored_files(&run);
    let report = prune(&run).await?;
    assert_eq!(report.unattached, 1, "{report:?}");
    assert_eq!(
        report.deleted_files, 2,
        "original and thumbnail: {report:?}"
    );

    let gone = key_of(forgotten["url"].as_str().unwrap_or_default());
    for url in ["url", "preview_url"] {
        assert_eq!(
            fetch(forgotten[url].as_str().unwrap_or_default()).await?.0,
            404
        );
    }
    let after = stored_files(&run);
    assert!(after.iter().all(|f| !f.starts_with(&gone)), "{after:?}");
    assert_eq!(after.len(), before.len() - 2, "{before:?} → {after:?}");
    // The forgotten upload can no longer be attached either.
    let (s, body) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "late", "audience": "public", "media_ids": [forgotten["id"]]}),
        )
        .await?;
    assert_eq!(
        (s.as_u16(), body["error"].as_str()),
        (409, Some("media_unknown")),
        "{body}"
    );

    // The attached photo is served to its owner; the young upload is still there to attach.
    let mine = alice
        .api
        .get(&format!(
            "/api/v1/voices/{}",
            voice["id"].as_str().unwrap_or_default()
        ))
        .await?;
    assert_eq!(mine.0, 200);
    assert_eq!(mine.1["media"][0]["id"], attached["id"]);
    assert_eq!(
        fetch(mine.1["media"][0]["url"].as_str().unwrap_or_default())
            .await?
            .0,
        200
    );
    let (s, voice) = alice
        .api
        .post(
            "/api/v1/voices",
            json!({"text": "young", "audience": "public", "media_ids": [young["id"]]}),
        )
        .await?;
    assert_eq!(s, 201, "{voice}");
    run.stop().await
}

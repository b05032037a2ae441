//! Photos from the diary and voice forms, sent as a browser sends a form with file inputs
//! (`multipart/form-data`): a diary with two photos (kept across its preview), an edit that
//! removes, reorders, re-describes and adds, and the voice composer's photo. What the forms
//! refuse is in `photo_refusals.rs`.

use crate::common::{befriend, instance, member};
use crate::{id_in, logged_in};
use enishi_testkit::TestDb;
use enishi_testkit::web::{Answer, FilePart};
use serde_json::Value;

pub(crate) const GPS_PHOTO: &[u8] = include_bytes!("../assets/gps_photo.jpg");

/// A PNG of `w`×`h` pixels: one colour, or noise (which does not compress, for large files).
pub(crate) fn png(w: u32, h: u32, noise: bool) -> Vec<u8> {
    let mut seed: u32 = 0x2545_f491;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        if noise {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [a, b, c, _] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        } else {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("a PNG encodes");
    out.into_inner()
}

pub(crate) fn file<'a>(field: &'a str, file_name: &'a str, bytes: &'a [u8]) -> FilePart<'a> {
    let content_type = if file_name.ends_with(".png") {
        "image/png"
    } else if file_name.ends_with(".svg") {
        "image/svg+xml"
    } else {
        "image/jpeg"
    };
    FilePart {
        field,
        file_name,
        content_type,
        bytes,
    }
}

/// The values of the inputs named `photo-N-{what}` in a form, in order.
pub(crate) fn held(html: &str, what: &str) -> Vec<String> {
    (0..10)
        .filter_map(|n| {
            let marker = format!("name=\"photo-{n}-{what}\" value=\"");
            let at = html.find(&marker)? + marker.len();
            Some(html[at..].split('"').next()?.to_owned())
        })
        .collect()
}

/// The `/media/…` URLs of the images in a page, in order.
pub(crate) fn image_paths(html: &str) -> Vec<String> {
    html.split("src=\"/media/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| format!("/media/{s}"))
        .collect()
}

/// The alt texts of a post's photos, from the API.
pub(crate) fn alts(post: &Value) -> Vec<String> {
    post["media"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["description"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn status_of(base: &str, path: &str) -> anyhow::Result<u16> {
    Ok(reqwest::get(format!("{base}{path}"))
        .await?
        .status()
        .as_u16())
}

/// Fails unless `a` is the form shown again with `status` and an alert containing `needle`.
pub(crate) fn shows_error(a: &Answer, status: u16, needle: &str) {
    assert_eq!(a.status, status, "{needle}: {}", a.html);
    let alert = a
        .html
        .split("role=\"alert\">")
        .skip(1)
        .any(|s| s.split("</p>").next().is_some_and(|m| m.contains(needle)));
    assert!(alert, "no alert saying {needle:?}: {}", a.html);
    assert!(
        a.html.contains("enctype=\"multipart/form-data\""),
        "the form again"
    );
}

pub async fn a_diary_carries_photos_from_its_form(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    befriend(&alice, &bob).await?;
    let a = logged_in(&run.base_url, "alice").await?;
    let b = logged_in(&run.base_url, "bob").await?;

    let form = a.get("/diaries/new").await?;
    assert_eq!(form.status, 200);
    let html = &form.html;
    let start = html.find("action=\"/diaries\"").expect("the diary form");
    let first_input = &html[start..][html[start..].find("<input").unwrap()..];
    assert!(
        first_input.starts_with("<input type=\"hidden\" name=\"csrf\""),
        "the token is the form's first field: {first_input:.80}"
    );
    assert!(html.contains("action=\"/diaries\" enctype=\"multipart/form-data\""));
    for n in 0..3 {
        assert!(
            html.contains(&format!(
                "type=\"file\" name=\"file-{n}\" accept=\"image/jpeg,image/png,image/webp,image/gif\""
            )),
            "file input {n}: {html}"
        );
        assert!(html.contains(&format!("name=\"file-{n}-alt\"")));
    }
    assert!(!html.contains("name=\"file-3\""), "a diary takes three");

    // A preview uploads the files and carries them as ids, shown as thumbnails.
    let harbour = png(640, 480, false);
    let fields = [
        ("title", "Photos of the trip"),
        ("body", "The tram and the harbour."),
        ("audience", "friends"),
        ("file-0-alt", "A red tram"),
        ("file-1-alt", "The harbour at dusk"),
    ];
    let mut previewed = fields.to_vec();
    previewed.push(("preview", "1"));
    let p = a
        .post_multipart(
            "/diaries",
            &previewed,
            &[
                file("file-0", "tram.jpg", GPS_PHOTO),
                file("file-1", "harbour.png", &harbour),
            ],
        )
        .await?;
    assert_eq!(p.status, 200, "{}", p.html);
    let ids = held(&p.html, "id");
    assert_eq!(ids.len(), 2, "both photos are held: {}", p.html);
    assert_eq!(held(&p.html, "alt"), ["A red tram", "The harbour at dusk"]);
    assert_eq!(image_paths(&p.html).len(), 2, "as thumbnails");
    assert!(
        p.html.contains("value=\"Photos of the trip\""),
        "the fields are kept"
    );
    assert!(
        !p.html.contains("name=\"file-1\""),
        "one slot left for a third photo: {}",
        p.html
    );
    let list = alice.api.ok("/api/v1/users/alice/diaries").await?;
    assert_eq!(
        list["items"],
        serde_json::json!([]),
        "a preview writes no diary"
    );

    // Saving sends the held ids back, without the files.
    let mut saved = fields[..3].to_vec();
    let held_fields: Vec<(String, String)> = ids
        .iter()
        .enumerate()
        .flat_map(|(n, id)| {
            [
                (format!("photo-{n}-id"), id.clone()),
                (format!("photo-{n}-alt"), held(&p.html, "alt")[n].clone()),
                (format!("photo-{n}-position"), (n + 1).to_string()),
            ]
        })
        .collect();
    saved.extend(held_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = a.post_multipart("/diaries", &saved, &[]).await?;
    assert_eq!(r.status, 303, "{}", r.html);
    let id = id_in(r.location.as_deref(), "diaries");
    let path = format!("/diaries/{id}");

    let page = b.get(&path).await?;
    assert_eq!(page.status, 200);
    for alt in ["A red tram", "The harbour at dusk"] {
        assert!(
            page.html.contains(&format!("alt=\"{alt}\"")),
            "the friend sees {alt:?}: {}",
            page.html
        );
    }
    let images = image_paths(&page.html);
    assert_eq!(images.len(), 2, "{}", page.html);
    for img in &images {
        assert_eq!(status_of(&run.base_url, img).await?, 200, "{img}");
        let original = img.replace("/small.", "/original.");
        assert_eq!(status_of(&run.base_url, &original).await?, 200);
    }
    let d = alice.api.ok(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(alts(&d), ["A red tram", "The harbour at dusk"], "{d}");

    // The edit form holds them; an edit removes the tram, re-describes the harbour and adds a
    // lighthouse.
    let edit = a.get(&format!("{path}/edit")).await?;
    assert_eq!(held(&edit.html, "id"), ids, "{}", edit.html);
    assert!(edit.html.contains("name=\"photo-0-remove\""));
    assert!(edit.html.contains("name=\"photo-1-position\""));
    assert!(edit.html.contains("name=\"file-0\"") && !edit.html.contains("name=\"file-1\""));
    let lighthouse = png(300, 500, false);
    let r = a
        .post_multipart(
            &format!("{path}/edit"),
            &[
                ("title", "Photos of the trip"),
                ("body", "The harbour."),
                ("audience", "friends"),
                ("photo-0-id", &ids[0]),
                ("photo-0-alt", "A red tram"),
                ("photo-0-position", "1"),
                ("photo-0-remove", "1"),
                ("photo-1-id", &ids[1]),
                ("photo-1-alt", "Harbour, evening"),
                ("photo-1-position", "2"),
                ("file-0-alt", "A lighthouse"),
            ],
            &[file("file-0", "lighthouse.png", &lighthouse)],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.html);
    let d = alice.api.ok(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(alts(&d), ["Harbour, evening", "A lighthouse"], "{d}");
    let tram = images[0].clone();
    assert_eq!(
        status_of(&run.base_url, &tram).await?,
        404,
        "the removed photo's URL is dead"
    );
    let page = b.get(&path).await?;
    assert!(page.html.contains("alt=\"Harbour, evening\"") && !page.html.contains("A red tram"));

    // Reordering by the position numbers.
    let edit = a.get(&format!("{path}/edit")).await?;
    let now = held(&edit.html, "id");
    let r = a
        .post_multipart(
            &format!("{path}/edit"),
            &[
                ("title", "Photos of the trip"),
                ("body", "The harbour."),
                ("audience", "friends"),
                ("photo-0-id", &now[0]),
                ("photo-0-alt", "Harbour, evening"),
                ("photo-0-position", "2"),
                ("photo-1-id", &now[1]),
                ("photo-1-alt", "A lighthouse"),
                ("photo-1-position", "1"),
            ],
            &[],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.html);
    let d = alice.api.ok(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(alts(&d), ["A lighthouse", "Harbour, evening"], "{d}");

    // A plain urlencoded edit (no photo fields) leaves the photos as they are.
    let r = a
        .post(
            &format!("{path}/edit"),
            &[
                ("title", "Photos of the trip"),
                ("body", "Text only."),
                ("audience", "friends"),
            ],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.html);
    let d = alice.api.ok(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(d["body"], "Text only.");
    assert_eq!(alts(&d), ["A lighthouse", "Harbour, evening"], "{d}");

    // Another member cannot make a diary of alice's held photo: it is not theirs.
    let r = b
        .post_multipart(
            "/diaries",
            &[
                ("title", "Borrowed"),
                ("body", "x"),
                ("audience", "public"),
                ("photo-0-id", &now[0]),
            ],
            &[],
        )
        .await?;
    shows_error(&r, 422, "no longer there");
    assert!(!r.html.contains(&now[0]), "nothing of alice's photo shows");

    // The voice composer takes one photo.
    let home = a.get("/").await?;
    assert!(
        home.html
            .contains("action=\"/voices\" enctype=\"multipart/form-data\"")
            && home.html.contains("name=\"file-0\"")
            && !home.html.contains("name=\"file-1\""),
        "{}",
        home.html
    );
    let r = a
        .post_multipart(
            "/voices",
            &[
                ("text", "Lunch"),
                ("audience", "friends"),
                ("file-0-alt", "A bowl of ramen"),
            ],
            &[file("file-0", "ramen.png", &harbour)],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.html);
    let home = b.get("/").await?;
    assert!(
        home.html.contains("alt=\"A bowl of ramen\""),
        "{}",
        home.html
    );
    run.stop().await
}

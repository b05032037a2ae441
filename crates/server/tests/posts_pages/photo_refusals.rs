//! What the photo forms refuse: bad files shown as form errors with their status (in English
//! and Japanese), too many photos, long alt text, multipart forms without their token; and the
//! body limit that lets photos through on these forms only.

use crate::common::{instance, member};
use crate::id_in;
use crate::logged_in;
use crate::photos::{GPS_PHOTO, alts, file, held, png, shows_error};
use enishi_server::{default_config, start_on_free_port};
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient;

pub async fn photo_forms_refuse_bad_files_and_forged_tokens(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    // Small enough that the test photo is too large, and large enough for a PNG or two.
    config.media.limits.max_bytes = 200 * 1024;
    let run = start_on_free_port(config).await?;
    let alice = member(&run, "alice").await?;
    let a = logged_in(&run.base_url, "alice").await?;
    let small = png(64, 64, false);
    let fields = [
        ("title", "Bad files"),
        ("body", "x"),
        ("audience", "public"),
    ];
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;

    // The token: missing, wrong, or not the first field.
    let token = a.csrf_token().unwrap_or_default();
    let files = [file("file-0", "small.png", &small)];
    let r = a.post_multipart_raw("/diaries", &fields, &files).await?;
    assert_eq!(r.status, 403, "no token");
    let mut wrong = vec![("csrf", "0123456789abcdef0123456789abcdef0123")];
    wrong.extend_from_slice(&fields);
    let r = a.post_multipart_raw("/diaries", &wrong, &files).await?;
    assert_eq!(r.status, 403, "a wrong token");
    let mut late = fields.to_vec();
    late.push(("csrf", &token));
    let r = a.post_multipart_raw("/diaries", &late, &files).await?;
    assert_eq!(r.status, 403, "a token after the other fields");
    let r = a
        .post_multipart("/diaries/x/comments", &[("text", "hi")], &[])
        .await?;
    assert_eq!(r.status, 415, "multipart only where photos are taken");
    let list = alice.api.ok("/api/v1/users/alice/diaries").await?;
    assert_eq!(list["items"], serde_json::json!([]), "nothing written");

    // Bad files, each shown on the form with its status.
    let r = a
        .post_multipart("/diaries", &fields, &[file("file-0", "drawing.svg", svg)])
        .await?;
    shows_error(
        &r,
        415,
        "“drawing.svg” is not a JPEG, PNG, WebP or GIF image",
    );
    assert!(
        r.html.contains("value=\"Bad files\""),
        "the fields are kept"
    );
    let r = a
        .post_multipart("/diaries", &fields, &[file("file-0", "empty.jpg", b"")])
        .await?;
    shows_error(&r, 422, "“empty.jpg” is empty");
    let r = a
        .post_multipart(
            "/diaries",
            &fields,
            &[file("file-0", "cut.png", &small[..small.len() / 2])],
        )
        .await?;
    shows_error(&r, 422, "“cut.png” could not be read as an image");
    let r = a
        .post_multipart(
            "/diaries",
            &fields,
            &[file("file-0", "tram.jpg", GPS_PHOTO)],
        )
        .await?;
    shows_error(&r, 413, "“tram.jpg” is larger than 200 KB");
    let four: Vec<String> = (0..4).map(|n| format!("file-{n}")).collect();
    let too_many: Vec<_> = four.iter().map(|f| file(f, "small.png", &small)).collect();
    let r = a.post_multipart("/diaries", &fields, &too_many).await?;
    shows_error(&r, 422, "A diary takes at most 3 photos");
    let r = a
        .post_multipart(
            "/voices",
            &[("text", "two"), ("audience", "public")],
            &too_many[..2],
        )
        .await?;
    shows_error(&r, 422, "A voice post takes at most 1 photo");
    let long = "a".repeat(1_501);
    let r = a
        .post_multipart(
            "/diaries",
            &[
                ("title", "t"),
                ("body", "x"),
                ("audience", "public"),
                ("file-0-alt", &long),
            ],
            &files,
        )
        .await?;
    shows_error(&r, 422, "at most 1500 characters");
    let list = alice.api.ok("/api/v1/users/alice/diaries").await?;
    assert_eq!(list["items"], serde_json::json!([]), "nothing written");

    // A good photo beside a refused one is kept, and the form can be saved with it.
    let r = a
        .post_multipart(
            "/diaries",
            &[
                ("title", "Kept"),
                ("body", "x"),
                ("audience", "public"),
                ("file-0-alt", "Small"),
            ],
            &[
                file("file-0", "small.png", &small),
                file("file-1", "drawing.svg", svg),
            ],
        )
        .await?;
    shows_error(&r, 415, "drawing.svg");
    let ids = held(&r.html, "id");
    assert_eq!(ids.len(), 1, "{}", r.html);
    let r = a
        .post_multipart(
            "/diaries",
            &[
                ("title", "Kept"),
                ("body", "x"),
                ("audience", "public"),
                ("photo-0-id", &ids[0]),
                ("photo-0-alt", "Small"),
            ],
            &[],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.html);
    let id = id_in(r.location.as_deref(), "diaries");
    let d = alice.api.ok(&format!("/api/v1/diaries/{id}")).await?;
    assert_eq!(alts(&d), ["Small"]);

    // In Japanese.
    let ja = WebClient::new(&run.base_url).with_language("ja");
    ja.login("alice", "password1").await?;
    let r = ja
        .post_multipart("/diaries", &fields, &[file("file-0", "drawing.svg", svg)])
        .await?;
    shows_error(
        &r,
        415,
        "「drawing.svg」はJPEG・PNG・WebP・GIFの画像ではありません。",
    );
    run.stop().await
}

pub async fn photo_forms_take_photos_past_the_usual_body_limit(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    member(&run, "alice").await?;
    let a = logged_in(&run.base_url, "alice").await?;
    // Noise does not compress: a PNG of well over the 1 MiB that other forms may send.
    let big = png(900, 900, true);
    assert!(big.len() > 2 * 1024 * 1024, "{} bytes", big.len());
    let r = a
        .post_multipart(
            "/diaries",
            &[
                ("title", "Big"),
                ("body", "x"),
                ("audience", "public"),
                ("file-0-alt", "Noise"),
            ],
            &[file("file-0", "noise.png", &big)],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.html);
    // Anywhere else the limit stays.
    let text = "a".repeat(1024 * 1024 + 1);
    let r = a.post("/diaries/x/comments", &[("text", &text)]).await?;
    assert_eq!(r.status, 413);
    run.stop().await
}

//! Photos from the pages in a real browser (issue 15): a member picks a photo in the diary
//! form's file input, describes it, previews (the photo is uploaded and held by the form),
//! saves, and the diary's page shows the image, loaded, with its description as `alt`. The
//! form with its held photo and the diary's page pass axe-core.

use super::flows::{ensure_text, look, sign_up, start, submit};
use enishi_federation_tests::browser::{Browser, BrowserOptions, Driver};
use enishi_federation_tests::cluster::TEST_PHOTO;
use enishi_testkit::TestDb;
use serde_json::json;

/// The first image matching `css`, made to load now (thumbnails load lazily) and scrolled
/// into view; its pixel width once loaded (0 if it failed) and its `alt`.
async fn loaded_image(b: &Browser, css: &str) -> anyhow::Result<(u64, String)> {
    let answer = b
        .execute_async(
            "const [css, done] = arguments;
             const img = document.querySelector(css);
             if (!img) { done(null); return; }
             img.loading = 'eager';
             img.scrollIntoView();
             const report = () => done([img.naturalWidth, img.alt]);
             if (img.complete) { report(); } else {
               img.addEventListener('load', report);
               img.addEventListener('error', report);
             }",
            vec![json!(css)],
        )
        .await?;
    let width = answer[0].as_u64();
    let alt = answer[1].as_str();
    match (width, alt) {
        (Some(w), Some(a)) => Ok((w, a.to_owned())),
        _ => anyhow::bail!("no image matches {css:?}: {answer}"),
    }
}

pub async fn a_photo_picked_in_the_diary_form_shows_on_the_diary(t: TestDb) -> anyhow::Result<()> {
    let db = t.kind.name();
    let shot = |page: &str| Some(format!("{page}-{db}"));
    let node = start(t.kind).await?;
    let base = node.run.base_url.clone();
    let invite = enishi_db::invites::create(&node.run.db, None, 5, None).await?;
    let photo = t.dir.join("tram.jpg");
    std::fs::write(&photo, TEST_PHOTO)?;
    let driver = Driver::start().await?;
    let aiko = driver.browser(BrowserOptions::default()).await?;
    sign_up(&aiko, &base, Some(&invite.code), "aiko").await?;

    aiko.goto(&format!("{base}/diaries/new")).await?;
    let title = "The tram in the rain";
    let alt = "A red tram at a stop, rain on its windows";
    aiko.fill("title", title).await?;
    aiko.fill("body", "Caught the last one home.").await?;
    aiko.fill("audience", "friends").await?;
    aiko.attach("file-0", &photo).await?;
    aiko.fill("file-0-alt", alt).await?;

    // The preview uploads it: the form comes back holding the photo as a thumbnail.
    aiko.click(r#"form[action="/diaries"] button[name=preview]"#)
        .await?;
    ensure_text(&aiko, &["Preview", "Remove photo 1"]).await?;
    let (width, held_alt) = loaded_image(&aiko, ".held-photo img").await?;
    anyhow::ensure!(width > 0, "the held thumbnail did not load");
    anyhow::ensure!(held_alt == alt, "the thumbnail's alt: {held_alt:?}");
    look(&aiko, shot("diary-form-photo")).await?;

    aiko.click(&submit("/diaries")).await?;
    let url = aiko.current_url().await?;
    anyhow::ensure!(
        url.path().starts_with("/diaries/"),
        "saving the diary led to {url}"
    );
    ensure_text(&aiko, &[title]).await?;
    let (width, shown_alt) = loaded_image(&aiko, ".photos img").await?;
    anyhow::ensure!(width > 0, "the diary's photo did not load");
    anyhow::ensure!(shown_alt == alt, "the photo's alt: {shown_alt:?}");
    look(&aiko, shot("diary-photo")).await?;

    aiko.close().await?;
    node.stop().await
}

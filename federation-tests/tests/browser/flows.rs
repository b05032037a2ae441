//! What a person does on the pages, step by step: sign up, log in, write, comment, like, and
//! look at a page (a screenshot, axe-core and the attacker-script check). Every step goes
//! through the pages' own forms, found by their `action` and field names.

use enishi_federation_tests::browser::Browser;
use enishi_federation_tests::cluster::{Node, PATIENCE};
use std::time::{Duration, Instant};

/// Every member's password in these scenarios.
pub const PASSWORD: &str = "password1";

/// The submit button of the form sent to `action`.
pub fn submit(action: &str) -> String {
    format!(r#"form[action="{action}"] button[type=submit]"#)
}

/// The submit button of the first form whose action ends with `suffix`.
pub fn submit_ending(suffix: &str) -> String {
    format!(r#"form[action$="{suffix}"] button[type=submit]"#)
}

/// Starts an instance for browsers: the login limits of one address are raised, since every
/// browser of a scenario signs up and logs in from 127.0.0.1 within seconds.
pub async fn start(kind: enishi_testkit::DbKind) -> anyhow::Result<Node> {
    Node::start_with(kind, 0, |c| {
        c.access.login_per_address = (1000, Duration::from_millis(10));
    })
    .await
}

/// The path (and query) of the browser's page.
pub async fn path(b: &Browser) -> anyhow::Result<String> {
    let url = b.current_url().await?;
    Ok(match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    })
}

/// Fails unless the browser is on `expected` (a path).
pub async fn ensure_at(b: &Browser, expected: &str) -> anyhow::Result<()> {
    let at = path(b).await?;
    anyhow::ensure!(at == expected, "expected to be on {expected}, but on {at}");
    Ok(())
}

/// Fails unless the site bar names the logged-in member `name`.
async fn ensure_logged_in(b: &Browser, name: &str) -> anyhow::Result<()> {
    let bar = b.text_of("header.site .bar").await?;
    anyhow::ensure!(
        bar.contains(&format!("@{name}")),
        "logged in as {name}: the site bar says {bar:?}"
    );
    Ok(())
}

/// Signs up as `name` through `/signup`, with an invite code when given; lands on home.
pub async fn sign_up(
    b: &Browser,
    base: &str,
    invite: Option<&str>,
    name: &str,
) -> anyhow::Result<()> {
    b.goto(&format!("{base}/signup")).await?;
    if let Some(code) = invite {
        b.fill("invite", code).await?;
    }
    b.fill("username", name).await?;
    b.fill("password", PASSWORD).await?;
    b.click(&submit("/signup")).await?;
    ensure_at(b, "/").await?;
    ensure_logged_in(b, name).await
}

/// Logs in as `name` through `/login`; lands on home.
pub async fn log_in(b: &Browser, base: &str, name: &str) -> anyhow::Result<()> {
    b.goto(&format!("{base}/login")).await?;
    b.fill("username", name).await?;
    b.fill("password", PASSWORD).await?;
    b.click(&submit("/login")).await?;
    ensure_at(b, "/").await?;
    ensure_logged_in(b, name).await
}

/// Writes a diary through `/diaries/new`; returns its page's address.
pub async fn write_diary(
    b: &Browser,
    base: &str,
    title: &str,
    body: &str,
    audience: &str,
) -> anyhow::Result<String> {
    b.goto(&format!("{base}/diaries/new")).await?;
    b.fill("title", title).await?;
    b.fill("body", body).await?;
    b.fill("audience", audience).await?;
    // The form's first button saves (the second previews).
    b.click(&submit("/diaries")).await?;
    let url = b.current_url().await?;
    anyhow::ensure!(
        url.path().starts_with("/diaries/"),
        "saving the diary led to {url}"
    );
    let heading = b.text_of("#post-title").await?;
    anyhow::ensure!(heading == title, "the diary page's heading: {heading:?}");
    Ok(url.to_string())
}

/// Posts a voice through the home page's composer.
pub async fn write_voice(
    b: &Browser,
    base: &str,
    text: &str,
    audience: &str,
) -> anyhow::Result<()> {
    b.goto(&format!("{base}/")).await?;
    b.fill("text", text).await?;
    b.fill("audience", audience).await?;
    b.click(&submit("/voices")).await?;
    ensure_at(b, "/").await
}

/// Comments on the post whose page the browser shows.
pub async fn comment(b: &Browser, text: &str) -> anyhow::Result<()> {
    let page = path(b).await?;
    b.fill("text", text).await?;
    b.click(&submit_ending("/comments")).await?;
    ensure_at(b, &page).await
}

/// Gives イイネ! to the post whose page the browser shows.
pub async fn like(b: &Browser) -> anyhow::Result<()> {
    let page = path(b).await?;
    b.click(&submit_ending("/like")).await?;
    ensure_at(b, &page).await?;
    // The button now takes the イイネ! back.
    b.text_of(&submit_ending("/unlike")).await.map(drop)
}

/// The page's HTML as the browser holds it.
pub async fn source(b: &Browser) -> anyhow::Result<String> {
    Ok(b.client().source().await?)
}

/// Opens `url`, reloading until its text contains `needle` (federation delivers
/// asynchronously); fails after [`PATIENCE`].
pub async fn wait_for_text(b: &Browser, url: &str, needle: &str) -> anyhow::Result<()> {
    let start = Instant::now();
    loop {
        b.goto(url).await?;
        if b.text().await?.contains(needle) {
            return Ok(());
        }
        anyhow::ensure!(
            start.elapsed() < PATIENCE,
            "{needle:?} never showed on {url} within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Opens `url` and fails if any of `secrets` is in its text or its HTML.
pub async fn ensure_no_trace(b: &Browser, url: &str, secrets: &[&str]) -> anyhow::Result<()> {
    b.goto(url).await?;
    let (text, html) = (b.text().await?, source(b).await?);
    for secret in secrets {
        anyhow::ensure!(
            !text.contains(secret) && !html.contains(secret),
            "{secret:?} shows on {url}"
        );
    }
    Ok(())
}

/// Fails unless the page's text contains every one of `needles`.
pub async fn ensure_text(b: &Browser, needles: &[&str]) -> anyhow::Result<()> {
    let text = b.text().await?;
    for needle in needles {
        if !text.contains(needle) {
            let at = path(b).await?;
            anyhow::bail!("{needle:?} is not on {at}; the page says:\n{text}");
        }
    }
    Ok(())
}

/// Looks at the page as a checker would: no attacker script ran, axe-core finds no serious
/// or critical violation, and, when `shot` names it, a screenshot is kept as an artifact.
pub async fn look(b: &Browser, shot: Option<String>) -> anyhow::Result<()> {
    b.assert_no_script_ran().await?;
    if let Some(name) = shot {
        b.screenshot(&name).await?;
    }
    b.assert_accessible().await
}

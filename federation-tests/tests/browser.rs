//! The web UI in a real browser (issue 13): Debian's Chromium, headless and phone-sized,
//! driven over WebDriver. The home page shows the instance to a visitor, passes axe-core's
//! serious and critical rules, and its Content-Security-Policy stops injected script. The
//! harness itself is checked on pages of the test's own: scripts it runs work under a strict
//! policy, attacker script that did run is caught, and each browser is a person of its own
//! (cookies, language).
//!
//! The scenarios of issue 13 (in `browser/scenarios.rs`, on SQLite and PostgreSQL) have people
//! sign up, befriend each other on one instance and across two, write, comment, like and
//! introduce through the pages, and check what others see, that attacker script never runs,
//! that a Japanese browser gets Japanese pages, and that the main pages pass axe-core; they
//! leave phone-sized screenshots in `target/browser-artifacts/`. A newcomer logs in from a
//! Mastodon web app through the login and approval pages (issue 18, `browser/apps.rs`).

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use enishi_federation_tests::browser::{Browser, BrowserOptions, Driver, SCRIPT_PAYLOADS};
use enishi_federation_tests::cluster::Node;
use enishi_testkit::TestDb;
use serde_json::json;
use std::collections::HashMap;

#[path = "browser/apps.rs"]
mod apps;
#[path = "browser/flows.rs"]
mod flows;
#[path = "browser/photos.rs"]
mod photos;
#[path = "browser/scenarios.rs"]
mod scenarios;

use apps::a_newcomer_logs_in_from_a_mastodon_web_app;
use photos::a_photo_picked_in_the_diary_form_shows_on_the_diary;
use scenarios::{
    a_friend_on_another_instance_sees_a_friends_only_diary, a_japanese_browser_gets_japanese_pages,
    an_introduction_is_written_shown_and_hidden, friends_share_a_diary_nobody_else_sees,
    script_in_posts_comments_and_names_does_not_run,
};

enishi_testkit::main!(db: [
    the_home_page_shows_the_instance_to_a_visitor,
    friends_share_a_diary_nobody_else_sees,
    an_introduction_is_written_shown_and_hidden,
    a_friend_on_another_instance_sees_a_friends_only_diary,
    script_in_posts_comments_and_names_does_not_run,
    a_japanese_browser_gets_japanese_pages,
    a_photo_picked_in_the_diary_form_shows_on_the_diary,
    a_newcomer_logs_in_from_a_mastodon_web_app,
], plain: [
    a_strict_policy_stops_planted_script_and_the_harness_still_works,
    script_that_ran_is_caught,
    each_browser_is_a_person_of_its_own,
    forms_are_filled_and_sent,
]);

const NAME: &str = "Browser Test Town";

async fn the_home_page_shows_the_instance_to_a_visitor(t: TestDb) -> anyhow::Result<()> {
    let node = Node::start_with(t.kind, 0, |c| c.instance.name = NAME.to_owned()).await?;
    let driver = Driver::start().await?;
    let visitor = driver.browser(BrowserOptions::default()).await?;

    visitor.goto(&format!("{}/", node.run.base_url)).await?;
    let h1 = visitor.text_of("h1").await?;
    anyhow::ensure!(h1 == NAME, "the home page's heading: {h1:?}");
    let width = visitor.execute("return window.innerWidth;", vec![]).await?;
    anyhow::ensure!(width == json!(390), "a phone-sized window: {width}");
    visitor
        .screenshot(&format!("home-visitor-{}.png", t.kind.name()))
        .await?;
    visitor.assert_accessible().await?;
    visitor.assert_csp_blocks_injected_script().await?;
    visitor.assert_no_script_ran().await?;

    visitor.close().await?;
    node.stop().await
}

/// The policy the pages under test will have.
const STRICT_CSP: &str = "default-src 'none'; script-src 'self'";

/// Serves `router` on a loopback port; returns `http://localhost:PORT`.
async fn serve(router: Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("http://localhost:{port}"))
}

/// A page whose body is `body` as it stands, as if the server had failed to escape it.
fn page(body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Planted</title>\
         </head><body><main><h1>Planted</h1>{body}</main></body></html>"
    )
}

/// Every payload, and an alert, planted in one page.
fn planted() -> String {
    page(&format!(
        "{}<script>alert('planted')</script>",
        SCRIPT_PAYLOADS.join("\n")
    ))
}

async fn a_strict_policy_stops_planted_script_and_the_harness_still_works() -> anyhow::Result<()> {
    let base = serve(Router::new().route(
        "/",
        get(|| async {
            (
                [(header::CONTENT_SECURITY_POLICY, STRICT_CSP)],
                Html(planted()),
            )
        }),
    ))
    .await?;
    let driver = Driver::start().await?;
    let browser = driver.browser(BrowserOptions::default()).await?;
    browser.goto(&format!("{base}/")).await?;

    browser.assert_no_script_ran().await?;
    browser.assert_csp_blocks_injected_script().await?;
    // axe is injected by WebDriver despite `script-src 'self'`, and really checks: the
    // planted images have no text alternative, a critical violation.
    let violations = browser.axe().await?;
    anyhow::ensure!(
        violations
            .iter()
            .any(|v| v.id == "image-alt" && v.impact.as_deref() == Some("critical")),
        "axe should find the planted images without alt text: {violations:#?}"
    );
    let refusal = browser
        .assert_accessible()
        .await
        .expect_err("the planted page is not accessible");
    anyhow::ensure!(
        refusal.to_string().contains("image-alt"),
        "the failure names the rule: {refusal}"
    );
    browser.close().await
}

async fn script_that_ran_is_caught() -> anyhow::Result<()> {
    let base = serve(
        Router::new()
            .route("/handler", get(|| async { Html(page(SCRIPT_PAYLOADS[0])) }))
            .route(
                "/alert",
                get(|| async { Html(page("<script>alert('planted')</script>")) }),
            )
            .route("/plain", get(|| async { Html(page("<p>nothing</p>")) })),
    )
    .await?;
    let driver = Driver::start().await?;
    let browser = driver.browser(BrowserOptions::default()).await?;

    // Without a policy the planted handler runs, and both checks say so.
    browser.goto(&format!("{base}/handler")).await?;
    let ran = browser
        .assert_no_script_ran()
        .await
        .expect_err("the handler ran");
    anyhow::ensure!(ran.to_string().contains("__enishi_pwned"), "{ran}");
    browser.goto(&format!("{base}/plain")).await?;
    browser.assert_no_script_ran().await?;
    let unblocked = browser
        .assert_csp_blocks_injected_script()
        .await
        .expect_err("no policy, nothing blocked");
    anyhow::ensure!(
        unblocked.to_string().contains("injected script ran"),
        "{unblocked}"
    );

    // A planted alert opens no dialog to hold up the page: the call is recorded and reported.
    browser.goto(&format!("{base}/alert")).await?;
    let opened = browser
        .assert_no_script_ran()
        .await
        .expect_err("the alert was called");
    anyhow::ensure!(opened.to_string().contains("alert: planted"), "{opened}");
    browser.goto(&format!("{base}/plain")).await?;
    browser.assert_no_script_ran().await?;
    browser.close().await
}

/// What the page at `url` says it got (`#got`).
async fn got(browser: &Browser, url: String) -> anyhow::Result<String> {
    browser.goto(&url).await?;
    browser.text_of("#got").await
}

async fn each_browser_is_a_person_of_its_own() -> anyhow::Result<()> {
    let header_of = |headers: &HeaderMap, name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(none)")
            .to_owned()
    };
    let base = serve(
        Router::new()
            .route(
                "/language",
                get(move |h: HeaderMap| async move {
                    Html(page(&format!(
                        "<p id=\"got\">{}</p>",
                        header_of(&h, header::ACCEPT_LANGUAGE)
                    )))
                }),
            )
            .route(
                "/cookie",
                get(move |h: HeaderMap| async move {
                    Html(page(&format!(
                        "<p id=\"got\">{}</p>",
                        header_of(&h, header::COOKIE)
                    )))
                }),
            )
            .route(
                "/set",
                get(|| async {
                    (
                        [(header::SET_COOKIE, "who=first; Path=/; HttpOnly")],
                        Html(page("<p>set</p>")),
                    )
                        .into_response()
                }),
            ),
    )
    .await?;
    let driver = Driver::start().await?;
    let first = driver.browser(BrowserOptions::default()).await?;
    let second = driver
        .browser(BrowserOptions::default().language("ja"))
        .await?;

    let got = |b, path| got(b, format!("{base}{path}"));
    let sent = got(&first, "/language").await?;
    anyhow::ensure!(
        sent == "en",
        "the default browser's Accept-Language: {sent:?}"
    );
    let sent = got(&second, "/language").await?;
    anyhow::ensure!(
        sent == "ja",
        "Accept-Language of a browser set to ja: {sent:?}"
    );
    let language = second.execute("return navigator.language;", vec![]).await?;
    anyhow::ensure!(language == json!("ja"), "navigator.language: {language}");

    first.goto(&format!("{base}/set")).await?;
    let cookie = got(&first, "/cookie").await?;
    anyhow::ensure!(
        cookie == "who=first",
        "the first browser's cookie: {cookie:?}"
    );
    let cookie = got(&second, "/cookie").await?;
    anyhow::ensure!(
        cookie == "(none)",
        "the second browser has a profile of its own: {cookie:?}"
    );

    first.close().await?;
    second.close().await
}

/// `text` with HTML's special characters escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn forms_are_filled_and_sent() -> anyhow::Result<()> {
    let form = page(
        "<form method=\"post\" action=\"/sent\">\
         <label>Title <input name=\"title\" value=\"old\"></label>\
         <label>Body <textarea name=\"body\"></textarea></label>\
         <label>Audience <select name=\"audience\"><option value=\"public\">Public</option>\
         <option value=\"friends\">Friends</option></select></label>\
         <button type=\"submit\">Post</button></form>",
    );
    let base = serve(
        Router::new()
            .route("/form", get(move || async move { Html(form) }))
            .route(
                "/sent",
                post(|axum::Form(f): axum::Form<HashMap<String, String>>| async move {
                    let field = |k: &str| escape(f.get(k).map_or("(none)", String::as_str));
                    Html(page(&format!(
                        "<p id=\"title\">{}</p><pre id=\"body\">{}</pre><p id=\"audience\">{}</p>",
                        field("title"),
                        field("body"),
                        field("audience")
                    )))
                }),
            ),
    )
    .await?;
    let driver = Driver::start().await?;
    let browser = driver.browser(BrowserOptions::default()).await?;
    browser.goto(&format!("{base}/form")).await?;

    // Typed (Japanese and markup), set directly (beyond the Basic Multilingual Plane), chosen.
    let title = "縁の日記 <b>bold</b>";
    let body = format!("{}\nsecond line 🌸", SCRIPT_PAYLOADS[0]);
    browser.fill("title", title).await?;
    browser.fill("body", &body).await?;
    browser.fill("audience", "friends").await?;
    browser.click("button[type=submit]").await?;

    let url = browser.current_url().await?;
    anyhow::ensure!(url.path() == "/sent", "the form was sent: {url}");
    let got = browser.texts_of("#title, #body, #audience").await?;
    anyhow::ensure!(
        got == [title, body.as_str(), "friends"],
        "what the server received: {got:?}"
    );
    browser.assert_no_script_ran().await?;
    browser.close().await
}

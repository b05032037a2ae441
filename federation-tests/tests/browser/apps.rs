//! A newcomer logs in from a Mastodon web app (issue 18), as Elk or Phanpy do it: the app knows
//! only the instance's address, finds the endpoints in `/.well-known/oauth-authorization-server`,
//! registers itself, and sends the member's browser to `/oauth/authorize` with PKCE. In a real
//! Chromium the member logs in on Enishi's login page, lands on the approval page (which passes
//! axe-core), approves, and the browser arrives at the app with a code the app exchanges for a
//! token that works. The app here is a page served by the test on its own port.

use super::flows::{PASSWORD, look, start, submit};
use axum::Router;
use axum::extract::Query;
use axum::response::Html;
use axum::routing::get;
use enishi_federation_tests::browser::{BrowserOptions, Driver};
use enishi_testkit::TestDb;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The codes the app's callback page received.
type Received = Arc<Mutex<Vec<String>>>;

/// Serves the app's callback page; returns its address and what it receives.
async fn app_page() -> anyhow::Result<(String, Received)> {
    let received: Received = Arc::default();
    let seen = received.clone();
    let app = Router::new().route(
        "/callback",
        get(move |Query(q): Query<HashMap<String, String>>| async move {
            if let Some(code) = q.get("code") {
                seen.lock().expect("lock").push(code.clone());
            }
            Html("<!doctype html><html lang=en><title>App</title><main><h1>Signed in</h1></main></html>")
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    // By name: the test browser resolves nothing but `localhost`.
    Ok((
        format!("http://localhost:{}/callback", addr.port()),
        received,
    ))
}

pub async fn a_newcomer_logs_in_from_a_mastodon_web_app(t: TestDb) -> anyhow::Result<()> {
    let node = start(t.kind).await?;
    let base = node.run.base_url.clone();
    node.member("aiko").await?;
    let (callback, received) = app_page().await?;
    let http = reqwest::Client::new();

    // What the app learns from the instance's address alone.
    let meta: Value = http
        .get(format!("{base}/.well-known/oauth-authorization-server"))
        .send()
        .await?
        .json()
        .await?;
    let authorize = meta["authorization_endpoint"].as_str().unwrap_or_default();
    let token_endpoint = meta["token_endpoint"].as_str().unwrap_or_default();
    anyhow::ensure!(
        meta["code_challenge_methods_supported"] == json!(["S256"]),
        "PKCE is advertised: {meta}"
    );
    let instance: Value = http
        .get(format!("{base}/api/v2/instance"))
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(
        instance["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("4.")),
        "a Mastodon version apps accept: {instance}"
    );
    let app: Value = http
        .post(format!("{base}/api/v1/apps"))
        .json(&json!({"client_name": "Web app", "redirect_uris": callback,
                      "scopes": "read write follow", "website": "https://app.example"}))
        .send()
        .await?
        .json()
        .await?;
    let client_id = app["client_id"].as_str().unwrap_or_default().to_owned();
    let verifier = "a-long-random-verifier-of-the-web-app-0123456789-abcdefghij";
    let challenge = enishi_db::oauth::pkce_challenge(verifier);
    let mut url = url::Url::parse(authorize)?;
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", "read write follow")
        .append_pair("state", "s-42")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");

    // The member, in a browser: the login page first, then the approval page.
    let driver = Driver::start().await?;
    let aiko = driver.browser(BrowserOptions::default()).await?;
    aiko.goto(url.as_str()).await?;
    let at = aiko.current_url().await?;
    anyhow::ensure!(at.path() == "/login", "not logged in: sent to {at}");
    aiko.fill("username", "aiko").await?;
    aiko.fill("password", PASSWORD).await?;
    aiko.click(&submit("/login")).await?;
    let at = aiko.current_url().await?;
    anyhow::ensure!(
        at.path() == "/oauth/authorize",
        "back to the approval page: {at}"
    );
    let page = aiko.text().await?;
    anyhow::ensure!(page.contains("Web app"), "the app is named: {page}");
    look(&aiko, Some(format!("oauth-approve-{}", t.kind.name()))).await?;
    aiko.click(r#"button[name=decision][value=approve]"#)
        .await?;

    // The browser arrives at the app with the code and the state.
    let at = aiko.current_url().await?;
    let query: HashMap<String, String> = at.query_pairs().into_owned().collect();
    anyhow::ensure!(
        at.as_str().starts_with(&callback)
            && query.get("state").map(String::as_str) == Some("s-42"),
        "arrived at the app: {at}"
    );
    let code = query.get("code").cloned().unwrap_or_default();
    let got = received.lock().expect("lock").clone();
    anyhow::ensure!(
        got == [code.clone()],
        "the app's page got the code: {got:?}"
    );
    aiko.close().await?;

    // The app exchanges it (with the verifier) and the token works.
    let secret = app["client_secret"].as_str().unwrap_or_default();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("client_id", &client_id)
        .append_pair("client_secret", secret)
        .append_pair("redirect_uri", &callback)
        .append_pair("code_verifier", verifier)
        .finish();
    // Sent as a form, as most apps send it.
    let token: Value = http
        .post(token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?
        .json()
        .await?;
    let access = token["access_token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no token: {token}"))?;
    let me: Value = http
        .get(format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(access)
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(me["username"] == "aiko", "the token is aiko's: {me}");
    node.stop().await
}

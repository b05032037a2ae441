//! Rate limits over real HTTP, on SQLite and PostgreSQL. Logins (issue 12): per client address
//! and per account, 429 with `Retry-After`, the right password refused while limited, a short
//! account lock, `X-Forwarded-For` believed only from a trusted proxy. Sign-ups, password
//! changes, posting and friend requests (issue 17), from the API and the pages; Mastodon app
//! registrations per address and searches per member (issue 18). Every refusal counted in
//! `/metrics`. (Inbound activities per host: federation-tests/tests/inbox.rs.)

mod common;

use common::{befriend, member};
use enishi_core::rate::RateSettings;
use enishi_server::{default_config, start_on_free_port};
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    logins_are_limited_per_address,
    failed_logins_lock_an_account_briefly_behind_a_trusted_proxy,
    posting_is_limited_per_member_in_the_api_and_the_pages,
    friend_requests_are_limited_per_member,
    sign_ups_and_password_changes_are_limited,
    mastodon_app_registrations_and_searches_are_limited,
]);

const TOKEN: &str = "metrics-token-for-the-tests";

/// One login attempt, optionally claiming to come from `forwarded_for`.
async fn login(
    base: &str,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> anyhow::Result<(u16, Option<u64>, Value)> {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"username": username, "password": password}));
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    Ok((status, retry, resp.json().await.unwrap_or(Value::Null)))
}

async fn refusals(base: &str, limit: &str) -> anyhow::Result<u64> {
    let text = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await?
        .text()
        .await?;
    let line = format!("enishi_rate_limited_total{{limit=\"{limit}\"}} ");
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(&line))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

async fn logins_are_limited_per_address(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.access.metrics_token = Some(TOKEN.into());
    // Ten at once, then one a minute: no refill can come during the test.
    config.access.login_per_address = (10, std::time::Duration::from_secs(60));
    let run = start_on_free_port(config).await?;
    member(&run, "alice").await?;
    let base = run.base_url.clone();
    let mut first_limited = None;
    for i in 0..30 {
        // A client cannot escape the limit by claiming other addresses: no proxy is trusted.
        let spoof = format!("198.51.100.{i}");
        let (s, retry, body) = login(&base, "alice", "wrong", Some(&spoof)).await?;
        match s {
            401 => assert!(first_limited.is_none(), "401 after being limited: {body}"),
            429 => {
                assert_eq!(body["error"], "rate_limited", "{body}");
                assert!(retry.is_some_and(|r| (1..=60).contains(&r)), "{retry:?}");
                first_limited.get_or_insert(i);
            }
            other => anyhow::bail!("attempt {i}: {other} {body}"),
        }
    }
    assert_eq!(first_limited, Some(10), "ten attempts, then 429");
    let (s, _, _) = login(&base, "alice", "password1", None).await?;
    assert_eq!(s, 429, "the right password is refused while limited");
    assert!(refusals(&base, "login_address").await? >= 21);
    run.stop().await
}

async fn failed_logins_lock_an_account_briefly_behind_a_trusted_proxy(
    t: TestDb,
) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.access.metrics_token = Some(TOKEN.into());
    config.access.trusted_proxies = vec!["127.0.0.1/32".parse()?];
    // Ten failures at once, then one every 5 s: the lock is short but outlasts the check.
    config.access.login_failures_per_account = (10, std::time::Duration::from_secs(5));
    let run = start_on_free_port(config).await?;
    member(&run, "bob").await?;
    member(&run, "carol").await?;
    let base = run.base_url.clone();
    // Each attempt comes from another client behind the proxy: no address limit applies. Ten
    // failures are allowed; the eleventh goes over and locks the account.
    for i in 0..11 {
        let (s, _, body) = login(&base, "bob", "wrong", Some(&format!("203.0.113.{i}"))).await?;
        assert_eq!(s, 401, "failure {i}: {body}");
    }
    let (s, retry, body) = login(&base, "Bob", "password1", Some("203.0.113.200")).await?;
    assert_eq!(s, 429, "bob is locked: {body}");
    let retry = retry.expect("Retry-After");
    assert!((1..=5).contains(&retry), "a short lock: {retry}");
    // Another account from the same client is not affected.
    let (s, _, body) = login(&base, "carol", "password1", Some("203.0.113.200")).await?;
    assert_eq!(s, 201, "{body}");
    assert!(refusals(&base, "login_account").await? >= 1);
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    let (s, _, body) = login(&base, "bob", "password1", Some("203.0.113.201")).await?;
    assert_eq!(s, 201, "the lock has passed: {body}");
    run.stop().await
}

/// The `Retry-After` of a refusal, checked to be whole seconds within `most`.
fn retry_within(headers: &reqwest::header::HeaderMap, most: u64) -> u64 {
    let secs: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After of whole seconds");
    assert!((1..=most).contains(&secs), "Retry-After {secs}");
    secs
}

async fn posting_is_limited_per_member_in_the_api_and_the_pages(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.access.metrics_token = Some(TOKEN.into());
    // Four posts at once, then one a minute: nothing comes back during the test.
    config.access.rate_limits = RateSettings::parse("posting=4/4m").map_err(anyhow::Error::msg)?;
    let run = start_on_free_port(config).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    befriend(&alice, &bob).await?;
    let base = run.base_url.clone();

    // Diaries, voice posts and comments share one allowance.
    let (s, diary) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "t", "body": "one", "audience": "friends"}),
        )
        .await?;
    assert_eq!(s, 201, "{diary}");
    let id = diary["id"].as_str().unwrap().to_owned();
    let (s, _) = alice
        .api
        .post("/api/v1/voices", json!({"text": "two"}))
        .await?;
    assert_eq!(s, 201);
    let (s, _) = alice
        .api
        .post(
            &format!("/api/v1/diaries/{id}/comments"),
            json!({"text": "three"}),
        )
        .await?;
    assert_eq!(s, 201);
    let (s, _) = alice
        .api
        .post("/api/v1/users/bob/introductions", json!({"text": "four"}))
        .await?;
    assert_eq!(s, 201);
    let flood = [
        ("/api/v1/diaries", json!({"title": "t", "body": "five"})),
        ("/api/v1/voices", json!({"text": "five"})),
        (
            &*format!("/api/v1/diaries/{id}/comments"),
            json!({"text": "five"}),
        ),
    ];
    for (path, body) in flood {
        let resp = reqwest::Client::new()
            .post(format!("{base}{path}"))
            .bearer_auth(alice.api.token().unwrap())
            .json(&body)
            .send()
            .await?;
        assert_eq!(resp.status().as_u16(), 429, "{path}");
        retry_within(resp.headers(), 60);
        let body: Value = resp.json().await?;
        assert_eq!(body["error"], "rate_limited", "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("posts"),
            "{body}"
        );
    }
    let (s, body) = alice
        .api
        .post("/api/v1/users/bob/introductions", json!({"text": "again"}))
        .await?;
    assert_eq!(s, 429, "{body}");
    // Nothing refused was written.
    let diaries = alice.api.ok("/api/v1/users/alice/diaries").await?;
    assert_eq!(diaries["items"].as_array().unwrap().len(), 1, "{diaries}");

    // The pages: the form comes back with what was written, 429 and Retry-After.
    let web = WebClient::new(&base);
    web.login("alice", "password1").await?;
    let a = web
        .post(
            "/diaries",
            &[
                ("title", "from the page"),
                ("body", "kept text"),
                ("audience", "friends"),
            ],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 429, "{}", a.html);
    retry_within(&a.headers, 60);
    assert!(
        a.html.contains("kept text") && a.html.contains("posting too fast"),
        "{}",
        a.html
    );
    let a = web
        .post(
            "/voices",
            &[("text", "a voice kept"), ("audience", "friends")],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 429);
    assert!(a.html.contains("a voice kept"));
    let a = web
        .post(
            &format!("/diaries/{id}/comments"),
            &[("text", "a comment kept")],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 429);
    retry_within(&a.headers, 60);
    assert!(a.html.contains("a comment kept"));

    // Another member is not affected.
    let (s, _) = bob
        .api
        .post("/api/v1/voices", json!({"text": "bob's"}))
        .await?;
    assert_eq!(s, 201);
    assert!(refusals(&base, "posting").await? >= 7);
    run.stop().await
}

async fn friend_requests_are_limited_per_member(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.access.metrics_token = Some(TOKEN.into());
    config.access.rate_limits =
        RateSettings::parse("friend_requests=3/3m").map_err(anyhow::Error::msg)?;
    let run = start_on_free_port(config).await?;
    let spammer = member(&run, "spammer").await?;
    for n in 0..5 {
        member(&run, &format!("m{n}")).await?;
    }
    for n in 0..3 {
        let (s, body) = spammer
            .api
            .post(
                "/api/v1/friends/requests",
                json!({"target": format!("m{n}")}),
            )
            .await?;
        assert_eq!(s, 201, "{body}");
    }
    let (s, body) = spammer
        .api
        .post("/api/v1/friends/requests", json!({"target": "m3"}))
        .await?;
    assert_eq!(s, 429, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("friend requests")
    );
    let web = WebClient::new(&run.base_url);
    web.login("spammer", "password1").await?;
    let a = web.post("/friends/requests", &[("target", "m4")]).await?;
    assert_eq!(a.status.as_u16(), 429, "{}", a.html);
    retry_within(&a.headers, 60);
    // The refused requests were not made.
    let outgoing = spammer
        .api
        .ok("/api/v1/friends/requests?direction=outgoing")
        .await?;
    assert_eq!(outgoing["items"].as_array().unwrap().len(), 3, "{outgoing}");
    assert!(refusals(&run.base_url, "friend_requests").await? >= 2);
    run.stop().await
}

async fn sign_ups_and_password_changes_are_limited(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.access.metrics_token = Some(TOKEN.into());
    config.instance.registration = enishi_core::RegistrationMode::Open;
    config.access.rate_limits =
        RateSettings::parse("signup=2/2m, password=2/2m").map_err(anyhow::Error::msg)?;
    let run = start_on_free_port(config).await?;
    let base = run.base_url.clone();
    for n in 0..2 {
        let web = WebClient::new(&base);
        web.get("/signup").await?;
        let name = format!("newcomer{n}");
        let a = web
            .post(
                "/signup",
                &[("username", &name), ("password", "a long password")],
            )
            .await?;
        assert_eq!(a.status.as_u16(), 303, "sign-up {n}: {}", a.html);
    }
    let web = WebClient::new(&base);
    web.get("/signup").await?;
    let a = web
        .post(
            "/signup",
            &[("username", "newcomer2"), ("password", "a long password")],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 429, "{}", a.html);
    retry_within(&a.headers, 60);
    let (s, _) = common::Api::new(&base, None)
        .get("/api/v1/users/newcomer2")
        .await?;
    assert_eq!(s, 404, "no account was made");

    member(&run, "carol").await?;
    let web = WebClient::new(&base);
    web.login("carol", "password1").await?;
    for (n, new) in ["another password", "a third password"].iter().enumerate() {
        let current = if n == 0 {
            "password1"
        } else {
            "another password"
        };
        let a = web
            .post("/settings/password", &[("current", current), ("new", new)])
            .await?;
        assert_eq!(a.status.as_u16(), 200, "change {n}: {}", a.html);
    }
    let a = web
        .post(
            "/settings/password",
            &[
                ("current", "a third password"),
                ("new", "a fourth password"),
            ],
        )
        .await?;
    assert_eq!(a.status.as_u16(), 429, "{}", a.html);
    retry_within(&a.headers, 60);
    // The refused change did not happen.
    let (s, _, _) = login(&base, "carol", "a third password", None).await?;
    assert_eq!(s, 201);
    assert!(refusals(&base, "signup").await? >= 1);
    assert!(refusals(&base, "password").await? >= 1);
    run.stop().await
}

async fn mastodon_app_registrations_and_searches_are_limited(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.access.metrics_token = Some(TOKEN.into());
    config.access.rate_limits =
        RateSettings::parse("apps=2/1h, search=3/5m").map_err(anyhow::Error::msg)?;
    let run = start_on_free_port(config).await?;
    let base = run.base_url.clone();
    let http = reqwest::Client::new();
    let register = || {
        http.post(format!("{base}/api/v1/apps"))
            .json(&json!({"client_name": "app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(register().await?.status(), 200);
    }
    let refused = register().await?;
    assert_eq!(refused.status(), 429);
    retry_within(refused.headers(), 3600);
    let body: Value = refused.json().await?;
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("app registrations"),
        "Mastodon's error shape, naming the limit: {body}"
    );

    let seeker = member(&run, "seeker").await?;
    for _ in 0..3 {
        let (s, body) = seeker.api.get("/api/v2/search?q=someone").await?;
        assert_eq!(s, 200, "{body}");
    }
    let (s, body) = seeker.api.get("/api/v1/accounts/search?q=someone").await?;
    assert_eq!(s, 429, "{body}");
    // Another member has their own allowance.
    let other = member(&run, "other").await?;
    let (s, body) = other.api.get("/api/v2/search?q=someone").await?;
    assert_eq!(s, 200, "{body}");
    assert!(refusals(&base, "apps").await? >= 1);
    assert!(refusals(&base, "search").await? >= 1);
    run.stop().await
}

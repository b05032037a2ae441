//! Login rate limits (issue 12, item 2) over real HTTP, on SQLite and PostgreSQL: per client
//! address and per account, 429 with `Retry-After`, the right password refused while limited,
//! a short account lock, `X-Forwarded-For` believed only from a trusted proxy, and the refusals
//! counted in `/metrics`.

mod common;

use common::member;
use enishi_server::{default_config, start_on_free_port};
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    logins_are_limited_per_address,
    failed_logins_lock_an_account_briefly_behind_a_trusted_proxy,
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

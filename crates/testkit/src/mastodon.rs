//! Mastodon apps in tests: a member's token from the password grant of a registered app, as an
//! app holds it once its member has logged in. The API tests, the leak hunt and the client
//! library flows all ask for tokens this one way, so that a change to the grant shows in one
//! place.

use serde_json::{Value, json};

/// The password the tests give every member they make.
pub const PASSWORD: &str = "password1";

/// Registers an app named `name` asking for `scopes`, with the out-of-band redirect; returns
/// `(client_id, client_secret)`.
pub async fn register_app(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    scopes: &str,
) -> anyhow::Result<(String, String)> {
    let r = http
        .post(format!("{base}/api/v1/apps"))
        .json(
            &json!({"client_name": name, "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                      "scopes": scopes}),
        )
        .send()
        .await?;
    let status = r.status();
    let app: Value = r.json().await?;
    let field = |k: &str| app[k].as_str().map(str::to_owned);
    match (status.as_u16(), field("client_id"), field("client_secret")) {
        (200, Some(id), Some(secret)) => Ok((id, secret)),
        _ => anyhow::bail!("registering {name}: {status} {app}"),
    }
}

/// `username`'s token for `app` (`(client_id, client_secret)`) with `scope`, by the password
/// grant. The answer must be Mastodon's, which apps rely on: 200, the granted scopes echoed,
/// and no expiry (apps do not refresh).
pub async fn password_token(
    http: &reqwest::Client,
    base: &str,
    app: &(String, String),
    username: &str,
    scope: &str,
) -> anyhow::Result<String> {
    let r = http
        .post(format!("{base}/oauth/token"))
        .json(
            &json!({"grant_type": "password", "client_id": app.0, "client_secret": app.1,
                      "username": username, "password": PASSWORD, "scope": scope}),
        )
        .send()
        .await?;
    let status = r.status();
    let t: Value = r.json().await?;
    anyhow::ensure!(status == 200, "token for {username}: {status} {t}");
    anyhow::ensure!(t["scope"] == scope, "the granted scopes are echoed: {t}");
    anyhow::ensure!(t.get("expires_in").is_none(), "no expiry: {t}");
    t["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no token for {username}: {t}"))
}

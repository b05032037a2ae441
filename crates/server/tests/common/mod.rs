//! Helpers shared by the server's integration tests: an in-process instance, members with
//! tokens, and a small JSON API client.
#![allow(dead_code)] // each test target uses a different part

pub mod media;
pub mod process;

use enishi_apub::keys::generate_actor_keys;
use enishi_db::accounts::{self, NewMember};
use enishi_server::{Running, default_config, start_on_free_port};
use enishi_testkit::TestDb;
pub use enishi_testkit::api::Api;
use serde_json::Value;

/// Starts an instance on the test's database.
pub async fn instance(t: &TestDb) -> anyhow::Result<Running> {
    start_on_free_port(default_config(&t.url, &t.dir)).await
}

/// A member and an API client logged in as them.
pub struct Member {
    /// Username.
    pub name: String,
    /// Actor id in the database.
    pub actor_id: i64,
    /// Client with the member's token.
    pub api: Api,
}

/// Creates a member directly in the database and gives them a token.
pub async fn member(run: &Running, name: &str) -> anyhow::Result<Member> {
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let m = accounts::create(
        &run.db,
        &run.config.instance,
        NewMember {
            username: name,
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?;
    let token = enishi_db::tokens::create(&run.db, m.account_id, "test").await?;
    Ok(Member {
        name: name.to_owned(),
        actor_id: m.actor.id.0,
        api: Api::new(&run.base_url, Some(token)),
    })
}

/// The `field` of each item of a list response.
pub fn items(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i[field].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Makes two members friends through the API (request, then accept).
pub async fn befriend(a: &Member, b: &Member) -> anyhow::Result<()> {
    let (s, body) = a
        .api
        .post(
            "/api/v1/friends/requests",
            serde_json::json!({ "target": b.name }),
        )
        .await?;
    anyhow::ensure!(s == 201, "request {} → {}: {s} {body}", a.name, b.name);
    if body["status"] == "friends" {
        return Ok(());
    }
    let incoming = b
        .api
        .ok("/api/v1/friends/requests?direction=incoming")
        .await?;
    let id = incoming["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from"]["handle"] == a.name.as_str())
        .map(|r| r["id"].as_i64().unwrap())
        .ok_or_else(|| anyhow::anyhow!("no request from {} in {incoming}", a.name))?;
    let (s, body) = b
        .api
        .post_empty(&format!("/api/v1/friends/requests/{id}/accept"))
        .await?;
    anyhow::ensure!(s == 200, "accept: {s} {body}");
    Ok(())
}

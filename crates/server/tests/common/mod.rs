//! Helpers shared by the server's integration tests: an in-process instance, members with
//! tokens, and a small JSON API client.
#![allow(dead_code)] // each test target uses a different part

use enishi_apub::keys::generate_actor_keys;
use enishi_db::accounts::{self, NewMember};
use enishi_server::{Running, default_config, start_on_free_port};
use enishi_testkit::TestDb;
use reqwest::StatusCode;
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

/// A JSON client for one instance, optionally with a bearer token.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    /// `http://localhost:PORT`.
    pub base: String,
    token: Option<String>,
}

impl Api {
    /// A client for `base`.
    pub fn new(base: &str, token: Option<String>) -> Self {
        Api {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token,
        }
    }

    /// The bearer token, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The same instance, anonymously.
    pub fn anonymous(&self) -> Api {
        Api::new(&self.base, None)
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    }

    /// GET.
    pub async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::POST, path, None).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// GET that must succeed; returns the body.
    pub async fn ok(&self, path: &str) -> anyhow::Result<Value> {
        let (status, body) = self.get(path).await?;
        anyhow::ensure!(status == 200, "GET {path}: {status} {body}");
        Ok(body)
    }
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

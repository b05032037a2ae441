//! Several Enishi instances in one process, each on its own database and loopback port
//! (`localhost:PORT`), driven over real HTTP through the JSON API.

use enishi_apub::keys::generate_actor_keys;
use enishi_apub::signatures::Signer;
use enishi_core::ActorId;
use enishi_db::accounts::{self, NewMember};
use enishi_server::{Running, default_config, start_on_loopback};
use enishi_testkit::api::Api;
use enishi_testkit::{DbKind, TestDb};
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

/// How long a scenario waits for something to cross between instances.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// One running instance with its database.
pub struct Node {
    /// The instance.
    pub run: Running,
    /// Its database (dropped after the instance stops).
    pub db: TestDb,
    /// An HTTP client that trusts what the instance trusts (a test CA, in https mode).
    pub http: reqwest::Client,
}

impl Node {
    /// Starts an instance on a fresh database of `kind`, with quick retries for tests.
    pub async fn start(kind: DbKind) -> anyhow::Result<Node> {
        Node::start_on(kind, 0).await
    }

    /// Starts an instance on loopback `port` (0: any free one) on a fresh database.
    pub async fn start_on(kind: DbKind, port: u16) -> anyhow::Result<Node> {
        Node::start_with(kind, port, |_| {}).await
    }

    /// Starts an instance whose configuration `tweak` adjusts first.
    pub async fn start_with(
        kind: DbKind,
        port: u16,
        tweak: impl FnOnce(&mut enishi_server::Config),
    ) -> anyhow::Result<Node> {
        let db = TestDb::create(kind).await?;
        let mut config = default_config(&db.url, &db.dir);
        config.delivery.retry_base_ms = 200;
        config.delivery.timeout_secs = 5;
        tweak(&mut config);
        let http = enishi_server::with_trusted_cas(&config, reqwest::Client::builder())?.build()?;
        let run = start_on_loopback(config, port).await?;
        Ok(Node { run, db, http })
    }

    /// `localhost:PORT`.
    pub fn domain(&self) -> &str {
        &self.run.config.instance.domain
    }

    /// Creates a member with an API token.
    pub async fn member(&self, name: &str) -> anyhow::Result<Member> {
        let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
        let m = accounts::create(
            &self.run.db,
            &self.run.config.instance,
            NewMember {
                username: name,
                password: "password1",
                is_admin: false,
                keys,
            },
        )
        .await?;
        let token = enishi_db::tokens::create(&self.run.db, m.account_id, "test").await?;
        let session =
            enishi_db::browser_sessions::create(&self.run.db, m.account_id, "test").await?;
        let pem = enishi_db::actors::private_key_pem(&self.run.db, m.actor.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{name} has no key"))?;
        Ok(Member {
            name: name.to_owned(),
            handle: format!("{name}@{}", self.domain()),
            ap_id: m.actor.ap_id.clone(),
            actor_id: m.actor.id,
            api: Api::new(&self.run.base_url, Some(token)).with_http(self.http.clone()),
            signer: Signer::from_pem(&pem, &m.actor.public_key_id)?,
            http: self.http.clone(),
            web_cookie: format!("enishi_session={session}"),
        })
    }

    /// Stops the instance and removes its database.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.run.stop().await?;
        self.db.destroy().await
    }
}

/// A member of one instance and an API client logged in as them.
pub struct Member {
    /// Username.
    pub name: String,
    /// `name@localhost:PORT`, how other instances name them.
    pub handle: String,
    /// Actor URL.
    pub ap_id: Url,
    /// Actor id in their instance's database.
    pub actor_id: ActorId,
    /// API client with the member's token.
    pub api: Api,
    /// The member's signing key, for tests that act as their server would.
    pub signer: Signer,
    /// The HTTP client for signed requests.
    pub http: reqwest::Client,
    /// A `Cookie` header value that logs a browser in as the member (a browser session).
    pub web_cookie: String,
}

/// A real phone-style photo with EXIF (GPS position, camera serial, orientation): see
/// `crates/server/tests/assets/SOURCES.md`.
pub const TEST_PHOTO: &[u8] = include_bytes!("../../crates/server/tests/assets/gps_photo.jpg");

impl Member {
    /// Uploads `bytes` as a photo with alt text `description`; returns the API's answer.
    pub async fn upload_photo(
        &self,
        bytes: &[u8],
        description: &str,
    ) -> anyhow::Result<serde_json::Value> {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec())
                    .file_name("photo.jpg")
                    .mime_str("image/jpeg")?,
            )
            .text("description", description.to_owned());
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/media", self.api.base))
            .bearer_auth(self.api.token().unwrap_or_default())
            .multipart(form)
            .send()
            .await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await?;
        anyhow::ensure!(status == 201, "upload: {status} {body}");
        Ok(body)
    }

    /// GET `url` signed with this member's key, asking for ActivityStreams.
    pub async fn signed_get(&self, url: &str) -> anyhow::Result<(u16, Value)> {
        let url = Url::parse(url)?;
        let signed = self.signer.sign_get(&url, SystemTime::now())?;
        let mut req = self
            .http
            .get(url.clone())
            .header("accept", "application/activity+json");
        for (k, v) in &signed.headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// POSTs `activity` to `inbox`, signed with this member's key.
    pub async fn signed_post(&self, inbox: &str, activity: &Value) -> anyhow::Result<(u16, Value)> {
        let url = Url::parse(inbox)?;
        let body = activity.to_string();
        let signed = self
            .signer
            .sign_post(&url, body.as_bytes(), SystemTime::now())?;
        let mut req = self.http.post(url.clone()).body(body);
        for (k, v) in &signed.headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// How this member stands with `other` (a handle).
    pub async fn relationship(&self, other: &str) -> anyhow::Result<Value> {
        self.api
            .ok(&format!("/api/v1/users/{other}/relationship"))
            .await
    }
}

/// Polls `check` until it returns `Ok(Some(_))`, or fails after [`PATIENCE`] with the last
/// state seen.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if start.elapsed() > PATIENCE {
            anyhow::bail!("gave up waiting: {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `a` asks `b` (on another instance or the same one) to be friends and `b` approves; returns
/// once both sides see the friendship.
pub async fn befriend(a: &Member, b: &Member) -> anyhow::Result<()> {
    let (s, body) = a
        .api
        .post(
            "/api/v1/friends/requests",
            json!({ "target": b.ap_id.as_str() }),
        )
        .await?;
    anyhow::ensure!(s == 201, "request {} → {}: {s} {body}", a.name, b.name);
    approve_request_from(b, a.ap_id.as_str()).await?;
    for (x, y) in [(a, b), (b, a)] {
        eventually(
            &format!("{} is friends with {}", x.name, y.name),
            || async {
                let rel = x.relationship(&y.handle).await?;
                Ok((rel["friend"] == true).then_some(()))
            },
        )
        .await?;
    }
    Ok(())
}

/// Waits until `member` has an incoming friend request from the actor `from` (an ActivityPub
/// id), and approves it.
pub async fn approve_request_from(member: &Member, from: &str) -> anyhow::Result<()> {
    let id = eventually(
        &format!("{} sees {from}'s request", member.name),
        || async {
            let incoming = member
                .api
                .ok("/api/v1/friends/requests?direction=incoming")
                .await?;
            Ok(incoming["items"].as_array().and_then(|items| {
                items
                    .iter()
                    .find(|r| r["from"]["ap_id"] == from)
                    .and_then(|r| r["id"].as_i64())
            }))
        },
    )
    .await?;
    let (s, body) = member
        .api
        .post_empty(&format!("/api/v1/friends/requests/{id}/accept"))
        .await?;
    anyhow::ensure!(s == 200, "accept: {s} {body}");
    Ok(())
}

/// The first item of `list` (an API page) whose `field` equals `value`.
pub fn find_item<'a>(list: &'a Value, field: &str, value: &str) -> Option<&'a Value> {
    list["items"]
        .as_array()?
        .iter()
        .find(|i| i[field].as_str() == Some(value))
}

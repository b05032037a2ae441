//! `receiver`: stand-in remote servers for delivery tests and benchmarks.
//!
//! One process listens on many loopback ports, each port one "host" with any number of inboxes
//! (`/inbox/{name}`). Every POST goes through the federation crate's own inbox handling
//! (`receive_activity`): the digest, the HTTP signature (with the sender's key, fetched from its
//! actor document once and cached) and the activity are verified by code we did not write.
//! Accepted activity ids are recorded per inbox and served at `GET /received` on every port.
//!
//! With `--verifier aws-lc` (for benchmarks) the signature and digest are checked with
//! Enishi's own aws-lc-rs verifier instead, which costs a tenth of the crate's `rsa` code: the
//! receivers share the machine with the sender, and the benchmark measures the sender.
//!
//! Usage: `receiver --ports N [--verifier crate|aws-lc] [--behaviour PORT_INDEX=fail|slow:MS ...]
//! [--ca PEM]`; prints one line `listening PORT PORT …` when ready. With `--ca`, senders' actor
//! documents are fetched trusting that CA too (senders serving https with a test CA).

use activitypub_federation::axum::inbox::{ActivityData, receive_activity};
use activitypub_federation::config::{Data, FederationConfig, FederationMiddleware};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::traits::{Activity, Actor, Object};
use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// What the receiver has seen.
#[derive(Clone, Default)]
struct Shared {
    /// `host:port/inbox/name` → accepted activity ids, in arrival order.
    received: Arc<Mutex<BTreeMap<String, Vec<String>>>>,
    /// Requests refused by verification.
    refused: Arc<Mutex<u64>>,
    /// Arrival time of each accepted delivery (Unix microseconds).
    arrivals: Arc<Mutex<Vec<u128>>>,
    /// Sender actors, by id.
    actors: Arc<Mutex<HashMap<Url, Sender>>>,
    /// Held while a sender's actor document is fetched (fast verifier only).
    fetching: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ReceiverError(String);

impl From<activitypub_federation::error::Error> for ReceiverError {
    fn from(e: activitypub_federation::error::Error) -> Self {
        ReceiverError(e.to_string())
    }
}

impl IntoResponse for ReceiverError {
    fn into_response(self) -> axum::response::Response {
        (StatusCode::UNAUTHORIZED, self.0).into_response()
    }
}

/// A sending actor: only what verification needs.
#[derive(Debug, Clone)]
struct Sender {
    id: Url,
    inbox: Url,
    public_key_pem: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SenderJson {
    id: Url,
    inbox: Url,
    public_key: PublicKey,
}

#[async_trait::async_trait]
impl Object for Sender {
    type DataType = Shared;
    type Kind = SenderJson;
    type Error = ReceiverError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(id: Url, data: &Data<Shared>) -> Result<Option<Self>, ReceiverError> {
        Ok(data.actors.lock().unwrap().get(&id).cloned())
    }

    async fn into_json(self, _: &Data<Shared>) -> Result<SenderJson, ReceiverError> {
        Err(ReceiverError("not served".into()))
    }

    async fn verify(_: &SenderJson, _: &Url, _: &Data<Shared>) -> Result<(), ReceiverError> {
        Ok(())
    }

    async fn from_json(json: SenderJson, data: &Data<Shared>) -> Result<Self, ReceiverError> {
        let sender = Sender {
            id: json.id.clone(),
            inbox: json.inbox,
            public_key_pem: json.public_key.public_key_pem,
        };
        data.actors.lock().unwrap().insert(json.id, sender.clone());
        Ok(sender)
    }
}

impl Actor for Sender {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}

/// Any activity: only its id and actor matter here.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AnyActivity {
    id: Url,
    actor: ObjectId<Sender>,
}

#[async_trait::async_trait]
impl Activity for AnyActivity {
    type DataType = Shared;
    type Error = ReceiverError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _: &Data<Shared>) -> Result<(), ReceiverError> {
        Ok(())
    }

    async fn receive(self, _: &Data<Shared>) -> Result<(), ReceiverError> {
        Ok(())
    }
}

#[derive(Clone)]
struct PortState {
    port: u16,
    behaviour: Behaviour,
    /// Verify with aws-lc-rs (Enishi's verifier) rather than the federation crate.
    fast: bool,
}

#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Ok,
    Fail,
    Slow(u64),
}

async fn inbox(
    State(port): State<PortState>,
    Path(name): Path<String>,
    data: Data<Shared>,
    request: Request,
) -> axum::response::Response {
    match port.behaviour {
        Behaviour::Fail => {
            return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
        }
        Behaviour::Slow(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Behaviour::Ok => {}
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let verdict = if port.fast {
        verify_fast(&parts, &bytes, &data).await
    } else {
        let request = Request::from_parts(parts, Body::from(bytes));
        let activity = match ActivityData::from_request(request, &()).await {
            Ok(a) => a,
            Err(e) => return e,
        };
        receive_activity::<AnyActivity, Sender, Shared>(activity, &data).await
    };
    match verdict {
        Ok(()) => {
            let key = format!("localhost:{}/inbox/{name}", port.port);
            data.received
                .lock()
                .unwrap()
                .entry(key)
                .or_default()
                .push(id);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros())
                .unwrap_or(0);
            data.arrivals.lock().unwrap().push(now);
            StatusCode::ACCEPTED.into_response()
        }
        Err(e) => {
            *data.refused.lock().unwrap() += 1;
            eprintln!("receiver: refused {id}: {e}");
            e.into_response()
        }
    }
}

/// Signature, digest, date and actor checked with Enishi's aws-lc-rs verifier; the sender's
/// key comes from its actor document (fetched once, then cached like the crate path).
async fn verify_fast(
    parts: &axum::http::request::Parts,
    body: &[u8],
    data: &Data<Shared>,
) -> Result<(), ReceiverError> {
    use enishi_apub::signatures::{RequestParts, verify_request};
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let request = RequestParts {
        method: parts.method.as_str(),
        // The receiver listens on plain HTTP.
        scheme: "http",
        path_and_query: &path,
        headers: &headers,
        body: Some(body),
    };
    let bad = |e: String| ReceiverError(e);
    let key_id = request.key_id().map_err(|e| bad(e.to_string()))?;
    let mut actor_url = Url::parse(&key_id).map_err(|e| bad(e.to_string()))?;
    actor_url.set_fragment(None);
    // One fetch per sender, as a real server would do: the others wait for the cache.
    let sender: Sender = {
        let _one_at_a_time = data.fetching.lock().await;
        ObjectId::<Sender>::from(actor_url)
            .dereference(data)
            .await?
    };
    verify_request(
        &request,
        &sender.public_key_pem,
        std::time::SystemTime::now(),
    )
    .map_err(|e| bad(e.to_string()))?;
    let actor = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["actor"].as_str().map(str::to_owned));
    if actor.as_deref() != Some(sender.id.as_str()) {
        return Err(bad(format!("signed by {} for {actor:?}", sender.id)));
    }
    Ok(())
}

async fn received(data: Data<Shared>) -> Json<serde_json::Value> {
    let received = data.received.lock().unwrap().clone();
    let refused = *data.refused.lock().unwrap();
    let arrivals = data.arrivals.lock().unwrap().clone();
    Json(serde_json::json!({ "received": received, "refused": refused, "arrivals_us": arrivals }))
}

/// How many deliveries were accepted and refused so far (cheap to poll).
async fn count(data: Data<Shared>) -> Json<serde_json::Value> {
    let accepted = data.arrivals.lock().unwrap().len();
    let refused = *data.refused.lock().unwrap();
    Json(serde_json::json!({ "accepted": accepted, "refused": refused }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut ports = 1usize;
    let mut behaviours: HashMap<usize, Behaviour> = HashMap::new();
    let mut default = Behaviour::Ok;
    let mut fixed_ports: Vec<u16> = Vec::new();
    let mut fast = false;
    let mut ca: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ports" => {
                ports = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--ports N"))?
                    .parse()?
            }
            "--bind" => {
                fixed_ports.push(
                    args.next()
                        .ok_or_else(|| anyhow::anyhow!("--bind PORT"))?
                        .parse()?,
                );
                ports = fixed_ports.len();
            }
            "--verifier" => {
                fast = match args.next().as_deref() {
                    Some("aws-lc") => true,
                    Some("crate") => false,
                    other => anyhow::bail!("--verifier crate|aws-lc, not {other:?}"),
                }
            }
            "--ca" => ca = Some(args.next().ok_or_else(|| anyhow::anyhow!("--ca PEM"))?),
            "--slow" => {
                default = Behaviour::Slow(
                    args.next()
                        .ok_or_else(|| anyhow::anyhow!("--slow MS"))?
                        .parse()?,
                )
            }
            "--behaviour" => {
                let spec = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--behaviour INDEX=fail|slow:MS"))?;
                let (index, what) = spec
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("bad --behaviour {spec}"))?;
                let b = match what {
                    "fail" => Behaviour::Fail,
                    s if s.starts_with("slow:") => Behaviour::Slow(s[5..].parse()?),
                    other => anyhow::bail!("unknown behaviour {other}"),
                };
                behaviours.insert(index.parse()?, b);
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let shared = Shared::default();
    let mut client = reqwest::Client::builder().timeout(Duration::from_secs(10));
    if let Some(path) = &ca {
        client = client.tls_certs_merge(reqwest::Certificate::from_pem_bundle(&std::fs::read(
            path,
        )?)?);
    }
    let config = FederationConfig::builder()
        .domain("receiver.localhost")
        .client(reqwest_middleware::ClientBuilder::new(client.build()?).build())
        .app_data(shared)
        .debug(true)
        .build()
        .await?;
    let mut bound = Vec::new();
    for index in 0..ports {
        let listener = tokio::net::TcpListener::bind((
            "127.0.0.1",
            fixed_ports.get(index).copied().unwrap_or(0),
        ))
        .await?;
        let port = listener.local_addr()?.port();
        let state = PortState {
            port,
            behaviour: behaviours.get(&index).copied().unwrap_or(default),
            fast,
        };
        let app = Router::new()
            .route("/inbox/{name}", post(inbox))
            .route("/received", get(received))
            .route("/count", get(count))
            .with_state(state)
            .layer(FederationMiddleware::new(config.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await });
        bound.push(port.to_string());
    }
    println!("listening {}", bound.join(" "));
    std::future::pending::<()>().await;
    Ok(())
}

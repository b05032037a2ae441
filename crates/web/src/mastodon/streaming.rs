//! The streaming API (`GET /api/v1/streaming`, WebSocket), as Mastodon's: apps subscribe to
//! `user` (their home timeline and notifications), `public`, `public:local` or `hashtag` and
//! receive `update` and `notification` events as they happen.
//!
//! Each process polls the database for new posts and notifications a few times a second while
//! anyone is listening, and publishes what it found to its own listeners, who each read every
//! post through the audience rule before it is sent. Polling keeps processes independent (a
//! post written through one reaches streams held by another) and costs two indexed queries per
//! tick for the whole process, whatever the number of listeners.

use super::entities;
use crate::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enishi_core::{Audience, Member, Viewer};
use enishi_db::stream::{NewNotification, NewPost};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

/// How often the database is asked what is new while anyone listens.
pub const TICK: Duration = Duration::from_millis(200);

/// What one tick found.
#[derive(Debug, Default)]
pub struct Tick {
    posts: Vec<NewPost>,
    notifications: Vec<NewNotification>,
}

/// The process's listeners and the poller that feeds them.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Tick>>,
    polling: Arc<AtomicBool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            tx: broadcast::channel(64).0,
            polling: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Hub {
    /// A new listener; starts the poller on first use.
    fn subscribe(&self, db: &enishi_db::Db) -> broadcast::Receiver<Arc<Tick>> {
        let rx = self.tx.subscribe();
        if !self.polling.swap(true, Ordering::SeqCst) {
            tokio::spawn(poll(self.tx.clone(), db.clone()));
        }
        rx
    }
}

async fn poll(tx: broadcast::Sender<Arc<Tick>>, db: enishi_db::Db) {
    let (mut last_post, mut last_note) = loop {
        match enishi_db::stream::marks(&db).await {
            Ok(m) => break m,
            Err(e) => {
                tracing::warn!(error = %e, "streaming: reading the marks failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if tx.receiver_count() == 0 {
            // Nobody listens: only keep the marks current, so that a new listener does not
            // receive what happened before it came.
            if let Ok((p, n)) = enishi_db::stream::marks(&db).await {
                (last_post, last_note) = (p, n);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let posts = enishi_db::stream::posts_after(&db, last_post, 200).await;
        let notes = enishi_db::stream::notifications_after(&db, last_note, 200).await;
        let (Ok(posts), Ok(notifications)) = (posts, notes) else {
            tracing::warn!("streaming: polling the database failed");
            continue;
        };
        if let Some(p) = posts.last() {
            last_post = p.id;
        }
        if let Some(n) = notifications.last() {
            last_note = n.id;
        }
        if !posts.is_empty() || !notifications.is_empty() {
            let _ = tx.send(Arc::new(Tick {
                posts,
                notifications,
            }));
        }
    }
}

/// `?stream=…&tag=…&access_token=…`.
#[derive(Deserialize, Default)]
pub struct StreamQuery {
    stream: Option<String>,
    tag: Option<String>,
    access_token: Option<String>,
}

/// A stream a connection is subscribed to, in Mastodon's names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stream {
    User,
    Public,
    PublicLocal,
    Hashtag(String),
}

impl Stream {
    fn parse(name: &str, tag: Option<&str>) -> Option<Stream> {
        match name {
            "user" | "user:notification" => Some(Stream::User),
            "public" | "public:media" => Some(Stream::Public),
            "public:local" | "public:local:media" => Some(Stream::PublicLocal),
            "hashtag" | "hashtag:local" => tag
                .map(|t| t.trim_start_matches('#').to_lowercase())
                .filter(|t| !t.is_empty())
                .map(Stream::Hashtag),
            _ => None,
        }
    }

    fn names(&self) -> Vec<String> {
        match self {
            Stream::User => vec!["user".into()],
            Stream::Public => vec!["public".into()],
            Stream::PublicLocal => vec!["public:local".into()],
            Stream::Hashtag(t) => vec!["hashtag".into(), t.clone()],
        }
    }
}

/// `GET /api/v1/streaming/health`.
pub async fn health() -> &'static str {
    "OK"
}

/// `GET /api/v1/streaming`: upgrades to a WebSocket.
pub async fn connect(
    State(state): State<AppState>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        return super::MastoError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "connect with a WebSocket",
        )
        .into_response();
    };
    // The token: in the query, the Authorization header, or as the WebSocket sub-protocol
    // (browsers cannot set headers on a WebSocket).
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
        .filter(|v| !v.is_empty());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let token = query
        .access_token
        .clone()
        .or(bearer)
        .or_else(|| protocol.clone());
    let member = match &token {
        None => None,
        Some(t) => match enishi_db::tokens::authenticate_grant(&state.db, t).await {
            Ok(Some((m, grant))) if grant.scopes.allows("read:statuses") => Some(m),
            Ok(Some(_)) => {
                return super::outside_scopes().into_response();
            }
            Ok(None) => {
                return super::unauthorized("The access token is invalid").into_response();
            }
            Err(e) => return super::MastoError::from(e).into_response(),
        },
    };
    let mut streams = BTreeSet::new();
    if let Some(name) = &query.stream {
        match Stream::parse(name, query.tag.as_deref()) {
            Some(Stream::User) if member.is_none() => {
                return super::unauthorized("This stream requires an authenticated user")
                    .into_response();
            }
            Some(s) => {
                streams.insert(s);
            }
            None => {
                return super::MastoError::unprocessable(format!("unknown stream {name:?}"))
                    .into_response();
            }
        }
    }
    let ws = match protocol {
        Some(p) if token.as_deref() == Some(p.as_str()) => ws.protocols([p]),
        _ => ws,
    };
    ws.on_upgrade(move |socket| serve(state, member, streams, socket))
}

async fn serve(
    state: AppState,
    member: Option<Member>,
    mut streams: BTreeSet<Stream>,
    mut socket: WebSocket,
) {
    let mut rx = state.streams.subscribe(&state.db);
    let mut ping = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            message = socket.recv() => {
                let Some(Ok(message)) = message else { break };
                match message {
                    Message::Text(text) => {
                        if let Some(reply) = control(&text, member.as_ref(), &mut streams)
                            && socket.send(Message::Text(reply.into())).await.is_err()
                        {
                            break;
                        }
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
            tick = rx.recv() => {
                let tick = match tick {
                    Ok(t) => t,
                    // A slow listener missed ticks: it goes on with the next ones.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                let frames = match frames(&state, member.as_ref(), &streams, &tick).await {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::warn!(error = ?e.0.message, "streaming: reading a tick failed");
                        continue;
                    }
                };
                for frame in frames {
                    if socket.send(Message::Text(frame.into())).await.is_err() {
                        return;
                    }
                }
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// Handles a subscribe or unsubscribe message; returns an error frame for a bad one.
fn control(text: &str, member: Option<&Member>, streams: &mut BTreeSet<Stream>) -> Option<String> {
    #[derive(Deserialize)]
    struct Control {
        #[serde(rename = "type")]
        kind: String,
        stream: String,
        tag: Option<String>,
    }
    let error = |message: &str| Some(json!({"error": message, "status": 400}).to_string());
    let Ok(c) = serde_json::from_str::<Control>(text) else {
        return error("Unknown message");
    };
    let Some(stream) = Stream::parse(&c.stream, c.tag.as_deref()) else {
        return error("Unknown stream type");
    };
    if stream == Stream::User && member.is_none() {
        return Some(json!({"error": "Access token required", "status": 401}).to_string());
    }
    match c.kind.as_str() {
        "subscribe" => {
            streams.insert(stream);
        }
        "unsubscribe" => {
            streams.remove(&stream);
        }
        _ => return error("Unknown message type"),
    }
    None
}

fn frame(stream: &Stream, event: &str, payload: String) -> String {
    json!({"stream": stream.names(), "event": event, "payload": payload}).to_string()
}

/// The frames a tick makes for one connection: every post it may read on each of its streams,
/// and the member's own notifications.
async fn frames(
    state: &AppState,
    member: Option<&Member>,
    streams: &BTreeSet<Stream>,
    tick: &Tick,
) -> super::MastoResult<Vec<String>> {
    let mut out = Vec::new();
    if streams.is_empty() {
        return Ok(out);
    }
    let viewer = member.map_or(Viewer::ANONYMOUS, |m| Viewer::member(m.actor.id));
    for p in &tick.posts {
        let mut shown = None;
        for stream in streams {
            let wanted = match stream {
                Stream::User => {
                    let Some(me) = member else { continue };
                    me.actor.id == p.author || {
                        let rel = enishi_db::social::relationship(&state.db, me.actor.id, p.author)
                            .await?;
                        rel.friend || rel.following
                    }
                }
                Stream::Public | Stream::PublicLocal | Stream::Hashtag(_) => true,
            };
            if !wanted {
                continue;
            }
            // Read through the audience rule, as every other read: what the viewer may not
            // see is never sent.
            let view = match enishi_db::posts::get_visible(&state.db, &viewer, p.kind, &p.public_id)
                .await
            {
                Ok(v) => v,
                Err(enishi_db::OpError::NotFound(_)) => break,
                Err(e) => return Err(e.into()),
            };
            let public_enough = view.post.audience == Audience::Public;
            let fits = match stream {
                Stream::User => true,
                Stream::Public => public_enough,
                Stream::PublicLocal => public_enough && view.author.is_local,
                Stream::Hashtag(tag) => public_enough
                    && view.post.tags.iter().any(
                        |t| matches!(t, enishi_core::mention::Tag::Hashtag { name } if name == tag),
                    ),
            };
            if !fits {
                continue;
            }
            if shown.is_none() {
                let mut view = view;
                crate::api::redact(state, &viewer, [&mut view.author]).await?;
                shown = Some(entities::status(state, &viewer, view).await?.to_string());
            }
            if let Some(s) = &shown {
                out.push(frame(stream, "update", s.clone()));
            }
        }
    }
    if let Some(me) = member
        && streams.contains(&Stream::User)
    {
        for n in tick
            .notifications
            .iter()
            .filter(|n| n.recipient == me.actor.id)
        {
            let list =
                enishi_db::notifications::list(&state.db, &viewer, Some(n.id + 1), 1).await?;
            for mut found in list.into_iter().filter(|f| f.id == n.id) {
                crate::api::redact(state, &viewer, [&mut found.actor]).await?;
                if let Some(v) = entities::notification(state, &viewer, found).await? {
                    out.push(frame(&Stream::User, "notification", v.to_string()));
                }
            }
        }
    }
    Ok(out)
}

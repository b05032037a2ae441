//! The streaming API (`GET /api/v1/streaming`, WebSocket), as Mastodon's: apps subscribe to
//! `user` (their home timeline and notifications), `public`, `public:local` or `hashtag` and
//! receive `update` and `notification` events as they happen.
//!
//! Each process polls the database for new posts and notifications a few times a second while
//! anyone is listening, and publishes what it found to its own listeners, who each read every
//! post through the audience rule before it is sent. Polling keeps processes independent (a
//! post written through one reaches streams held by another); the poll itself is two indexed
//! queries per tick for the whole process, and each listener then reads the new posts its
//! streams may carry (at most 16 streams a connection, so that one client cannot multiply
//! the work without bound).

mod frames;

use crate::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enishi_core::Member;
use enishi_db::stream::{NewNotification, NewPost};
use frames::frames;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

/// How often the database is asked what is new while anyone listens.
pub const TICK: Duration = Duration::from_millis(200);

/// The most streams one connection may hold, and the longest hashtag it may name: each costs
/// reads on every tick.
const MAX_STREAMS: usize = 16;
const MAX_TAG: usize = 100;

/// How often an open stream checks that its token still holds (revoked, member suspended).
const RECHECK: Duration = Duration::from_secs(5);

/// How far below its mark each tick looks again (see `poll`).
const LOOK_BACK: i64 = 50;

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
    let mut floor = (last_post, last_note);
    let mut sent_posts = std::collections::BTreeSet::new();
    let mut sent_notes = std::collections::BTreeSet::new();
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if tx.receiver_count() == 0 {
            // Nobody listens: only keep the marks current, so that a new listener does not
            // receive what happened before it came.
            if let Ok((p, n)) = enishi_db::stream::marks(&db).await {
                (last_post, last_note) = (p, n);
                floor = (p, n);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Ids are handed out before commit: on PostgreSQL a lower id can become visible after
        // a higher one. Each tick looks back a little below the mark and skips what it sent.
        let posts = enishi_db::stream::posts_after(&db, last_post - LOOK_BACK, 400).await;
        let notes = enishi_db::stream::notifications_after(&db, last_note - LOOK_BACK, 400).await;
        let (Ok(mut posts), Ok(mut notifications)) = (posts, notes) else {
            tracing::warn!("streaming: polling the database failed");
            continue;
        };
        // Nothing from before the listeners came (the floor), nothing twice.
        posts.retain(|p| p.id > floor.0 && sent_posts.insert(p.id));
        notifications.retain(|n| n.id > floor.1 && sent_notes.insert(n.id));
        last_post = last_post.max(posts.last().map_or(0, |p| p.id));
        last_note = last_note.max(notifications.last().map_or(0, |n| n.id));
        sent_posts.retain(|id| *id > last_post - LOOK_BACK);
        sent_notes.retain(|id| *id > last_note - LOOK_BACK);
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
    list: Option<String>,
    access_token: Option<String>,
}

/// What a stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The home timeline and notifications.
    User,
    /// Notifications only.
    UserNotifications,
    /// Public posts (here and known from elsewhere).
    Public,
    /// Public posts written here.
    PublicLocal,
    /// Public posts with a hashtag.
    Hashtag,
    /// Streams Enishi has nothing for (lists, direct conversations, remote-only): accepted,
    /// so that an app subscribing to them keeps its other streams, and silent.
    Silent,
}

/// A stream a connection is subscribed to, named exactly as the app named it: frames echo
/// the name (and tag) so that the app matches them to its subscription.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Stream {
    kind: Kind,
    /// Only posts with photos (`public:media`).
    media_only: bool,
    name: String,
    tag: Option<String>,
}

impl Stream {
    fn parse(name: &str, tag: Option<&str>, list: Option<&str>) -> Option<Stream> {
        let (kind, media_only) = match name {
            "user" => (Kind::User, false),
            "user:notification" => (Kind::UserNotifications, false),
            "public" => (Kind::Public, false),
            "public:media" => (Kind::Public, true),
            "public:local" => (Kind::PublicLocal, false),
            "public:local:media" => (Kind::PublicLocal, true),
            "hashtag" | "hashtag:local" => (Kind::Hashtag, false),
            "public:remote" | "public:remote:media" | "direct" | "list" => (Kind::Silent, false),
            _ => return None,
        };
        let tag = match kind {
            Kind::Hashtag => Some(
                tag.filter(|t| !t.is_empty() && t.chars().count() <= MAX_TAG)?
                    .to_owned(),
            ),
            _ if name == "list" => Some(list.filter(|l| !l.is_empty())?.to_owned()),
            _ => None,
        };
        Some(Stream {
            kind,
            media_only,
            name: name.to_owned(),
            tag,
        })
    }

    fn needs_member(&self) -> bool {
        matches!(
            self.kind,
            Kind::User | Kind::UserNotifications | Kind::Silent
        ) && self.name != "public:remote"
            && self.name != "public:remote:media"
    }

    fn names(&self) -> Vec<String> {
        let mut out = vec![self.name.clone()];
        out.extend(self.tag.clone());
        out
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
    let (member, notices) = match &token {
        None => (None, false),
        Some(t) => match enishi_db::tokens::authenticate_grant(&state.db, t).await {
            Ok(Some((m, grant))) if grant.scopes.allows("read:statuses") => {
                (Some(m), grant.scopes.allows("read:notifications"))
            }
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
        match Stream::parse(name, query.tag.as_deref(), query.list.as_deref()) {
            Some(s) if s.needs_member() && member.is_none() => {
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
    let listener = Listener {
        member,
        notices,
        token,
    };
    ws.max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| serve(state, listener, streams, socket))
}

/// Who listens on a connection.
struct Listener {
    member: Option<Member>,
    /// Whether the token may read notifications.
    notices: bool,
    token: Option<String>,
}

/// Whether the listener's token still holds (not revoked, the member not suspended or gone).
async fn still_valid(state: &AppState, listener: &Listener) -> bool {
    match (&listener.member, &listener.token) {
        (Some(_), Some(t)) => matches!(
            enishi_db::tokens::authenticate_grant(&state.db, t).await,
            Ok(Some(_))
        ),
        _ => true,
    }
}

async fn serve(
    state: AppState,
    listener: Listener,
    mut streams: BTreeSet<Stream>,
    mut socket: WebSocket,
) {
    let member = listener.member.as_ref();
    let mut rx = state.streams.subscribe(&state.db);
    // The poller's floor may be a second old when the first listener comes: this connection
    // hears only of what is newer than the database's newest rows as it opened.
    let opened = match enishi_db::stream::marks(&state.db).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "streaming: reading the marks failed");
            return;
        }
    };
    let mut ping = tokio::time::interval(Duration::from_secs(30));
    let mut recheck = tokio::time::interval(RECHECK);
    loop {
        tokio::select! {
            message = socket.recv() => {
                let Some(Ok(message)) = message else { break };
                match message {
                    Message::Text(text) => {
                        if let Some(reply) = control(&text, member, &mut streams)
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
                let frames = match frames(&state, &listener, &streams, &tick, opened).await {
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
            _ = recheck.tick() => {
                // A revoked token or a suspended member stops hearing at once.
                if !still_valid(&state, &listener).await {
                    let _ = socket.send(Message::Close(None)).await;
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
        list: Option<String>,
    }
    let error = |message: &str| Some(json!({"error": message, "status": 400}).to_string());
    let Ok(c) = serde_json::from_str::<Control>(text) else {
        return error("Unknown message");
    };
    let Some(stream) = Stream::parse(&c.stream, c.tag.as_deref(), c.list.as_deref()) else {
        return error("Unknown stream type");
    };
    if stream.needs_member() && member.is_none() {
        return Some(json!({"error": "Access token required", "status": 401}).to_string());
    }
    match c.kind.as_str() {
        "subscribe" if streams.len() >= MAX_STREAMS && !streams.contains(&stream) => {
            return error("Too many streams on one connection");
        }
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

//! The streaming API as a read path: after the second phase's changes, a `user` stream for
//! every member and anonymous `public` and `hashtag` (`#hunt`) streams are opened, then every
//! member writes a post at every audience. Each stream must carry exactly the new posts its
//! reader may see on it — on `user` the member's own and their friends' (the home timeline),
//! on the public ones the public posts — and a member's `user` stream exactly the mentions of
//! them they may see; nothing else, and no marker its reader may not see. Streams send what
//! happens while they are open, so this is the one read that sees a post as it is written,
//! through the rule as it stands.

use super::Report;
use super::build::write_post;
use super::mastodon::{Apps, Ids, numbers};
use super::mastodon_mine::notification;
use super::model::{Model, name};
use crate::common::Member;
use enishi_core::Audience;
use futures::StreamExt;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, sleep, timeout};
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a stream must stay silent, once every post is written, to have said everything:
/// the server polls five times a second.
const QUIET: Duration = Duration::from_millis(1500);

/// The longest a stream is listened to.
const LONGEST: Duration = Duration::from_secs(60);

/// How long the server is given, once the connections are open, to subscribe them (and, the
/// first time, to start polling from the newest post) before anything is written.
const SETTLE: Duration = Duration::from_millis(800);

/// One open stream and what it heard.
struct Stream {
    reader: Option<usize>,
    /// The stream's name as frames echo it.
    names: Value,
    heard: tokio::task::JoinHandle<anyhow::Result<Vec<String>>>,
}

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

impl Stream {
    /// Connects (the server subscribes the connection once it is open) and listens until the
    /// writing is `done`.
    async fn open(
        base: &str,
        query: &[(&str, &str)],
        reader: Option<usize>,
        names: Value,
        done: &watch::Receiver<bool>,
    ) -> anyhow::Result<Stream> {
        let (ws, _) = tokio_tungstenite::connect_async(url(base, query)).await?;
        Ok(Stream {
            reader,
            names,
            heard: tokio::spawn(listen(ws, done.clone())),
        })
    }
}

/// `base`'s streaming URL for `query`.
fn url(base: &str, query: &[(&str, &str)]) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{}/api/v1/streaming?{q}", base.replacen("http", "ws", 1))
}

/// Every text frame until the writing is `done` and the stream has been quiet for [`QUIET`].
async fn listen(mut ws: Socket, mut done: watch::Receiver<bool>) -> anyhow::Result<Vec<String>> {
    let started = Instant::now();
    let mut frames = Vec::new();
    while started.elapsed() < LONGEST {
        let finished = *done.borrow();
        let wait = if finished { QUIET } else { LONGEST };
        tokio::select! {
            changed = done.changed(), if !finished => {
                if changed.is_err() {
                    break;
                }
            }
            next = timeout(wait, ws.next()) => match next {
                Err(_) if finished => break,
                Ok(Some(Ok(Message::Text(t)))) => frames.push(t.as_str().to_owned()),
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) => break,
                Ok(Some(Err(e))) => return Err(e.into()),
                // Pings (the client answers them), and silence while posts are being written.
                Err(_) | Ok(Some(Ok(_))) => {}
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(frames)
}

/// Opens the streams, has every member write a post at every audience, and judges what each
/// stream heard.
pub async fn hunt(
    r: &Report,
    base: &str,
    db: &enishi_db::Db,
    members: &[Member],
    apps: &Apps,
    m: &mut Model,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    // A `user` stream is a member's: none without a token.
    match tokio_tungstenite::connect_async(url(base, &[("stream", "user")])).await {
        Err(Error::Http(resp)) => r.check(resp.status() == 401, || {
            format!("anonymous user stream: {}", resp.status())
        }),
        Err(e) => r.check(false, || format!("anonymous user stream: {e}")),
        Ok(_) => r.check(false, || "LEAK: an anonymous user stream opens".into()),
    }
    let (tell, done) = watch::channel(false);
    let mut streams = Vec::new();
    for (v, api) in apps.read.iter().enumerate() {
        let token = api.token().unwrap_or_default();
        let query = [("stream", "user"), ("access_token", token)];
        streams.push(Stream::open(base, &query, Some(v), json!(["user"]), &done).await?);
    }
    let query = [("stream", "public")];
    streams.push(Stream::open(base, &query, None, json!(["public"]), &done).await?);
    let (query, names) = (
        [("stream", "hashtag"), ("tag", "hunt")],
        json!(["hashtag", "hunt"]),
    );
    streams.push(Stream::open(base, &query, None, names, &done).await?);
    sleep(SETTLE).await;
    let mut new = BTreeSet::new();
    for (i, mem) in members.iter().enumerate() {
        for audience in Audience::ALL {
            new.insert(write_post(mem, i, audience, m, rng).await?);
        }
    }
    tell.send(true)?;
    let numbers = numbers(db, m).await?;
    let actors: Vec<i64> = members.iter().map(|x| x.actor_id).collect();
    let ids = Ids::new(&numbers, &actors);
    for s in streams {
        let frames = s.heard.await??;
        judge(r, m, &ids, &new, s.reader, &s.names, &frames);
    }
    Ok(())
}

/// What one stream heard against what its reader may see on it.
fn judge(
    r: &Report,
    m: &Model,
    ids: &Ids<'_>,
    new: &BTreeSet<String>,
    v: Option<usize>,
    names: &Value,
    frames: &[String],
) {
    let who = v.map_or("anonymous".to_owned(), name);
    let place = format!("stream {names}");
    let mut updates = Vec::new();
    let mut mentions = BTreeSet::new();
    for f in frames {
        r.scan(m, v, &place, f);
        let frame: Value = serde_json::from_str(f).unwrap_or_default();
        let payload: Value = frame["payload"]
            .as_str()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_default();
        r.check(frame["stream"] == *names, || {
            format!(
                "WRONG: {who} {place} carries a frame of {}",
                frame["stream"]
            )
        });
        match (frame["event"].as_str(), v) {
            (Some("update"), _) => {
                let n = payload["id"].as_str().unwrap_or_default();
                updates.push(
                    ids.posts
                        .get(n)
                        .map_or(format!("unknown {n}"), |p| p.to_string()),
                );
            }
            (Some("notification"), Some(me)) => {
                notification(r, m, me, ids, &payload, &place);
                // A stream may also tell of what happened a moment before it opened (the
                // server moves its starting mark once a second while no one listens), such as
                // a mention that a widened audience made effective: judged as any
                // notification, but only the new posts' mentions are counted.
                if payload["type"] == "mention"
                    && let Some(p) = payload["status"]["id"]
                        .as_str()
                        .and_then(|n| ids.posts.get(n))
                    && new.contains(*p)
                {
                    mentions.insert(p.to_string());
                }
            }
            _ => r.check(false, || format!("WRONG: {who} {place}: {f}")),
        }
    }
    let got: BTreeSet<String> = updates.iter().cloned().collect();
    r.check(got.len() == updates.len(), || {
        format!("WRONG: {who} {place} repeats a post: {updates:?}")
    });
    let sees = |id: &String| m.posts.contains_key(id) && m.sees_post(v, id);
    let on_stream = |id: &String| {
        let p = &m.posts[id];
        match v {
            Some(me) => p.author == me || m.are_friends(me, p.author),
            None => p.audience == Audience::Public,
        }
    };
    let want: BTreeSet<String> = new
        .iter()
        .filter(|id| sees(id) && on_stream(id))
        .cloned()
        .collect();
    for id in got.difference(&want) {
        let what = match m.posts.get(id) {
            Some(p) if !sees(id) => format!(
                "LEAK: {who} [{}] {place} carries {id} ({} by {})",
                m.standing(v, p.author),
                p.audience.as_str(),
                name(p.author)
            ),
            Some(p) if !new.contains(id) => {
                format!(
                    "WRONG: {who} {place} carries {id}, by {}, from before it opened",
                    name(p.author)
                )
            }
            Some(p) => format!(
                "WRONG: {who} [{}] {place} carries {id}, by {}, which is not for this stream",
                m.standing(v, p.author),
                name(p.author)
            ),
            None => format!("WRONG: {who} {place} carries {id}"),
        };
        r.problem(what, String::new());
    }
    r.check(want.is_subset(&got), || {
        format!(
            "DENIED: {who} {place} misses {:?} (it heard {} frames)",
            want.difference(&got).collect::<Vec<_>>(),
            frames.len()
        )
    });
    if let Some(me) = v {
        let told: BTreeSet<String> = new
            .iter()
            .filter(|id| m.posts[*id].mentions == me && m.posts[*id].author != me && sees(id))
            .cloned()
            .collect();
        r.check(mentions == told, || {
            format!("{who} {place} tells of mentions in {mentions:?}, want {told:?}")
        });
    }
}

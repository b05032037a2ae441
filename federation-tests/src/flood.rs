//! A flood of signed deliveries to one inbox: the workload of `enishi-bench ingest` and of the
//! inbound crash test. Activities are built and signed before the flood starts (signing is the
//! sender's cost, not the receiver's), then sent over a fixed number of concurrent
//! connections, each answer timed.

use enishi_apub::signatures::Signer;
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime};
use url::Url;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A remote actor that signs what it sends.
#[derive(Clone)]
pub struct Sender {
    /// Its actor id.
    pub ap_id: Url,
    /// Its followers collection.
    pub followers: Url,
    /// Signs with its key.
    pub signer: std::sync::Arc<Signer>,
}

impl Sender {
    /// `actor`, signing with the private key `pem` under its key id.
    pub fn new(actor: &enishi_core::Actor, pem: &str) -> anyhow::Result<Sender> {
        Ok(Sender {
            ap_id: actor.ap_id.clone(),
            followers: actor
                .followers
                .clone()
                .ok_or_else(|| anyhow::anyhow!("{} has no followers collection", actor.ap_id))?,
            signer: std::sync::Arc::new(Signer::from_pem(pem, &actor.public_key_id)?),
        })
    }

    /// The member `ap_id` of the instance whose database is `db`, with its own key.
    pub async fn member(db: &enishi_db::Db, ap_id: &Url) -> anyhow::Result<Sender> {
        let actor = enishi_db::actors::find_by_ap_id(db, ap_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{ap_id} is not stored"))?;
        let pem = enishi_db::actors::private_key_pem(db, actor.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{ap_id} has no private key"))?;
        Sender::new(&actor, &pem)
    }
}

/// What the flood's notes are, as the receiver should store them.
#[derive(Debug, Clone)]
pub enum Shape {
    /// A public post to the sender's followers (a member here follows the sender).
    ToFollowers,
    /// A public post that mentions `member` (the sender is a stranger to the receiver).
    Mentioning {
        /// The member's actor id.
        member: Url,
    },
    /// A public reply to `post` by `author` (stored as a comment).
    ReplyTo {
        /// The post answered.
        post: Url,
        /// Its author.
        author: Url,
    },
}

/// `Create{Note}` number `n` of a flood called `tag`, by `sender`.
pub fn create_note(sender: &Sender, tag: &str, n: usize, shape: &Shape) -> Value {
    let note_id = format!("{}/flood/{tag}/{n}", sender.ap_id);
    let published = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut cc = vec![json!(sender.followers.as_str())];
    let mut tags = Vec::new();
    let mut note = json!({
        "id": note_id,
        "type": "Note",
        "attributedTo": sender.ap_id.as_str(),
        "content": format!("<p>Flood {tag} note {n}.</p>"),
        "published": published,
    });
    match shape {
        Shape::ToFollowers => {}
        Shape::Mentioning { member } => {
            cc.push(json!(member.as_str()));
            tags.push(json!({"type": "Mention", "href": member.as_str()}));
            note["content"] = json!(format!(
                "<p><a href=\"{member}\" class=\"mention\">@member</a> flood {tag} note {n}.</p>"
            ));
        }
        Shape::ReplyTo { post, author } => {
            cc.push(json!(author.as_str()));
            note["inReplyTo"] = json!(post.as_str());
        }
    }
    note["to"] = json!([PUBLIC]);
    note["cc"] = json!(cc);
    note["tag"] = json!(tags);
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note_id}/activity"),
        "type": "Create",
        "actor": sender.ap_id.as_str(),
        "published": published,
        "to": [PUBLIC],
        "cc": cc,
        "object": note,
    })
}

/// One delivery, signed and ready to send.
pub struct Delivery {
    /// The activity's id.
    pub id: String,
    /// The inbox.
    pub inbox: Url,
    /// The signed headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Signs `activities` (each with its sender) for `inbox`, on every core.
pub fn sign_all(inbox: &Url, activities: Vec<(Sender, Value)>) -> anyhow::Result<Vec<Delivery>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = activities.len().div_ceil(cores).max(1);
    let now = SystemTime::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = activities
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(sender, activity)| {
                            let body = activity.to_string().into_bytes();
                            let signed = sender.signer.sign_post(inbox, &body, now)?;
                            Ok(Delivery {
                                id: activity["id"].as_str().unwrap_or_default().to_owned(),
                                inbox: inbox.clone(),
                                headers: signed.headers,
                                body,
                            })
                        })
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(activities.len());
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("a signing thread panicked"))??,
            );
        }
        Ok(out)
    })
}

/// The answer to one delivery.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The activity's id.
    pub id: String,
    /// The HTTP status; 0 when no answer came (connection refused or reset).
    pub status: u16,
    /// From sending to the whole answer.
    pub latency: Duration,
}

/// A client for floods: `connections` kept-alive connections to one host.
pub fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Sends one delivery and reads the whole answer.
pub async fn send_one(client: &reqwest::Client, d: &Delivery) -> Answer {
    let start = Instant::now();
    let mut req = client.post(d.inbox.clone()).body(d.body.clone());
    for (k, v) in &d.headers {
        req = req.header(*k, v);
    }
    let status = match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            // The whole answer, so the time is the server's whole work.
            let _ = resp.bytes().await;
            status
        }
        Err(_) => 0,
    };
    Answer {
        id: d.id.clone(),
        status,
        latency: start.elapsed(),
    }
}

/// Sends every delivery, at most `connections` at a time; returns the answers in the order
/// they came.
pub async fn send_all(
    client: &reqwest::Client,
    deliveries: &[Delivery],
    connections: usize,
) -> Vec<Answer> {
    // The futures first, so that the stream holds no closure over borrowed deliveries (which
    // would not be `Send` for every lifetime, as a boxed test future must be).
    let sends: Vec<_> = deliveries.iter().map(|d| send_one(client, d)).collect();
    futures::stream::iter(sends)
        .buffer_unordered(connections)
        .collect()
        .await
}

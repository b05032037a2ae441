//! Bursts (issue 12, item 7): many writes at the same moment must all succeed with the default
//! database pool. A write transaction that takes a second pooled connection can wait for ever
//! once every connection is held by a transaction doing the same; every query inside a
//! transaction therefore runs on it. Here 64 signed replies, 64 likes and 64 friend requests
//! from another instance arrive at once, while 64 members write through the API — on SQLite
//! and PostgreSQL — and every one is answered with a 2xx and stored.

use enishi_federation_tests::cluster::{Member, Node, eventually};
use enishi_testkit::TestDb;
use futures::future::join_all;
use serde_json::{Value, json};

enishi_testkit::main!(db: [a_burst_of_inbound_activities_and_api_writes_all_succeed]);

const BURST: usize = 64;
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A signed `Create{Note}` by `from` answering `parent`.
fn reply(from: &Member, parent: &str, i: usize) -> Value {
    let note = format!("{}/notes/burst-{i}", from.ap_id);
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": from.ap_id.as_str(),
        "to": [PUBLIC],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": from.ap_id.as_str(),
            "inReplyTo": parent,
            "to": [PUBLIC],
            "content": format!("<p>reply {i}</p>"),
            "published": chrono::Utc::now().to_rfc3339(),
        },
    })
}

fn like(from: &Member, object: &str, i: usize) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/likes/burst-{i}", from.ap_id),
        "type": "Like",
        "actor": from.ap_id.as_str(),
        "object": object,
    })
}

fn follow(from: &Member, to: &Member, i: usize) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/burst-{i}", from.ap_id),
        "type": "Follow",
        "actor": from.ap_id.as_str(),
        "object": to.ap_id.as_str(),
    })
}

async fn a_burst_of_inbound_activities_and_api_writes_all_succeed(t: TestDb) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let sender = b.member("sender").await?;
    let mut members = Vec::new();
    for i in 0..BURST {
        members.push(a.member(&format!("m{i}")).await?);
    }
    let alice = &members[0];
    let (s, diary) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "open to all", "body": "say something", "audience": "public"}),
        )
        .await?;
    anyhow::ensure!(s == 201, "diary: {s} {diary}");
    let diary_ap = diary["ap_id"].as_str().unwrap().to_owned();
    let mut voices = Vec::new();
    for i in 0..BURST {
        let (s, v) = alice
            .api
            .post(
                "/api/v1/voices",
                json!({"text": format!("voice {i}"), "audience": "public"}),
            )
            .await?;
        anyhow::ensure!(s == 201, "voice: {s} {v}");
        voices.push(v["ap_id"].as_str().unwrap().to_owned());
    }
    // The sender's server is known before the burst, as it is for a busy peer.
    let inbox = format!("{}/inbox", a.run.base_url);
    let (s, e) = sender
        .signed_post(&inbox, &like(&sender, &voices[0], BURST))
        .await?;
    anyhow::ensure!(s == 202, "warm-up like: {s} {e}");

    let mut activities = Vec::new();
    for i in 0..BURST {
        activities.push(reply(&sender, &diary_ap, i));
        activities.push(like(&sender, &voices[i], i));
        activities.push(follow(&sender, &members[i], i));
    }
    let inbound = join_all(activities.iter().map(|act| sender.signed_post(&inbox, act)));
    let writes = join_all(members.iter().enumerate().map(|(i, m)| {
        m.api.post(
            "/api/v1/voices",
            json!({"text": format!("at once {i}"), "audience": "friends"}),
        )
    }));
    let started = std::time::Instant::now();
    let (inbound, writes) = tokio::join!(inbound, writes);
    let took = started.elapsed();
    let mut problems = Vec::new();
    for (act, r) in activities.iter().zip(inbound) {
        let (s, body) = r?;
        if !(200..300).contains(&s) {
            problems.push(format!("{} {}: {s} {body}", act["type"], act["id"]));
        }
    }
    for (i, r) in writes.into_iter().enumerate() {
        let (s, body) = r?;
        if s != 201 {
            problems.push(format!("m{i}'s voice post: {s} {body}"));
        }
    }
    anyhow::ensure!(
        problems.is_empty(),
        "{} of {} requests failed in {took:?}:\n{}",
        problems.len(),
        4 * BURST,
        problems.join("\n")
    );
    eprintln!("{} requests at once answered in {took:?}", 4 * BURST);

    // Everything answered 2xx is there.
    let comments = alice
        .api
        .ok(&format!(
            "/api/v1/diaries/{}/comments?limit=100",
            diary["id"].as_str().unwrap()
        ))
        .await?;
    let n = comments["items"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(n == BURST, "{n} of {BURST} replies stored");
    for m in &members {
        eventually(&format!("{} has the request", m.name), || async {
            let incoming = m
                .api
                .ok("/api/v1/friends/requests?direction=incoming")
                .await?;
            Ok(incoming["items"]
                .as_array()
                .is_some_and(|l| l.len() == 1)
                .then_some(()))
        })
        .await?;
    }
    let voices_list = alice.api.ok("/api/v1/users/m0/voices?limit=100").await?;
    let liked = voices_list["items"].as_array().map_or(0, |l| l.len());
    anyhow::ensure!(liked > BURST, "alice's voices: {liked}");
    for v in voices_list["items"].as_array().unwrap() {
        if v["text"].as_str().is_some_and(|t| t.starts_with("voice ")) {
            let likes = alice
                .api
                .ok(&format!(
                    "/api/v1/voices/{}/likes",
                    v["id"].as_str().unwrap()
                ))
                .await?;
            let n = likes["items"].as_array().map_or(0, Vec::len);
            anyhow::ensure!(n == 1, "{} has {n} likes", v["text"]);
        }
    }
    a.stop().await?;
    b.stop().await
}

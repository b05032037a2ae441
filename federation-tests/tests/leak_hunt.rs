//! The leak hunt across two instances (issue 5): members on two instances with random
//! friendships within and across them post diaries at every audience and comment on what they
//! can see; then every member reads every author's diaries and comments through their own
//! instance's API, and signs a fetch of every diary at its origin, and so does an anonymous
//! visitor. Nobody may see what the audience rule denies them; friends must see what is theirs.
//! On SQLite and PostgreSQL. `ENISHI_LEAK_HUNT_SEED` replays another community.

use enishi_core::{Audience, Relation, ViewerKind, may_see};
use enishi_federation_tests::cluster::{Member, Node, befriend, eventually};
use enishi_testkit::TestDb;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

enishi_testkit::main!(db: [no_leaks_across_two_instances]);

const PER_INSTANCE: usize = 6;

/// Who is friends with whom, by member index (instance A: 0..6, B: 6..12).
struct Model {
    friends: BTreeSet<(usize, usize)>,
}

impl Model {
    fn friends(&self, a: usize, b: usize) -> bool {
        self.friends.contains(&(a.min(b), a.max(b)))
    }

    fn rel(&self, v: usize, o: usize) -> Relation {
        if v == o {
            return Relation::SELF;
        }
        let friend = self.friends(v, o);
        let n = 2 * PER_INSTANCE;
        Relation {
            friend,
            friend_of_friend: !friend
                && (0..n).any(|x| x != v && x != o && self.friends(o, x) && self.friends(x, v)),
            ..Relation::default()
        }
    }

    fn same_instance(a: usize, b: usize) -> bool {
        (a < PER_INSTANCE) == (b < PER_INSTANCE)
    }
}

/// The items of a list. An author the viewer's instance has never heard of (nobody there is
/// related to them) is a 404 there: the viewer sees nothing of theirs.
async fn items(m: &Member, path: &str) -> anyhow::Result<Vec<Value>> {
    let (status, page) = m.api.get(path).await?;
    if status == 404 && page["error"] == "not_found" {
        return Ok(Vec::new());
    }
    anyhow::ensure!(status == 200, "GET {path}: {status} {page}");
    Ok(page["items"].as_array().cloned().unwrap_or_default())
}

async fn no_leaks_across_two_instances(t: TestDb) -> anyhow::Result<()> {
    let seed = std::env::var("ENISHI_LEAK_HUNT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("cross-instance leak hunt seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let mut members = Vec::new();
    for i in 0..2 * PER_INSTANCE {
        let node = if i < PER_INSTANCE { &a } else { &b };
        members.push(node.member(&format!("m{i}")).await?);
    }
    let n = members.len();
    let mut model = Model {
        friends: BTreeSet::new(),
    };
    for x in 0..n {
        for y in x + 1..n {
            if rng.gen_bool(0.3) {
                befriend(&members[x], &members[y]).await?;
                model.friends.insert((x, y));
            }
        }
    }

    // Every member writes a diary at every audience.
    let mut posts: BTreeMap<String, (usize, Audience)> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        for audience in Audience::ALL {
            let (s, body) = m
                .api
                .post(
                    "/api/v1/diaries",
                    json!({"title": format!("{} by m{i}", audience.as_str()), "body": "x", "audience": audience}),
                )
                .await?;
            anyhow::ensure!(s == 201, "diary: {s} {body}");
            posts.insert(body["ap_id"].as_str().unwrap().to_owned(), (i, audience));
        }
    }
    settle(&a, &b).await?;

    // Friends comment on what they can see of each other, through their own instance.
    let mut comments: BTreeMap<String, String> = BTreeMap::new(); // comment ap_id → post ap_id
    for &(x, y) in &model.friends {
        for (commenter, author) in [(x, y), (y, x)] {
            if !rng.gen_bool(0.5) {
                continue;
            }
            let list = items(
                &members[commenter],
                &format!("/api/v1/users/{}/diaries", members[author].handle),
            )
            .await?;
            if let Some(p) = list.first() {
                let (s, c) = members[commenter]
                    .api
                    .post(
                        &format!("/api/v1/diaries/{}/comments", p["id"].as_str().unwrap()),
                        json!({"text": format!("from m{commenter}")}),
                    )
                    .await?;
                anyhow::ensure!(s == 201, "comment: {s} {c}");
                comments.insert(
                    c["ap_id"].as_str().unwrap().to_owned(),
                    p["ap_id"].as_str().unwrap().to_owned(),
                );
            }
        }
    }
    settle(&a, &b).await?;

    let mut checks = 0u64;
    let mut problems = Vec::new();
    for (v, viewer) in members.iter().enumerate() {
        for (o, author) in members.iter().enumerate() {
            // What the viewer's own instance shows of the author's diaries.
            let seen = items(viewer, &format!("/api/v1/users/{}/diaries", author.handle)).await?;
            let seen_ids: BTreeSet<String> = seen
                .iter()
                .filter_map(|p| p["ap_id"].as_str().map(str::to_owned))
                .collect();
            for (ap_id, &(author_ix, audience)) in posts.iter().filter(|(_, p)| p.0 == o) {
                checks += 1;
                let local = Model::same_instance(v, author_ix);
                let kind = if local {
                    ViewerKind::Member
                } else {
                    ViewerKind::Remote
                };
                let allowed = may_see(audience, kind, model.rel(v, author_ix));
                let shown = seen_ids.contains(ap_id);
                if shown && !allowed {
                    problems.push(format!("LEAK: m{v} sees {ap_id} ({audience:?} by m{o})"));
                }
                // Friends must get what is theirs, on either instance; locally the rule holds
                // exactly.
                let owed = if local {
                    allowed
                } else {
                    allowed && model.friends(v, author_ix)
                };
                if owed && !shown {
                    problems.push(format!(
                        "DENIED: m{v} misses {ap_id} ({audience:?} by m{o})"
                    ));
                }
            }
            // Comments under what the viewer sees come from those the post's rule allows.
            for p in &seen {
                let list = items(
                    viewer,
                    &format!("/api/v1/diaries/{}/comments", p["id"].as_str().unwrap()),
                )
                .await?;
                for c in list {
                    checks += 1;
                    let cid = c["ap_id"].as_str().unwrap_or_default();
                    if comments.get(cid).map(String::as_str) != p["ap_id"].as_str() {
                        problems.push(format!(
                            "STRAY: m{v} sees comment {cid} under {}",
                            p["ap_id"]
                        ));
                    }
                }
            }
        }
        // Signed fetches at the origin, as the viewer's server would make them.
        for (ap_id, &(author_ix, audience)) in &posts {
            if Model::same_instance(v, author_ix) {
                continue;
            }
            checks += 1;
            let (s, _) = viewer.signed_get(ap_id).await?;
            let allowed = may_see(audience, ViewerKind::Remote, model.rel(v, author_ix));
            if s == 200 && !allowed {
                problems.push(format!(
                    "LEAK: m{v} fetches {ap_id} ({audience:?} by m{author_ix})"
                ));
            }
            // Friends of friends are shown as far as the origin can prove it; friends always.
            let owed =
                allowed && (audience != Audience::FriendsOfFriends || model.friends(v, author_ix));
            if owed && s != 200 {
                problems.push(format!("DENIED: m{v} fetch of {ap_id} ({audience:?}): {s}"));
            }
        }
    }
    // Anonymous visitors: public only, on both instances.
    let client = reqwest::Client::new();
    for (ap_id, &(_, audience)) in &posts {
        checks += 1;
        let s = client
            .get(ap_id)
            .header("accept", "application/activity+json")
            .send()
            .await?
            .status()
            .as_u16();
        if (s == 200) != (audience == Audience::Public) {
            problems.push(format!("ANONYMOUS: {ap_id} ({audience:?}) answered {s}"));
        }
    }
    eprintln!(
        "cross-instance leak hunt: {checks} checks, {} friendships, {} posts, {} comments",
        model.friends.len(),
        posts.len(),
        comments.len()
    );
    anyhow::ensure!(
        problems.is_empty(),
        "{} problems (seed {seed}):\n{}",
        problems.len(),
        problems.join("\n")
    );
    a.stop().await?;
    b.stop().await
}

/// Waits until both instances have delivered everything they queued.
async fn settle(a: &Node, b: &Node) -> anyhow::Result<()> {
    eventually("both outboxes are empty", || async {
        let (sa, sb) = (
            enishi_db::outbox::status(&a.run.db).await?,
            enishi_db::outbox::status(&b.run.db).await?,
        );
        Ok((sa.depth == 0 && sb.depth == 0).then_some(()))
    })
    .await?;
    // Deliveries are in; give the receiving inboxes a moment to finish their writes.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    Ok(())
}

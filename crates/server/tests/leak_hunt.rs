//! The leak hunt (issue 3): a community of 30 members with random friendships, blocks, profile
//! settings and content at every audience; then every member and an anonymous visitor request
//! every object through every read path of the API, and what each one sees must equal what the
//! audience rule allows — no leaks and no wrongful denials. On SQLite and PostgreSQL.
//!
//! The expected answers come from `enishi_core`'s pure functions applied to a model of the
//! community that the test keeps itself.

mod common;

use common::{Api, Member, instance, member};
use enishi_core::{
    Audience, Relation, ViewerKind, may_see, may_see_introduction, may_see_reaction,
};
use enishi_testkit::TestDb;
use futures::stream::{self, TryStreamExt};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

enishi_testkit::main!(db: [leak_hunt]);

const MEMBERS: usize = 30;
const CONCURRENCY: usize = 8;

#[derive(Default)]
struct Model {
    friends: BTreeSet<(usize, usize)>,
    blocks: BTreeSet<(usize, usize)>,
    /// id → (author, audience, kind path)
    posts: BTreeMap<String, (usize, Audience, &'static str)>,
    /// id → (post id, author)
    comments: BTreeMap<String, (String, usize)>,
    /// (post id, liker)
    likes: BTreeSet<(String, usize)>,
    /// id → (writer, subject, hidden)
    intros: BTreeMap<String, (usize, usize, bool)>,
    intro_audience: Vec<Audience>,
    friends_audience: Vec<Audience>,
    nickname_audience: Vec<Audience>,
    /// per member: (name, audience)
    fields: Vec<Vec<(String, Audience)>>,
    footprints_off: BTreeSet<usize>,
}

impl Model {
    fn are_friends(&self, a: usize, b: usize) -> bool {
        self.friends.contains(&(a.min(b), a.max(b)))
    }

    fn blocked(&self, a: usize, b: usize) -> bool {
        self.blocks.contains(&(a, b)) || self.blocks.contains(&(b, a))
    }

    /// The relation of viewer `v` (None = anonymous) to owner `o`.
    fn rel(&self, v: Option<usize>, o: usize) -> Relation {
        let Some(v) = v else {
            return Relation::default();
        };
        if v == o {
            return Relation::SELF;
        }
        let friend = self.are_friends(v, o);
        let fof = !friend
            && (0..MEMBERS)
                .any(|x| x != v && x != o && self.are_friends(o, x) && self.are_friends(x, v));
        Relation {
            is_self: false,
            friend,
            friend_of_friend: fof,
            blocked: self.blocked(v, o),
            // Local posts have no addressed recipients.
            addressed: false,
        }
    }

    fn kind(v: Option<usize>) -> ViewerKind {
        if v.is_some() {
            ViewerKind::Member
        } else {
            ViewerKind::Anonymous
        }
    }

    fn sees_post(&self, v: Option<usize>, id: &str) -> bool {
        let (author, audience, _) = self.posts[id];
        may_see(audience, Self::kind(v), self.rel(v, author))
    }

    fn sees_reaction(&self, v: Option<usize>, post: &str, author: usize) -> bool {
        let (parent_author, audience, _) = self.posts[post];
        may_see_reaction(
            audience,
            Self::kind(v),
            self.rel(v, parent_author),
            self.rel(v, author),
        )
    }

    fn sees_intro(&self, v: Option<usize>, id: &str) -> bool {
        let (writer, subject, hidden) = self.intros[id];
        may_see_introduction(
            self.intro_audience[subject],
            Self::kind(v),
            self.rel(v, subject),
            self.rel(v, writer),
            hidden,
        )
    }

    fn sever(&mut self, a: usize, b: usize) {
        self.friends.remove(&(a.min(b), a.max(b)));
        self.intros
            .retain(|_, (w, s, _)| !((*w == a && *s == b) || (*w == b && *s == a)));
    }
}

fn name(i: usize) -> String {
    format!("m{i:02}")
}

async fn all_pages(api: &Api, path: &str) -> anyhow::Result<(u16, Vec<Value>)> {
    let mut out = Vec::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}limit=100");
    loop {
        let (s, page) = api.get(&url).await?;
        if s != 200 {
            return Ok((s.as_u16(), out));
        }
        out.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next"].as_str() {
            Some(n) => url = format!("{path}{sep}limit=100&cursor={n}"),
            None => return Ok((200, out)),
        }
    }
}

fn ids(items: &[Value], field: &str) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn build(
    run: &enishi_server::Running,
    rng: &mut StdRng,
) -> anyhow::Result<(Vec<Member>, Model)> {
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        members.push(member(run, &name(i)).await?);
    }
    let mut m = Model::default();
    let audiences = Audience::ALL;

    // Friendships: about 4 per member, through request and acceptance.
    for a in 0..MEMBERS {
        for _ in 0..2 {
            let b = rng.gen_range(0..MEMBERS);
            if a == b || m.are_friends(a, b) {
                continue;
            }
            common::befriend(&members[a], &members[b]).await?;
            m.friends.insert((a.min(b), a.max(b)));
        }
    }
    // Some requests left pending.
    for _ in 0..8 {
        let (a, b) = (rng.gen_range(0..MEMBERS), rng.gen_range(0..MEMBERS));
        if a != b && !m.are_friends(a, b) {
            members[a]
                .api
                .post("/api/v1/friends/requests", json!({"target": name(b)}))
                .await?;
        }
    }

    // Settings and profile fields at every audience.
    for (i, mem) in members.iter().enumerate() {
        let intro = *audiences.choose(rng).unwrap();
        let friends = *audiences.choose(rng).unwrap();
        let nickname = *audiences.choose(rng).unwrap();
        m.nickname_audience.push(nickname);
        let footprints = rng.gen_bool(0.8);
        if !footprints {
            m.footprints_off.insert(i);
        }
        let (s, b) = mem
            .api
            .patch("/api/v1/me/settings", json!({"introductions_audience": intro, "friends_audience": friends, "footprints_enabled": footprints, "nickname_audience": nickname}))
            .await?;
        anyhow::ensure!(s == 200, "settings: {b}");
        m.intro_audience.push(intro);
        m.friends_audience.push(friends);
        let fields: Vec<(String, Audience)> = audiences
            .iter()
            .map(|a| (format!("{}-{}", name(i), a.as_str()), *a))
            .collect();
        let body: Vec<Value> = fields
            .iter()
            .map(|(n, a)| json!({"name": n, "value": "v", "audience": a}))
            .collect();
        let (s, b) = mem
            .api
            .patch(
                "/api/v1/me/profile",
                json!({"nickname": name(i), "fields": body}),
            )
            .await?;
        anyhow::ensure!(s == 200, "profile: {b}");
        m.fields.push(fields);
    }

    // Content: every member writes at every audience, diaries and voice posts mixed.
    for (i, mem) in members.iter().enumerate() {
        for audience in audiences {
            let (path, kind, body) = if rng.gen_bool(0.5) {
                (
                    "/api/v1/diaries",
                    "diaries",
                    json!({"title": format!("{} {}", name(i), audience.as_str()), "body": "b", "audience": audience}),
                )
            } else {
                (
                    "/api/v1/voices",
                    "voices",
                    json!({"text": format!("{} {}", name(i), audience.as_str()), "audience": audience}),
                )
            };
            let (s, p) = mem.api.post(path, body).await?;
            anyhow::ensure!(s == 201, "post: {p}");
            m.posts
                .insert(p["id"].as_str().unwrap().to_owned(), (i, audience, kind));
        }
    }

    // Comments and likes: random attempts; the API must allow exactly those the rule allows.
    let post_ids: Vec<String> = m.posts.keys().cloned().collect();
    for _ in 0..200 {
        let v = rng.gen_range(0..MEMBERS);
        let id = post_ids.choose(rng).unwrap().clone();
        let kind = m.posts[&id].2;
        let allowed = m.sees_post(Some(v), &id);
        if rng.gen_bool(0.5) {
            let (s, c) = members[v]
                .api
                .post(
                    &format!("/api/v1/{kind}/{id}/comments"),
                    json!({"text": "c"}),
                )
                .await?;
            anyhow::ensure!(
                (s == 201) == allowed,
                "comment by {} on {id}: {s} (allowed {allowed})",
                name(v)
            );
            if s == 201 {
                m.comments
                    .insert(c["id"].as_str().unwrap().to_owned(), (id, v));
            }
        } else {
            let (s, _) = members[v]
                .api
                .post_empty(&format!("/api/v1/{kind}/{id}/like"))
                .await?;
            anyhow::ensure!(
                (s == 204) == allowed,
                "like by {} on {id}: {s} (allowed {allowed})",
                name(v)
            );
            if s == 204 {
                m.likes.insert((id, v));
            }
        }
    }

    // Introductions between friends, some hidden by their subject.
    let pairs: Vec<(usize, usize)> = m.friends.iter().copied().collect();
    for (a, b) in pairs {
        for (w, s) in [(a, b), (b, a)] {
            if rng.gen_bool(0.5) {
                let (st, i) = members[w]
                    .api
                    .post(
                        &format!("/api/v1/users/{}/introductions", name(s)),
                        json!({"text": "kind words"}),
                    )
                    .await?;
                anyhow::ensure!(st == 201, "introduction: {i}");
                let id = i["id"].as_str().unwrap().to_owned();
                let hidden = rng.gen_bool(0.25);
                if hidden {
                    members[s]
                        .api
                        .post_empty(&format!("/api/v1/introductions/{id}/hide"))
                        .await?;
                }
                m.intros.insert(id, (w, s, hidden));
            }
        }
    }

    // Blocks, some between friends (which ends the friendship and its introductions).
    for _ in 0..6 {
        let (a, b) = (rng.gen_range(0..MEMBERS), rng.gen_range(0..MEMBERS));
        if a == b || m.blocks.contains(&(a, b)) {
            continue;
        }
        let (s, body) = members[a]
            .api
            .post("/api/v1/blocks", json!({"target": name(b)}))
            .await?;
        anyhow::ensure!(s == 204, "block: {body}");
        m.blocks.insert((a, b));
        m.sever(a, b);
        // A block also removes the two's comments and likes on each other's posts.
        let posts = &m.posts;
        m.comments.retain(|_, (post, author)| {
            !((*author == a && posts[post].0 == b) || (*author == b && posts[post].0 == a))
        });
        m.likes.retain(|(post, liker)| {
            !((*liker == a && posts[post].0 == b) || (*liker == b && posts[post].0 == a))
        });
    }
    Ok((members, m))
}

/// Footprints the hunt should have left: (owner, visitor, target), target "profile" or a diary id.
type Prints = BTreeSet<(usize, usize, String)>;

fn leaves_footprint(m: &Model, v: Option<usize>, owner: usize) -> Option<usize> {
    let v = v?;
    (v != owner && !m.footprints_off.contains(&v) && !m.footprints_off.contains(&owner))
        .then_some(v)
}

/// Everything one viewer can request, checked against the model. Returns the number of checks.
async fn hunt_viewer(
    api: &Api,
    v: Option<usize>,
    m: &Model,
    prints: &std::sync::Mutex<Prints>,
) -> anyhow::Result<usize> {
    let who = v.map_or("anonymous".to_owned(), name);
    let kind = Model::kind(v);
    let checks = std::sync::atomic::AtomicUsize::new(0);
    let tick = || checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);

    // 1. Every post, its comments and its likes.
    stream::iter(m.posts.iter().map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |(id, (author, audience, kind_path))| {
            let (tick, who, prints) = (&tick, &who, prints);
            async move {
                let sees = m.sees_post(v, id);
                let (s, p) = api.get(&format!("/api/v1/{kind_path}/{id}")).await?;
                anyhow::ensure!(
                    (s == 200) == sees,
                    "{who} GET {kind_path}/{id} ({} by {}): {s}, allowed {sees}",
                    audience.as_str(),
                    name(*author)
                );
                anyhow::ensure!(s == 200 || s == 404, "{who} GET {id}: {s}");
                if s == 200 {
                    anyhow::ensure!(
                        p["audience"] == audience.as_str()
                            && p["author_handle"] == name(*author).as_str(),
                        "{who}: wrong post {p}"
                    );
                    let nickname_visible =
                        may_see(m.nickname_audience[*author], kind, m.rel(v, *author));
                    anyhow::ensure!(
                        p["author"]["nickname"].is_string() == nickname_visible,
                        "{who}: nickname of {} on {id}",
                        name(*author)
                    );
                    if *kind_path == "diaries"
                        && let Some(visitor) = leaves_footprint(m, v, *author)
                    {
                        prints
                            .lock()
                            .unwrap()
                            .insert((*author, visitor, id.clone()));
                    }
                }
                tick();
                let (s, list) =
                    all_pages(api, &format!("/api/v1/{kind_path}/{id}/comments")).await?;
                anyhow::ensure!((s == 200) == sees, "{who} comments of {id}: {s}");
                if sees {
                    let want: BTreeSet<String> = m
                        .comments
                        .iter()
                        .filter(|(_, (post, a))| post == id && m.sees_reaction(v, post, *a))
                        .map(|(cid, _)| cid.clone())
                        .collect();
                    anyhow::ensure!(
                        ids(&list, "id") == want,
                        "{who} comments of {id}: got {:?}, want {want:?}",
                        ids(&list, "id")
                    );
                }
                tick();
                let (s, list) = all_pages(api, &format!("/api/v1/{kind_path}/{id}/likes")).await?;
                anyhow::ensure!((s == 200) == sees, "{who} likes of {id}: {s}");
                if sees {
                    let want: BTreeSet<String> = m
                        .likes
                        .iter()
                        .filter(|(post, l)| post == id && m.sees_reaction(v, post, *l))
                        .map(|(_, l)| name(*l))
                        .collect();
                    anyhow::ensure!(
                        ids(&list, "handle") == want,
                        "{who} likes of {id}: got {:?}, want {want:?}",
                        ids(&list, "handle")
                    );
                }
                tick();
                Ok(())
            }
        })
        .await?;

    // 2. Every member's profile, posts, friends and introductions.
    stream::iter((0..MEMBERS).map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |o| {
            let (tick, who, prints) = (&tick, &who, prints);
            async move {
                let on = name(o);
                let rel = m.rel(v, o);
                let hidden = rel.blocked;
                let (s, p) = api.get(&format!("/api/v1/users/{on}")).await?;
                anyhow::ensure!(
                    (s == 404) == hidden && (s == 200) != hidden,
                    "{who} profile of {on}: {s}"
                );
                if s == 200 {
                    let want: BTreeSet<String> = m.fields[o]
                        .iter()
                        .filter(|(_, a)| may_see(*a, kind, rel))
                        .map(|(n, _)| n.clone())
                        .collect();
                    let got: BTreeSet<String> = p["fields"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|f| f["name"].as_str().unwrap().to_owned())
                        .collect();
                    anyhow::ensure!(
                        got == want,
                        "{who} fields of {on}: got {got:?}, want {want:?}"
                    );
                    anyhow::ensure!(
                        p["friends_visible"] == may_see(m.friends_audience[o], kind, rel),
                        "{who} friends_visible of {on}"
                    );
                    anyhow::ensure!(
                        p["nickname"].is_string() == may_see(m.nickname_audience[o], kind, rel),
                        "{who} nickname of {on}"
                    );
                    anyhow::ensure!(
                        p["introductions_visible"] == may_see(m.intro_audience[o], kind, rel),
                        "{who} introductions_visible of {on}"
                    );
                    if let Some(visitor) = leaves_footprint(m, v, o) {
                        prints
                            .lock()
                            .unwrap()
                            .insert((o, visitor, "profile".into()));
                    }
                }
                tick();
                for kind_path in ["diaries", "voices"] {
                    let (s, list) =
                        all_pages(api, &format!("/api/v1/users/{on}/{kind_path}")).await?;
                    anyhow::ensure!((s == 404) == hidden, "{who} {kind_path} of {on}: {s}");
                    if !hidden {
                        let want: BTreeSet<String> = m
                            .posts
                            .iter()
                            .filter(|(id, (a, _, k))| {
                                *a == o && *k == kind_path && m.sees_post(v, id)
                            })
                            .map(|(id, _)| id.clone())
                            .collect();
                        anyhow::ensure!(
                            ids(&list, "id") == want,
                            "{who} {kind_path} of {on}: got {:?}, want {want:?}",
                            ids(&list, "id")
                        );
                    }
                    tick();
                }
                let (s, list) = all_pages(api, &format!("/api/v1/users/{on}/friends")).await?;
                anyhow::ensure!((s == 404) == hidden, "{who} friends of {on}: {s}");
                if !hidden {
                    let want: BTreeSet<String> = if may_see(m.friends_audience[o], kind, rel) {
                        (0..MEMBERS)
                            .filter(|f| {
                                m.are_friends(o, *f)
                                    && !v.is_some_and(|v| v != *f && m.blocked(v, *f))
                            })
                            .map(name)
                            .collect()
                    } else {
                        BTreeSet::new()
                    };
                    anyhow::ensure!(
                        ids(&list, "handle") == want,
                        "{who} friends of {on}: got {:?}, want {want:?}",
                        ids(&list, "handle")
                    );
                }
                tick();
                let (s, list) =
                    all_pages(api, &format!("/api/v1/users/{on}/introductions")).await?;
                anyhow::ensure!((s == 404) == hidden, "{who} introductions of {on}: {s}");
                if !hidden {
                    let want: BTreeSet<String> = m
                        .intros
                        .iter()
                        .filter(|(id, (_, s, _))| *s == o && m.sees_intro(v, id))
                        .map(|(id, _)| id.clone())
                        .collect();
                    anyhow::ensure!(
                        ids(&list, "id") == want,
                        "{who} introductions of {on}: got {:?}, want {want:?}",
                        ids(&list, "id")
                    );
                }
                tick();
                Ok(())
            }
        })
        .await?;

    // 3. Every introduction by id.
    for id in m.intros.keys() {
        let (s, _) = api.get(&format!("/api/v1/introductions/{id}")).await?;
        anyhow::ensure!(
            (s == 200) == m.sees_intro(v, id),
            "{who} introduction {id}: {s}"
        );
        tick();
    }

    // 4. Public pages: the HTML profile and the actor document show only public parts.
    if v.is_none() {
        let client = reqwest::Client::new();
        for o in 0..MEMBERS {
            let url = format!("{}/users/{}", api.base, name(o));
            let html = client
                .get(&url)
                .header("accept", "text/html")
                .send()
                .await?
                .text()
                .await?;
            let doc = client
                .get(&url)
                .header("accept", "application/activity+json")
                .send()
                .await?
                .text()
                .await?;
            for (field, audience) in &m.fields[o] {
                let public = *audience == Audience::Public;
                anyhow::ensure!(
                    html.contains(field.as_str()) == public,
                    "profile page of {} and field {field}",
                    name(o)
                );
                anyhow::ensure!(
                    !doc.contains(field.as_str()),
                    "actor document of {} carries field {field}",
                    name(o)
                );
            }
            tick();
        }
    }

    let Some(me) = v else {
        for path in [
            "/api/v1/timeline",
            "/api/v1/notifications",
            "/api/v1/footprints",
        ] {
            anyhow::ensure!(api.get(path).await?.0 == 401, "anonymous {path}");
            tick();
        }
        return Ok(checks.into_inner());
    };

    // 5. The home timeline: own and friends' posts the member may see, newest first.
    let (s, list) = all_pages(api, "/api/v1/timeline").await?;
    anyhow::ensure!(s == 200);
    let want: BTreeSet<String> = m
        .posts
        .iter()
        .filter(|(id, (a, _, _))| (*a == me || m.are_friends(me, *a)) && m.sees_post(v, id))
        .map(|(id, _)| id.clone())
        .collect();
    anyhow::ensure!(
        ids(&list, "id") == want,
        "{who} timeline: got {:?}, want {want:?}",
        ids(&list, "id")
    );
    let times: Vec<&str> = list
        .iter()
        .map(|p| p["created_at"].as_str().unwrap())
        .collect();
    anyhow::ensure!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "{who} timeline is newest first"
    );
    tick();

    // 6. Notifications: only the member's own, about things they may see, from nobody blocked.
    let (s, list) = all_pages(api, "/api/v1/notifications").await?;
    anyhow::ensure!(s == 200);
    for n in &list {
        let actor = n["actor"]["handle"].as_str().unwrap();
        let a: usize = actor[1..].parse()?;
        anyhow::ensure!(!m.blocked(me, a), "{who} notified about blocked {actor}");
        if let Some(post) = n["post_id"].as_str() {
            anyhow::ensure!(
                m.sees_post(v, post),
                "{who} notified about invisible {post}"
            );
        }
    }
    let of_kind = |k: &str, f: &str| -> BTreeSet<String> {
        list.iter()
            .filter(|n| n["kind"] == k)
            .map(|n| {
                format!(
                    "{}/{}",
                    n[f].as_str().unwrap_or(""),
                    n["actor"]["handle"].as_str().unwrap()
                )
            })
            .collect()
    };
    let want_comments: BTreeSet<String> = m
        .comments
        .iter()
        .filter(|(_, (post, a))| m.posts[post].0 == me && *a != me && !m.blocked(me, *a))
        .map(|(cid, (_, a))| format!("{cid}/{}", name(*a)))
        .collect();
    anyhow::ensure!(
        of_kind("comment", "comment_id") == want_comments,
        "{who} comment notifications"
    );
    let want_likes: BTreeSet<String> = m
        .likes
        .iter()
        .filter(|(post, l)| m.posts[post].0 == me && *l != me && !m.blocked(me, *l))
        .map(|(post, l)| format!("{post}/{}", name(*l)))
        .collect();
    anyhow::ensure!(
        of_kind("like", "post_id") == want_likes,
        "{who} like notifications"
    );
    let want_intros: BTreeSet<String> = m
        .intros
        .iter()
        .filter(|(_, (w, s, _))| *s == me && *w != me)
        .map(|(id, (w, _, _))| format!("{id}/{}", name(*w)))
        .collect();
    anyhow::ensure!(
        of_kind("introduction", "introduction_id") == want_intros,
        "{who} introduction notifications"
    );
    tick();
    Ok(checks.into_inner())
}

async fn leak_hunt(t: TestDb) -> anyhow::Result<()> {
    let seed: u64 = std::env::var("ENISHI_LEAK_HUNT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026);
    eprintln!("leak hunt seed {seed} (set ENISHI_LEAK_HUNT_SEED to replay another)");
    let mut rng = StdRng::seed_from_u64(seed);
    let run = instance(&t).await?;
    let (members, m) = build(&run, &mut rng).await?;
    let prints = std::sync::Mutex::new(Prints::new());
    let mut checks = hunt_viewer(&members[0].api.anonymous(), None, &m, &prints).await?;
    for (i, mem) in members.iter().enumerate() {
        checks += hunt_viewer(&mem.api, Some(i), &m, &prints).await?;
    }
    // 7. Footprints, after every visit: exactly the visits the model expects, owner-only.
    let prints = prints.into_inner().unwrap();
    for (o, mem) in members.iter().enumerate() {
        let (_, list) = all_pages(&mem.api, "/api/v1/footprints").await?;
        let got: BTreeSet<(usize, String)> = list
            .iter()
            .map(|f| {
                let visitor: usize = f["visitor"]["handle"].as_str().unwrap()[1..]
                    .parse()
                    .unwrap();
                let target = f["diary_id"]
                    .as_str()
                    .map_or("profile".to_owned(), str::to_owned);
                (visitor, target)
            })
            .collect();
        let want: BTreeSet<(usize, String)> = prints
            .iter()
            .filter(|(owner, visitor, _)| *owner == o && !m.blocked(o, *visitor))
            .map(|(_, v, t)| (*v, t.clone()))
            .collect();
        anyhow::ensure!(
            got == want,
            "footprints of {}: got {got:?}, want {want:?}",
            name(o)
        );
        checks += 1;
    }
    let audiences: BTreeSet<&str> = m.posts.values().map(|(_, a, _)| a.as_str()).collect();
    anyhow::ensure!(audiences.len() == 5, "content at every audience");
    eprintln!(
        "leak hunt: {} members, {} friendships, {} blocks, {} posts, {} comments, {} likes, {} introductions; {checks} checks, no leaks",
        MEMBERS,
        m.friends.len(),
        m.blocks.len(),
        m.posts.len(),
        m.comments.len(),
        m.likes.len(),
        m.intros.len()
    );
    run.stop().await
}

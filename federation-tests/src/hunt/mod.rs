//! The cross-instance leak hunt (issues 5 and 11), driven by `tests/leak_hunt.rs`.
//!
//! Two instances, a random community of members on both, content at every audience and a
//! unique marker in every piece of text (diaries, voice posts, comments, introductions,
//! nicknames, bios, profile fields), and a photo on some posts, whose URLs (each instance has
//! its own for a post's photo) count as the post's id. Reading happens twice: once after everything was delivered,
//! and again after a second phase of changes — unfriending from either side, blocking and
//! unblocking a friend, narrowing and widening posts, hiding and deleting introductions,
//! changing section audiences, deleting comments — because that is when copies held elsewhere
//! go stale. Every body that comes back (API, HTML pages, ActivityPub documents and collections,
//! anonymously and signed as a remote member) is scanned for markers and object ids its reader
//! may not see, so a leak is found whatever path or shape carries it. Problems are collected
//! rather than asserted, so one run reports all of them with their seed.
//!
//! The oracle (`oracle.rs`) is `enishi_core`'s rule on the true friendship graph, so that a
//! LEAK never depends on what an instance could prove, plus what federation adds:
//! - on a reader's own instance, a restricted post from the other instance is for the author's
//!   current friends only; `members` and `private` never leave;
//! - a post is owed to a friend on the other instance who received it and has stayed entitled
//!   ever since (a public post narrowed to friends included); a widened one is not (it never
//!   travelled);
//! - every comment on a friends or friends-of-friends post is owed to the post's friends on the
//!   other instance, whoever wrote it (the author's instance passes it on), unless a block
//!   stands between commenter and reader; a deleted comment is gone everywhere;
//! - an introduction obeys its subject's section audience wherever it is shown, and is owed
//!   exactly on the subject's instance; a friends list obeys its owner's audience everywhere;
//! - a block between two members of one instance is not held against the other instance,
//!   which cannot know of it;
//! - a signed fetch at the origin is owed to friends, to friends of friends only as far as the
//!   origin can prove it; an anonymous one exactly to public posts;
//! - no API answer labels a post `private` for anyone but its author.

mod build;
mod change;
mod judge;
mod model;
mod oracle;
mod read;

pub use model::{Mark, Model};
pub use read::Depth;

use crate::cluster::{Member, Node, PATIENCE};
use enishi_testkit::DbKind;
use enishi_testkit::markers::marker;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Members per instance.
pub const PER_INSTANCE: usize = 8;

/// The share of the reads a reader is not expected to need that are made anyway. Always made:
/// the lists of every member of the reader's instance and of everyone they are or were related
/// to, objects by id the reader was shown before but not now (a stale copy would answer), what
/// is owed, and every post a signed fetch is or was allowed; all of the rest at every reader
/// would make a run too slow.
const SAMPLE: f64 = 0.15;

/// Requests in flight at once.
const CONCURRENCY: usize = 12;

/// What one instance's API calls each object: ActivityPub id → API path (`diaries/ID`) or
/// introduction id there.
#[derive(Debug, Default)]
struct Known {
    posts: BTreeMap<String, String>,
    intros: BTreeMap<String, String>,
}

/// Figures of one seed's run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Friendships before the changes.
    pub friendships: usize,
    /// Posts.
    pub posts: usize,
    /// Comments.
    pub comments: usize,
    /// Introductions.
    pub intros: usize,
    /// Responses read and judged.
    pub reads: usize,
}

/// One seed's hunt.
pub struct Hunt {
    seed: u64,
    nodes: Vec<Node>,
    members: Vec<Member>,
    model: Model,
    rng: StdRng,
    known: Vec<Known>,
    /// What each reader (member, or anonymous on an instance) was shown in a list, with the
    /// last phase in which they were.
    shown: BTreeMap<(Option<usize>, usize), BTreeMap<String, u8>>,
    /// Posts each member fetched, signed, from the other instance (their replies are read).
    fetched: BTreeSet<(usize, String)>,
    /// Posts of the other instance each member might fetch before the changes.
    entitled: BTreeSet<(usize, String)>,
    /// (phase, what is wrong) → where it was seen.
    problems: BTreeMap<(u8, String), Vec<String>>,
    phase: u8,
    stats: Stats,
    /// Photo key → the ActivityPub id of the post that carries it, on either instance (each
    /// keeps its own keys for a post's photos): a photo URL in a body is that post's, judged
    /// as its id would be.
    photo_keys: BTreeMap<String, String>,
}

impl Hunt {
    /// Reads which post each photo key of each instance belongs to, from the databases (a
    /// remote post's photos get keys of the reader's instance when they arrive).
    async fn learn_photo_keys(&mut self) -> anyhow::Result<()> {
        use sea_orm::{ConnectionTrait, Statement};
        for n in &self.nodes {
            let db = &n.run.db.conn;
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT media.key AS key, post.ap_id AS ap_id FROM media \
                     JOIN post ON post.id = media.post_id",
                ))
                .await?;
            for row in rows {
                let key: String = row.try_get("", "key")?;
                let ap: String = row.try_get("", "ap_id")?;
                self.photo_keys.insert(key, ap);
            }
        }
        anyhow::ensure!(!self.photo_keys.is_empty(), "the hunt's posts carry photos");
        Ok(())
    }
}

/// Runs one seed on two fresh instances of `kind`; returns the problems found. The read
/// before the changes covers every list and page only when `thorough` (once per run is
/// enough: what is wrong before the changes mostly stays wrong after them, and the read after
/// them covers everything); otherwise it learns only what the read after needs.
pub async fn run_seed(
    kind: DbKind,
    seed: u64,
    thorough: bool,
) -> anyhow::Result<(Vec<String>, Stats)> {
    let mut nodes = Vec::new();
    for _ in 0..2 {
        nodes.push(Node::start(kind).await?);
    }
    let mut members = Vec::new();
    for i in 0..2 * PER_INSTANCE {
        let name = format!("{}{}", ["a", "b"][i / PER_INSTANCE], i % PER_INSTANCE);
        members.push(nodes[i / PER_INSTANCE].member(&name).await?);
    }
    let model = Model {
        per: PER_INSTANCE,
        domains: nodes.iter().map(|n| n.domain().to_owned()).collect(),
        ..Model::default()
    };
    let mut h = Hunt {
        seed,
        nodes,
        members,
        model,
        rng: StdRng::seed_from_u64(seed),
        known: vec![Known::default(), Known::default()],
        shown: BTreeMap::new(),
        fetched: BTreeSet::new(),
        entitled: BTreeSet::new(),
        problems: BTreeMap::new(),
        phase: 1,
        stats: Stats::default(),
        photo_keys: BTreeMap::new(),
    };
    h.build().await?;
    h.stats.friendships = h.model.friends.len();
    h.learn_photo_keys().await?;
    h.read_all(if thorough { Depth::Lists } else { Depth::Lean })
        .await?;
    h.phase = 2;
    h.change().await?;
    h.learn_photo_keys().await?;
    h.read_all(Depth::Full).await?;
    h.stats.posts = h.model.posts.len();
    h.stats.comments = h.model.comments.len();
    h.stats.intros = h.model.intros.len();
    let problems = h.report();
    let Hunt { nodes, stats, .. } = h;
    for n in nodes {
        n.stop().await?;
    }
    Ok((problems, stats))
}

impl Hunt {
    /// Records a problem: `head` says what is wrong, the same for every read that shows it;
    /// `place` says where (empty for a failed change).
    fn problem(&mut self, head: String, place: String) {
        let places = self.problems.entry((self.phase, head)).or_default();
        if !places.contains(&place) {
            places.push(place);
        }
    }

    /// One line per problem, with the seed and phase that replay it and where it was seen.
    fn report(&self) -> Vec<String> {
        self.problems
            .iter()
            .map(|((phase, head), places)| {
                let at = match places.first() {
                    Some(p) if !p.is_empty() => format!(" — {p}"),
                    _ => String::new(),
                };
                let more = match places.len() {
                    0 | 1 => String::new(),
                    n => format!(
                        " (and {} more, e.g. {})",
                        n - 1,
                        examples(places).join("; ")
                    ),
                };
                format!("seed {} phase {phase}: {head}{at}{more}", self.seed)
            })
            .collect()
    }

    /// A fresh marker standing for `mark`.
    fn mark(&mut self, mark: Mark) -> String {
        let m = marker(self.rng.r#gen());
        self.model.marks.insert(m.clone(), mark);
        m
    }

    /// Waits until both instances have delivered everything they queued. A delivery given up
    /// on (a timeout or a refusal while the shared machine is overloaded) would leave a stale
    /// copy that reads as a leak: its reason is printed and it is requeued, as a real server's
    /// days of retries would; up to three times, after which what stays undelivered is left
    /// for the hunt to judge.
    async fn settle(&self) -> anyhow::Result<()> {
        for round in 0..=3 {
            let start = std::time::Instant::now();
            loop {
                let mut depth = 0;
                for n in &self.nodes {
                    depth += enishi_db::outbox::status(&n.run.db).await?.depth;
                }
                if depth == 0 {
                    break;
                }
                anyhow::ensure!(start.elapsed() < PATIENCE, "gave up waiting for deliveries");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let mut dead = 0;
            for n in &self.nodes {
                for h in enishi_db::delivery_health::hosts(&n.run.db).await? {
                    if h.dead > 0 {
                        dead += h.dead;
                        eprintln!(
                            "leak hunt seed {}: {} deliveries to {} given up ({})",
                            self.seed,
                            h.dead,
                            h.host,
                            h.last_error.as_deref().unwrap_or("no reason kept")
                        );
                    }
                }
            }
            if dead == 0 || round == 3 {
                break;
            }
            for n in &self.nodes {
                enishi_db::outbox::retry_dead(&n.run.db, None).await?;
                n.run.wake.notify_one();
            }
        }
        // Deliveries are in; give the receiving inboxes a moment to finish their writes.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(())
    }

    /// The id of introduction `ap` on `m`'s instance, looked up in `m`'s list of their own
    /// introductions when not yet known.
    async fn intro_id_for(&mut self, m: usize, ap: &str) -> anyhow::Result<Option<String>> {
        let at = self.model.instance(m);
        if let Some(id) = self.known[at].intros.get(ap) {
            return Ok(Some(id.clone()));
        }
        let path = format!("/api/v1/users/{}/introductions", self.model.name(m));
        let (_, page) = self.members[m].api.get(&path).await?;
        for i in page["items"].as_array().into_iter().flatten() {
            if let (Some(a), Some(id)) = (i["ap_id"].as_str(), i["id"].as_str()) {
                self.known[at].intros.insert(a.to_owned(), id.to_owned());
            }
        }
        Ok(self.known[at].intros.get(ap).cloned())
    }
}

/// Up to three more places after the first, of as many kinds of read as there are (a list, an
/// object by id, a timeline, a signed fetch, …) rather than the same read by other readers.
fn examples(places: &[String]) -> Vec<&str> {
    let kind = |p: &str| -> String {
        let how = p.split(" via ").nth(1).unwrap_or(p);
        how.split('/')
            .map(|seg| {
                if seg.contains('-') || seg.contains('@') {
                    "*"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut seen = vec![kind(&places[0])];
    let mut out: Vec<&str> = Vec::new();
    for p in &places[1..] {
        let k = kind(p);
        if !seen.contains(&k) {
            seen.push(k);
            out.push(p);
        }
    }
    for p in &places[1..] {
        if out.len() >= 3 {
            break;
        }
        if !out.contains(&p.as_str()) {
            out.push(p);
        }
    }
    out.truncate(3);
    out
}

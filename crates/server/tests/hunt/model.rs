//! The community as the hunt knows it, and the expected answers from `enishi_core`'s pure
//! functions.

use enishi_core::{
    Audience, Relation, ViewerKind, may_see, may_see_introduction, may_see_reaction,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Whose text a marker is in.
#[derive(Debug, Clone)]
pub enum Mark {
    /// A post's title and body (or text), by id.
    Post(String),
    /// A comment, by id; once deleted (or removed by a block) nobody may see it.
    Comment(String),
    /// An introduction, by id; once deleted (or gone with the friendship) nobody may see it.
    Intro(String),
    /// A part of a profile; a replaced value keeps the audience it had.
    Profile {
        /// The member.
        owner: usize,
        /// `nickname`, `bio` or `field`.
        part: &'static str,
        /// Who may see it.
        audience: Audience,
    },
}

/// A diary or voice post.
#[derive(Debug, Clone)]
pub struct Post {
    pub author: usize,
    pub audience: Audience,
    /// `diaries` or `voices`.
    pub kind: &'static str,
    pub marker: String,
    /// The member its text mentions (`@name`); every post carries `#hunt`.
    pub mentions: usize,
}

#[derive(Debug, Default)]
pub struct Model {
    pub n: usize,
    pub friends: BTreeSet<(usize, usize)>,
    /// (blocker, blocked).
    pub blocks: BTreeSet<(usize, usize)>,
    /// Friend requests left pending: (from, to).
    pub requests: BTreeSet<(usize, usize)>,
    /// (member, post id): the posts each member bookmarked through a Mastodon app.
    pub bookmarks: BTreeSet<(usize, String)>,
    /// How friendships ended in the second phase, for reports.
    pub ended: BTreeMap<(usize, usize), String>,
    /// By id.
    pub posts: BTreeMap<String, Post>,
    /// id → (post id, author).
    pub comments: BTreeMap<String, (String, usize)>,
    /// (post id, liker).
    pub likes: BTreeSet<(String, usize)>,
    /// Likes a block removed: their notifications may show again once the block is lifted.
    pub unliked: BTreeSet<(String, usize)>,
    /// id → (writer, subject, hidden).
    pub intros: BTreeMap<String, (usize, usize, bool)>,
    /// Introductions deleted or gone with a friendship: nobody may read them.
    pub gone_intros: BTreeSet<String>,
    /// Comments deleted or removed by a block: nobody may read them.
    pub gone_comments: BTreeSet<String>,
    pub intro_audience: Vec<Audience>,
    pub friends_audience: Vec<Audience>,
    pub nickname_audience: Vec<Audience>,
    /// Per member: (name, audience).
    pub fields: Vec<Vec<(String, Audience)>>,
    pub footprints_off: BTreeSet<usize>,
    /// Every marker written.
    pub marks: HashMap<String, Mark>,
    /// (member, post id): the mentions that told their member, as the rule stood when written.
    pub mention_notices: BTreeSet<(usize, String)>,
    /// Photo capability key → the post that carries it: a key in a body its reader may not
    /// see the post of is a leak, as a marker is.
    pub photo_keys: HashMap<String, String>,
    /// Post id → the URLs of its photos now (the original and the thumbnail of each).
    pub photos: BTreeMap<String, Vec<String>>,
    /// URLs that died when their post's audience narrowed: they must answer 404.
    pub dead_photos: Vec<(String, String)>,
}

/// The capability key in a photo URL (`…/media/{32 hex}/…`).
pub fn photo_key(url: &str) -> Option<&str> {
    let at = url.find("/media/")? + "/media/".len();
    let key = url.get(at..at + 32)?;
    key.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        .then_some(key)
}

pub fn name(i: usize) -> String {
    format!("m{i:02}")
}

impl Model {
    pub fn are_friends(&self, a: usize, b: usize) -> bool {
        self.friends.contains(&(a.min(b), a.max(b)))
    }

    pub fn blocked(&self, a: usize, b: usize) -> bool {
        self.blocks.contains(&(a, b)) || self.blocks.contains(&(b, a))
    }

    /// The relation of viewer `v` (None = anonymous) to owner `o`.
    pub fn rel(&self, v: Option<usize>, o: usize) -> Relation {
        let Some(v) = v else {
            return Relation::default();
        };
        if v == o {
            return Relation::SELF;
        }
        let friend = self.are_friends(v, o);
        let fof = !friend
            && (0..self.n)
                .any(|x| x != v && x != o && self.are_friends(o, x) && self.are_friends(x, v));
        Relation {
            is_self: false,
            friend,
            friend_of_friend: fof,
            blocked: self.blocked(v, o),
            // Local posts have no addressed recipients.
            addressed: false,
            follows: false,
        }
    }

    pub fn kind(v: Option<usize>) -> ViewerKind {
        if v.is_some() {
            ViewerKind::Member
        } else {
            ViewerKind::Anonymous
        }
    }

    pub fn may(&self, v: Option<usize>, o: usize, audience: Audience) -> bool {
        may_see(audience, Self::kind(v), self.rel(v, o))
    }

    /// Records the photos of post `id` from its API answer (`media`), the URLs it had before
    /// (if any) becoming dead ones.
    pub fn photos_of(&mut self, id: &str, post: &serde_json::Value, narrowed: bool) {
        let urls: Vec<String> = post["media"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|m| [m["url"].as_str(), m["preview_url"].as_str()])
            .flatten()
            .map(str::to_owned)
            .collect();
        if urls.is_empty() {
            return;
        }
        for u in &urls {
            if let Some(key) = photo_key(u) {
                self.photo_keys.insert(key.to_owned(), id.to_owned());
            }
        }
        if let Some(old) = self.photos.insert(id.to_owned(), urls.clone())
            && narrowed
        {
            for u in old.into_iter().filter(|u| !urls.contains(u)) {
                self.dead_photos.push((u, id.to_owned()));
            }
        }
    }

    pub fn sees_post(&self, v: Option<usize>, id: &str) -> bool {
        let p = &self.posts[id];
        self.may(v, p.author, p.audience)
    }

    pub fn sees_reaction(&self, v: Option<usize>, post: &str, author: usize) -> bool {
        let p = &self.posts[post];
        may_see_reaction(
            p.audience,
            Self::kind(v),
            self.rel(v, p.author),
            self.rel(v, author),
        )
    }

    pub fn sees_intro(&self, v: Option<usize>, id: &str) -> bool {
        let (writer, subject, hidden) = self.intros[id];
        may_see_introduction(
            self.intro_audience[subject],
            Self::kind(v),
            self.rel(v, subject),
            self.rel(v, writer),
            hidden,
        )
    }

    /// May `v` see the text marked `mark`?
    pub fn sees_mark(&self, v: Option<usize>, mark: &Mark) -> bool {
        match mark {
            Mark::Post(id) => self.sees_post(v, id),
            Mark::Comment(id) => self
                .comments
                .get(id)
                .is_some_and(|(post, a)| self.sees_reaction(v, post, *a)),
            Mark::Intro(id) => self.intros.contains_key(id) && self.sees_intro(v, id),
            Mark::Profile {
                owner, audience, ..
            } => v == Some(*owner) || self.may(v, *owner, *audience),
        }
    }

    /// What a marker is, for reports.
    pub fn describe(&self, mark: &Mark) -> String {
        match mark {
            Mark::Post(id) => {
                let p = &self.posts[id];
                let kind = if p.kind == "diaries" {
                    "diary"
                } else {
                    "voice"
                };
                let (audience, author) = (p.audience.as_str(), name(p.author));
                format!("{kind} {id} {} ({audience} by {author})", p.marker)
            }
            Mark::Comment(id) => match self.comments.get(id) {
                Some((post, a)) => format!(
                    "comment {id} by {} on {}",
                    name(*a),
                    self.describe(&Mark::Post(post.clone()))
                ),
                None => format!("deleted comment {id}"),
            },
            Mark::Intro(id) => match self.intros.get(id) {
                Some((w, s, hidden)) => format!(
                    "introduction {id} of {} by {} (section {}{})",
                    name(*s),
                    name(*w),
                    self.intro_audience[*s].as_str(),
                    if *hidden { ", hidden" } else { "" }
                ),
                None => format!("deleted introduction {id}"),
            },
            Mark::Profile {
                owner,
                part,
                audience,
            } => format!("{part} of {} ({})", name(*owner), audience.as_str()),
        }
    }

    /// How `v` stands with `o`, for reports.
    pub fn standing(&self, v: Option<usize>, o: usize) -> String {
        let Some(v) = v else {
            return "anonymous".into();
        };
        let rel = self.rel(Some(v), o);
        let mut s = String::from(if rel.is_self {
            "self"
        } else if rel.friend {
            "friend"
        } else if rel.friend_of_friend {
            "friend of a friend"
        } else {
            "stranger"
        });
        if rel.blocked {
            s.push_str(", blocked");
        }
        if let Some(how) = self.ended.get(&(v.min(o), v.max(o))) {
            s = format!("{s}, {how}");
        }
        s
    }

    /// The member whose rule decides who sees `mark`.
    pub fn owner(&self, mark: &Mark) -> Option<usize> {
        match mark {
            Mark::Post(id) => Some(self.posts[id].author),
            Mark::Comment(id) => self.comments.get(id).map(|(p, _)| self.posts[p].author),
            Mark::Intro(id) => self.intros.get(id).map(|i| i.1),
            Mark::Profile { owner, .. } => Some(*owner),
        }
    }

    /// `a` and `b` are no longer friends: introductions between them go.
    pub fn sever(&mut self, a: usize, b: usize) {
        self.friends.remove(&(a.min(b), a.max(b)));
        let gone: Vec<String> = self
            .intros
            .iter()
            .filter(|(_, (w, s, _))| (*w == a && *s == b) || (*w == b && *s == a))
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            self.intros.remove(&id);
            self.gone_intros.insert(id);
        }
    }

    /// `a` blocks `b`: the friendship and any request between them end, and their comments and
    /// likes on each other's posts go.
    pub fn block(&mut self, a: usize, b: usize) {
        self.blocks.insert((a, b));
        self.sever(a, b);
        self.requests.remove(&(a, b));
        self.requests.remove(&(b, a));
        let posts = &self.posts;
        let between = |post: &String, who: usize| {
            (who == a && posts[post].author == b) || (who == b && posts[post].author == a)
        };
        let gone: Vec<String> = self
            .comments
            .iter()
            .filter(|(_, (post, author))| between(post, *author))
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            self.comments.remove(&id);
            self.gone_comments.insert(id);
        }
        let gone: Vec<(String, usize)> = self
            .likes
            .iter()
            .filter(|(post, liker)| between(post, *liker))
            .cloned()
            .collect();
        for like in gone {
            self.likes.remove(&like);
            self.unliked.insert(like);
        }
    }
}

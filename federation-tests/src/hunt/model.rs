//! What the hunt knows to be true of the community: who is friends with whom, who blocks whom,
//! and every post, comment, introduction and marker, as the changes leave them. The true graph
//! is kept, not what either instance could prove, so that a verdict never depends on it.

use enishi_core::{Audience, Relation, ViewerKind, may_see};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Whose text a marker is in.
#[derive(Debug, Clone)]
pub enum Mark {
    /// The title and body (or text) of a post, by ActivityPub id.
    Post(String),
    /// A comment, by ActivityPub id.
    Comment(String),
    /// An introduction, by ActivityPub id.
    Intro(String),
    /// A part of a member's profile. A replaced value keeps the audience it had: whoever was
    /// allowed then may still hold it, as remote servers cache what they were shown.
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
    /// Its author.
    pub author: usize,
    /// `diaries` or `voices`, as in API paths.
    pub kind: &'static str,
    /// Its audience now.
    pub audience: Audience,
    /// The marker in its text.
    pub marker: String,
    /// Its earlier audiences, oldest first.
    pub was: Vec<Audience>,
    /// Members on the other instance who received it and have stayed entitled to it ever
    /// since: it is owed to them (a widening from `members` or `private` is not: that post
    /// never travelled).
    pub holders: BTreeSet<usize>,
}

/// A comment.
#[derive(Debug, Clone)]
pub struct Comment {
    /// The post's ActivityPub id.
    pub post: String,
    /// Who wrote it.
    pub author: usize,
    /// Its id on the author's instance.
    pub id: String,
    /// The marker in its text.
    pub marker: String,
    /// The post was `friends` or `friends_of_friends` when it was written: its author's
    /// instance owes it to the post's remote friends (DESIGN §5).
    pub restricted: bool,
    /// Its author deleted it: nobody may see it any more.
    pub deleted: bool,
    /// A block between its author and the post's author removed it: no longer owed.
    pub removed: bool,
}

/// An introduction.
#[derive(Debug, Clone)]
pub struct Intro {
    /// Who wrote it.
    pub writer: usize,
    /// Whom it is about.
    pub subject: usize,
    /// The marker in its text.
    pub marker: String,
    /// Hidden by the subject.
    pub hidden: bool,
    /// Deleted, or gone with the friendship: only its writer may still know the text.
    pub gone: bool,
}

/// A member's section audiences.
#[derive(Debug, Clone, Copy)]
pub struct Sections {
    /// The friends list.
    pub friends: Audience,
    /// The introductions section.
    pub introductions: Audience,
}

/// The community: members `0..per` on instance A, `per..2*per` on instance B.
#[derive(Debug, Default)]
pub struct Model {
    /// Members per instance.
    pub per: usize,
    /// `localhost:PORT` of each instance.
    pub domains: Vec<String>,
    /// Friendships as (lower, higher) index.
    pub friends: BTreeSet<(usize, usize)>,
    /// (blocker, blocked).
    pub blocks: BTreeSet<(usize, usize)>,
    /// How friendships ended in the second phase, by (lower, higher) index: `unfriended by
    /// a1`, `blocked by b2`, … (for reports).
    pub ended: BTreeMap<(usize, usize), String>,
    /// Per member.
    pub sections: Vec<Sections>,
    /// Every marker written.
    pub marks: HashMap<String, Mark>,
    /// By ActivityPub id.
    pub posts: BTreeMap<String, Post>,
    /// By ActivityPub id.
    pub comments: BTreeMap<String, Comment>,
    /// By ActivityPub id.
    pub intros: BTreeMap<String, Intro>,
}

fn travels(a: Audience) -> bool {
    matches!(
        a,
        Audience::Public | Audience::Friends | Audience::FriendsOfFriends
    )
}

impl Model {
    /// Everyone.
    pub fn all(&self) -> std::ops::Range<usize> {
        0..2 * self.per
    }

    /// 0 for A, 1 for B.
    pub fn instance(&self, m: usize) -> usize {
        m / self.per
    }

    /// `a3`, `b0`, …
    pub fn name(&self, m: usize) -> String {
        format!("{}{}", ["a", "b"][self.instance(m)], m % self.per)
    }

    /// How `m` is named on instance `at`.
    pub fn handle_at(&self, m: usize, at: usize) -> String {
        if self.instance(m) == at {
            self.name(m)
        } else {
            format!("{}@{}", self.name(m), self.domains[self.instance(m)])
        }
    }

    /// The member a handle names on instance `at`.
    pub fn by_handle(&self, at: usize, handle: &str) -> Option<usize> {
        self.all().find(|&m| self.handle_at(m, at) == handle)
    }

    /// A reader's name in problem reports.
    pub fn who(&self, v: Option<usize>, at: usize) -> String {
        match v {
            Some(v) => self.name(v),
            None => format!("anonymous@{}", ["A", "B"][at]),
        }
    }

    /// Whether `a` and `b` are friends now.
    pub fn are_friends(&self, a: usize, b: usize) -> bool {
        self.friends.contains(&(a.min(b), a.max(b)))
    }

    /// Whether either blocks the other.
    pub fn blocked(&self, a: usize, b: usize) -> bool {
        self.blocks.contains(&(a, b)) || self.blocks.contains(&(b, a))
    }

    /// The true relation of reader `v` to owner `o`: friends of friends over the whole graph,
    /// so a LEAK verdict never depends on what an instance could prove.
    pub fn rel(&self, v: Option<usize>, o: usize) -> Relation {
        let Some(v) = v else {
            return Relation::default();
        };
        if v == o {
            return Relation::SELF;
        }
        let friend = self.are_friends(v, o);
        Relation {
            friend,
            friend_of_friend: !friend
                && self
                    .all()
                    .any(|x| x != v && x != o && self.are_friends(o, x) && self.are_friends(x, v)),
            blocked: self.blocked(v, o),
            ..Relation::default()
        }
    }

    /// [`Model::rel`] as instance `at` can know it: a block between two members of the other
    /// instance never reaches `at`.
    pub fn rel_at(&self, v: Option<usize>, o: usize, at: usize) -> Relation {
        let mut rel = self.rel(v, o);
        if v.is_some_and(|v| self.instance(v) != at && self.instance(o) != at) {
            rel.blocked = false;
        }
        rel
    }

    /// What kind of viewer `v` is to owner `o`'s instance.
    pub fn kind(&self, v: Option<usize>, o: usize) -> ViewerKind {
        match v {
            None => ViewerKind::Anonymous,
            Some(v) if self.instance(v) == self.instance(o) => ViewerKind::Member,
            Some(_) => ViewerKind::Remote,
        }
    }

    /// May `v` see something of `o` with `audience`?
    pub fn may(&self, v: Option<usize>, o: usize, audience: Audience) -> bool {
        may_see(audience, self.kind(v, o), self.rel(v, o))
    }

    /// `a` and `b` are no longer friends: introductions between them go, and neither holds the
    /// other's posts any more.
    pub fn sever(&mut self, a: usize, b: usize) {
        self.friends.remove(&(a.min(b), a.max(b)));
        for i in self.intros.values_mut() {
            if (i.writer == a && i.subject == b) || (i.writer == b && i.subject == a) {
                i.gone = true;
            }
        }
        for p in self.posts.values_mut() {
            if p.author == a {
                p.holders.remove(&b);
            } else if p.author == b {
                p.holders.remove(&a);
            }
        }
    }

    /// `a` blocks `b`: the friendship ends and their comments on each other's posts go.
    pub fn block(&mut self, a: usize, b: usize) {
        self.sever(a, b);
        self.blocks.insert((a, b));
        let posts = &self.posts;
        for c in self.comments.values_mut() {
            let author = posts[&c.post].author;
            if (c.author == a && author == b) || (c.author == b && author == a) {
                c.removed = true;
            }
        }
    }

    /// A post's audience changes: those outside what travels lose what they held.
    pub fn set_audience(&mut self, ap: &str, audience: Audience) {
        let p = self.posts.get_mut(ap).expect("known post");
        p.was.push(p.audience);
        p.audience = audience;
        if !travels(audience) {
            p.holders.clear();
        }
    }

    /// The remote friends of `author` now (they receive what travels).
    pub fn remote_friends(&self, author: usize) -> BTreeSet<usize> {
        self.all()
            .filter(|&m| self.instance(m) != self.instance(author) && self.are_friends(m, author))
            .collect()
    }

    /// Whether `a` travels to other instances.
    pub fn travels(a: Audience) -> bool {
        travels(a)
    }
}

//! Judging what came back: every marker and object id in every body against the oracle, then
//! what each kind of read owes its reader.

use super::Hunt;
use super::model::Mark;
use super::read::{Answer, Depth, Read, Via, What};
use enishi_core::Audience;
use enishi_testkit::markers::markers_in;
use serde_json::Value;
use std::collections::BTreeSet;

impl Hunt {
    /// Reads as everyone, as far as `depth` says, and judges every answer.
    pub(super) async fn read_all(&mut self, depth: Depth) -> anyhow::Result<()> {
        for round in [1, 2] {
            let reads = self.plan(round, depth);
            let answers = self.fetch_all(&reads).await?;
            self.stats.reads += reads.len();
            for (r, a) in reads.iter().zip(&answers) {
                self.judge(r, a);
            }
        }
        Ok(())
    }

    /// `A/diaries/…` for a URL of instance A.
    fn short(&self, url: &str) -> String {
        let mut s = url.to_owned();
        for (i, n) in self.nodes.iter().enumerate() {
            s = s.replace(&n.run.base_url, ["A", "B"][i]);
        }
        s
    }

    /// Who read what, how, and how they stand with `owner` (the member whose rule decides).
    fn place(&self, r: &Read, owner: usize) -> String {
        let who = self.model.who(r.viewer, r.at);
        let standing = self.model.standing(r.viewer, owner);
        let how = match r.via {
            Via::Api => format!("API {}:{}", ["A", "B"][r.at], r.url),
            Via::Html => format!("HTML {}", self.short(&r.url)),
            Via::Page => format!("page {}", self.short(&r.url)),
            Via::Ap => format!("AP {}", self.short(&r.url)),
            Via::Signed => format!("signed AP {}", self.short(&r.url)),
        };
        format!("{who} [{standing}] via {how}")
    }

    /// The posts, comments and introductions whose ActivityPub ids (or, for posts, photo URLs)
    /// appear in `body`.
    fn objects_in(&self, body: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for n in &self.nodes {
            for kind in ["diaries", "voices", "comments", "introductions"] {
                let prefix = format!("{}/{kind}/", n.run.base_url);
                for (at, _) in body.match_indices(&prefix) {
                    let rest = &body[at + prefix.len()..];
                    let len = rest
                        .find(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
                        .unwrap_or(rest.len());
                    out.insert(format!("{prefix}{}", &rest[..len]));
                }
            }
        }
        // A photo URL stands for its post.
        for (at, _) in body.match_indices("/media/") {
            let key = body.get(at + "/media/".len()..at + "/media/".len() + 32);
            if let Some(ap) = key.and_then(|k| self.photo_keys.get(k)) {
                out.insert(ap.clone());
            }
        }
        out
    }

    fn judge(&mut self, r: &Read, a: &Answer) {
        // 1. Every marker and object id in the body, whatever the path or shape.
        let mut marks: Vec<Mark> = markers_in(&a.body)
            .into_iter()
            .filter_map(|m| self.model.marks.get(m).cloned())
            .collect();
        for ap in self.objects_in(&a.body) {
            if self.model.posts.contains_key(&ap) {
                marks.push(Mark::Post(ap));
            } else if self.model.comments.contains_key(&ap) {
                marks.push(Mark::Comment(ap));
            } else if self.model.intros.contains_key(&ap) {
                marks.push(Mark::Intro(ap));
            }
        }
        let leaked: BTreeSet<(String, String)> = marks
            .iter()
            .filter(|m| !self.model.sees_mark(r.viewer, r.at, m) && !self.public_anyway(r, m))
            .map(|m| (self.model.describe(m), self.place(r, self.model.owner(m))))
            .collect();
        for (what, place) in leaked {
            self.problem(format!("LEAK: {what}"), place);
        }
        // 2. A post from elsewhere is never labelled `private` for anyone but its author.
        if r.via == Via::Api {
            let mut labels = Vec::new();
            private_labels(&a.json, &mut labels);
            let me = r.viewer.map(|v| self.model.name(v));
            for (ap, author) in labels {
                if Some(author.as_str()) != me.as_deref() && self.model.posts.contains_key(&ap) {
                    let mark = Mark::Post(ap);
                    let place = self.place(r, self.model.owner(&mark));
                    let what = self.model.describe(&mark);
                    self.problem(format!("WRONG LABEL: {what} labelled `private`"), place);
                }
            }
        }
        // 3. What this kind of read owes.
        match &r.what {
            What::Posts(o) => self.judge_posts(r, a, *o),
            What::Post(ap) => {
                if self.owed_post(r, ap) && a.status != 200 {
                    self.denied(r, Mark::Post(ap.clone()), format!("answers {}", a.status));
                }
            }
            What::Comments(ap) => self.judge_comments(r, a, ap),
            What::Intros(o) => self.judge_intros(r, a, *o),
            What::Intro(ap) => {
                if self.owed_intro(r, ap) && a.status != 200 {
                    self.denied(r, Mark::Intro(ap.clone()), format!("answers {}", a.status));
                }
            }
            What::Friends(o) => {
                let got: Vec<usize> = items(&a.json)
                    .iter()
                    .filter_map(|i| self.model.by_handle(r.at, i["handle"].as_str()?))
                    .collect();
                self.judge_friends(r, *o, &got);
            }
            What::People(o) => {
                let got: Vec<usize> = a.json["orderedItems"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| {
                        let id = id.as_str()?;
                        self.model
                            .all()
                            .find(|&m| self.members[m].ap_id.as_str() == id)
                    })
                    .collect();
                self.judge_friends(r, *o, &got);
            }
            What::ApPost(ap) => self.judge_ap_post(r, a, ap),
            What::Other | What::MastodonAccount => {}
        }
    }

    /// A public profile part where a block cannot hide it: in an actor document, which anyone
    /// may fetch without signing, and in the blocker's own list of whom they block.
    fn public_anyway(&self, r: &Read, mark: &Mark) -> bool {
        let Mark::Profile {
            owner,
            audience: Audience::Public,
            ..
        } = mark
        else {
            return false;
        };
        // A member's own logged-in page view is not a document: a block hides the profile.
        let actor_document = !matches!(r.via, Via::Api | Via::Page)
            && r.url.trim_end_matches('/') == self.members[*owner].ap_id.as_str();
        actor_document || (r.via == Via::Api && r.url.starts_with("/api/v1/blocks"))
    }

    /// `mark` is owed to the reader of `r`, who did not get it: `how` says what came instead.
    fn denied(&mut self, r: &Read, mark: Mark, how: String) {
        let mut what = self.model.describe(&mark);
        if let Mark::Post(ap) = &mark {
            // Who took part from elsewhere without being a friend: narrowing must not take the
            // post from the friends there because of them.
            let author = self.model.posts[ap].author;
            let strangers: BTreeSet<String> = self
                .model
                .comments
                .values()
                .filter(|c| {
                    &c.post == ap
                        && self.model.instance(c.author) != self.model.instance(author)
                        && !self.model.are_friends(c.author, author)
                })
                .map(|c| self.model.name(c.author))
                .collect();
            if !strangers.is_empty() {
                let names: Vec<String> = strangers.into_iter().collect();
                what = format!("{what}, commented on by non-friends {}", names.join(", "));
            }
        }
        let place = self.place(r, self.model.owner(&mark));
        self.problem(format!("DENIED: {what}"), format!("{place} {how}"));
    }

    /// Whether the reader of `r` is owed post `ap` there.
    fn owed_post(&self, r: &Read, ap: &str) -> bool {
        match r.viewer {
            Some(v) => self.model.owes_post(v, ap),
            None => {
                let p = &self.model.posts[ap];
                self.model.instance(p.author) == r.at && p.audience == Audience::Public
            }
        }
    }

    fn judge_posts(&mut self, r: &Read, a: &Answer, o: usize) {
        let kind = if r.url.ends_with("/diaries") {
            "diaries"
        } else {
            "voices"
        };
        let mut got = BTreeSet::new();
        for i in items(&a.json) {
            if let (Some(ap), Some(id)) = (i["ap_id"].as_str(), i["id"].as_str()) {
                got.insert(ap.to_owned());
                self.known[r.at]
                    .posts
                    .insert(ap.to_owned(), format!("{kind}/{id}"));
                self.shown
                    .entry((r.viewer, r.at))
                    .or_default()
                    .insert(ap.to_owned(), self.phase);
            }
        }
        let missing: Vec<String> = self
            .model
            .posts
            .iter()
            .filter(|(ap, p)| {
                p.author == o && p.kind == kind && !got.contains(*ap) && self.owed_post(r, ap)
            })
            .map(|(ap, _)| ap.clone())
            .collect();
        for ap in missing {
            self.denied(r, Mark::Post(ap), format!("({}) leaves it out", a.status));
        }
    }

    fn judge_comments(&mut self, r: &Read, a: &Answer, post: &str) {
        if !self.owed_post(r, post) {
            return;
        }
        let got: BTreeSet<String> = items(&a.json)
            .iter()
            .filter_map(|i| i["ap_id"].as_str().map(str::to_owned))
            .collect();
        let at_origin = self.model.instance(self.model.posts[post].author) == r.at;
        let missing: Vec<String> = self
            .model
            .comments
            .iter()
            .filter(|(ap, c)| {
                c.post == post
                    && !got.contains(*ap)
                    && match r.viewer {
                        Some(v) => self.model.owes_comment(v, ap),
                        None => at_origin && !c.deleted && !c.removed,
                    }
            })
            .map(|(ap, _)| ap.clone())
            .collect();
        for ap in missing {
            self.denied(
                r,
                Mark::Comment(ap),
                format!("({}) leaves it out", a.status),
            );
        }
    }

    /// Introductions are owed exactly on their subject's instance, to its members and
    /// anonymous visitors there.
    fn owed_intro(&self, r: &Read, ap: &str) -> bool {
        let i = &self.model.intros[ap];
        self.model.instance(i.subject) == r.at
            && r.viewer.is_none_or(|v| self.model.instance(v) == r.at)
            && !i.gone
            && self.model.sees_intro(r.viewer, r.at, ap)
    }

    fn judge_intros(&mut self, r: &Read, a: &Answer, o: usize) {
        let mut got = BTreeSet::new();
        for i in items(&a.json) {
            if let (Some(ap), Some(id)) = (i["ap_id"].as_str(), i["id"].as_str()) {
                got.insert(ap.to_owned());
                self.known[r.at].intros.insert(ap.to_owned(), id.to_owned());
                self.shown
                    .entry((r.viewer, r.at))
                    .or_default()
                    .insert(ap.to_owned(), self.phase);
            }
        }
        let missing: Vec<String> = self
            .model
            .intros
            .iter()
            .filter(|(ap, i)| i.subject == o && !got.contains(*ap) && self.owed_intro(r, ap))
            .map(|(ap, _)| ap.clone())
            .collect();
        for ap in missing {
            self.denied(r, Mark::Intro(ap), format!("({}) leaves it out", a.status));
        }
    }

    /// A friends list shows nobody unless its audience allows the reader, only real friends,
    /// and nobody the reader blocks or is blocked by; on the owner's instance, all of them.
    fn judge_friends(&mut self, r: &Read, o: usize, got: &[usize]) {
        let m = &self.model;
        let place = self.place(r, o);
        let audience = m.sections[o].friends;
        let allowed = m.may(r.viewer, o, audience);
        let mut found = Vec::new();
        if !allowed && !got.is_empty() {
            let names: Vec<String> = got.iter().map(|&f| m.name(f)).collect();
            found.push((
                format!(
                    "LEAK: friends list of {} ({})",
                    m.name(o),
                    audience.as_str()
                ),
                format!("{place} shows {}", names.join(", ")),
            ));
        }
        for &f in got {
            if !m.are_friends(o, f) {
                let head = format!("WRONG: {} listed as a friend of {}", m.name(f), m.name(o));
                found.push((head, place.clone()));
            }
            // A block between two members of the other instance never reaches this one.
            if r.viewer.is_some_and(|v| v != f) && m.rel_at(r.viewer, f, r.at).blocked {
                let head = format!(
                    "LEAK: {} in the friends list of {}, to someone blocked either way",
                    m.name(f),
                    m.name(o)
                );
                found.push((head, place.clone()));
            }
        }
        let home = r.viewer.is_none_or(|v| m.instance(v) == r.at);
        if r.via == Via::Api && home && m.instance(o) == r.at && allowed {
            for f in m.all() {
                let blocked = r.viewer.is_some_and(|v| v != f && m.blocked(v, f));
                if m.are_friends(o, f) && !blocked && !got.contains(&f) {
                    let head = format!("DENIED: {} among the friends of {}", m.name(f), m.name(o));
                    found.push((head, format!("{place} leaves it out")));
                }
            }
        }
        for (head, place) in found {
            self.problem(head, place);
        }
    }

    fn judge_ap_post(&mut self, r: &Read, a: &Answer, ap: &str) {
        let p = &self.model.posts[ap];
        let (author, audience) = (p.author, p.audience);
        let mark = Mark::Post(ap.to_owned());
        match r.viewer {
            None => {
                let public = audience == Audience::Public;
                if public && a.status != 200 {
                    self.denied(r, mark, format!("answers {}", a.status));
                } else if !public && a.status == 200 {
                    let place = self.place(r, author);
                    let what = self.model.describe(&mark);
                    self.problem(format!("LEAK: {what}"), format!("{place} answers 200"));
                }
            }
            Some(v) => {
                // Friends of friends are shown as far as the origin can prove it; friends always.
                let allowed = self.model.may(Some(v), author, audience);
                let owed = allowed
                    && (audience != Audience::FriendsOfFriends
                        || self.model.are_friends(v, author));
                if a.status == 200 {
                    self.fetched.insert((v, ap.to_owned()));
                } else if owed {
                    self.denied(r, mark, format!("answers {}", a.status));
                }
            }
        }
    }
}

/// The items of a list answer.
fn items(json: &Value) -> Vec<Value> {
    json["items"].as_array().cloned().unwrap_or_default()
}

/// (ap_id, author handle) of every diary or voice post in `json` labelled `private`.
fn private_labels(json: &Value, out: &mut Vec<(String, String)>) {
    match json {
        Value::Array(a) => a.iter().for_each(|v| private_labels(v, out)),
        Value::Object(o) => {
            let post = matches!(
                o.get("kind").and_then(Value::as_str),
                Some("diary" | "voice")
            );
            if post
                && o.get("audience").and_then(Value::as_str) == Some("private")
                && let (Some(ap), Some(author)) = (
                    o.get("ap_id").and_then(Value::as_str),
                    o.get("author_handle").and_then(Value::as_str),
                )
            {
                out.push((ap.to_owned(), author.to_owned()));
            }
            o.values().for_each(|v| private_labels(v, out));
        }
        _ => {}
    }
}

//! The oracle: who may see each marker and object, and what is owed to whom, from
//! `enishi_core`'s pure audience rule applied to the model; and how to name things in reports.

use super::model::{Mark, Model};
use enishi_core::{Audience, may_see, may_see_introduction};

impl Model {
    /// May `v`, reading on instance `at`, see post `ap`? On the reader's own instance, a
    /// restricted post from the other instance is for the author's current friends only.
    pub fn sees_post(&self, v: Option<usize>, at: usize, ap: &str) -> bool {
        let p = &self.posts[ap];
        if v == Some(p.author) {
            return true;
        }
        if !may_see(
            p.audience,
            self.kind(v, p.author),
            self.rel_at(v, p.author, at),
        ) {
            return false;
        }
        let copy_at_home =
            at != self.instance(p.author) && v.is_some_and(|v| self.instance(v) == at);
        !copy_at_home || p.audience == Audience::Public || self.are_friends(v.unwrap(), p.author)
    }

    /// May `v`, reading on `at`, see comment `ap`?
    pub fn sees_comment(&self, v: Option<usize>, at: usize, ap: &str) -> bool {
        let c = &self.comments[ap];
        if c.deleted {
            return false;
        }
        if v == Some(c.author) {
            return true;
        }
        self.sees_post(v, at, &c.post) && !self.rel_at(v, c.author, at).blocked
    }

    /// May `v`, reading on `at`, see introduction `ap`?
    pub fn sees_intro(&self, v: Option<usize>, at: usize, ap: &str) -> bool {
        let i = &self.intros[ap];
        if v == Some(i.writer) {
            return true;
        }
        if i.gone {
            return false;
        }
        if v == Some(i.subject) {
            return true;
        }
        may_see_introduction(
            self.sections[i.subject].introductions,
            self.kind(v, i.subject),
            self.rel_at(v, i.subject, at),
            self.rel_at(v, i.writer, at),
            i.hidden,
        )
    }

    /// May `v`, reading on `at`, see the text marked `mark`?
    pub fn sees_mark(&self, v: Option<usize>, at: usize, mark: &Mark) -> bool {
        match mark {
            Mark::Post(ap) => self.sees_post(v, at, ap),
            Mark::Comment(ap) => self.sees_comment(v, at, ap),
            Mark::Intro(ap) => self.sees_intro(v, at, ap),
            Mark::Profile {
                owner, audience, ..
            } => {
                v == Some(*owner)
                    || may_see(*audience, self.kind(v, *owner), self.rel_at(v, *owner, at))
            }
        }
    }

    /// What a marker is, for reports.
    pub fn describe(&self, mark: &Mark) -> String {
        match mark {
            Mark::Post(ap) => {
                let p = &self.posts[ap];
                let was: String = p
                    .was
                    .iter()
                    .map(|a| format!(", was {}", a.as_str()))
                    .collect();
                format!(
                    "{} {} ({}{was} by {})",
                    if p.kind == "diaries" {
                        "diary"
                    } else {
                        "voice"
                    },
                    p.marker,
                    p.audience.as_str(),
                    self.name(p.author)
                )
            }
            Mark::Comment(ap) => {
                let c = &self.comments[ap];
                let p = &self.posts[&c.post];
                let state = if c.deleted { ", deleted" } else { "" };
                format!(
                    "comment {} by {}{state} on {} {} by {}",
                    c.marker,
                    self.name(c.author),
                    p.audience.as_str(),
                    p.marker,
                    self.name(p.author)
                )
            }
            Mark::Intro(ap) => {
                let i = &self.intros[ap];
                format!(
                    "introduction {} of {} by {} (section {}{}{})",
                    i.marker,
                    self.name(i.subject),
                    self.name(i.writer),
                    self.sections[i.subject].introductions.as_str(),
                    if i.hidden { ", hidden" } else { "" },
                    if i.gone { ", gone" } else { "" }
                )
            }
            Mark::Profile {
                owner,
                part,
                audience,
            } => format!("{part} of {} ({})", self.name(*owner), audience.as_str()),
        }
    }

    /// The member whose rule decides who sees `mark`.
    pub fn owner(&self, mark: &Mark) -> usize {
        match mark {
            Mark::Post(ap) => self.posts[ap].author,
            Mark::Comment(ap) => self.posts[&self.comments[ap].post].author,
            Mark::Intro(ap) => self.intros[ap].subject,
            Mark::Profile { owner, .. } => *owner,
        }
    }

    /// How `v` stands with `o`, for reports: `friend`, `friend of a friend`, `stranger`, and
    /// how a friendship ended.
    pub fn standing(&self, v: Option<usize>, o: usize) -> String {
        let Some(v) = v else {
            return "anonymous".into();
        };
        if v == o {
            return "self".into();
        }
        let rel = self.rel(Some(v), o);
        let mut s = String::from(if rel.friend {
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
        if !rel.friend && !rel.friend_of_friend {
            let ended = |x: usize, y: usize| self.ended.get(&(x.min(y), x.max(y)));
            for x in self.all() {
                let how = if self.are_friends(o, x) {
                    ended(x, v)
                } else if self.are_friends(v, x) {
                    ended(x, o)
                } else {
                    None
                };
                if let Some(how) = how {
                    s = format!(
                        "{s}, was a friend of a friend through {} ({how})",
                        self.name(x)
                    );
                }
            }
        }
        s
    }

    /// Is post `ap` owed to `v` on `v`'s own instance? There the rule holds exactly; on the
    /// other instance, to the author's friends who received it and stayed entitled.
    pub fn owes_post(&self, v: usize, ap: &str) -> bool {
        let p = &self.posts[ap];
        if self.instance(v) == self.instance(p.author) {
            return self.may(Some(v), p.author, p.audience);
        }
        Model::travels(p.audience)
            && p.holders.contains(&v)
            && self.are_friends(v, p.author)
            && !self.blocked(v, p.author)
    }

    /// Is comment `ap` owed to `v` on `v`'s own instance, given that its post is?
    pub fn owes_comment(&self, v: usize, ap: &str) -> bool {
        let c = &self.comments[ap];
        if c.deleted || c.removed || self.blocked(v, c.author) {
            return false;
        }
        let p = &self.posts[&c.post];
        self.instance(v) == self.instance(p.author)
            || (c.restricted
                && matches!(p.audience, Audience::Friends | Audience::FriendsOfFriends))
    }
}

//! The first phase: a random community on both instances, with content at every audience.

use super::Hunt;
use super::model::{Comment, Intro, Mark, Post, Sections};
use crate::cluster::befriend;
use enishi_core::Audience;
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};

impl Hunt {
    pub(super) async fn build(&mut self) -> anyhow::Result<()> {
        // Profiles first: the other instance caches what it fetches while befriending.
        for m in self.model.all() {
            self.model.sections.push(Sections {
                friends: Audience::Friends,
                introductions: Audience::FriendsOfFriends,
            });
            self.set_profile(m).await?;
        }
        for x in self.model.all() {
            for y in x + 1..2 * self.model.per {
                if self.rng.gen_bool(0.18) {
                    befriend(&self.members[x], &self.members[y]).await?;
                    self.model.friends.insert((x, y));
                }
            }
        }
        // A few requests left pending across instances. Never both ways between one pair:
        // two crossing requests are mutual consent, and the pair would become friends.
        let mut pending = std::collections::BTreeSet::new();
        for _ in 0..3 {
            let x = self.rng.gen_range(0..self.model.per);
            let y = self.model.per + self.rng.gen_range(0..self.model.per);
            let (from, to) = if self.rng.gen_bool(0.5) {
                (x, y)
            } else {
                (y, x)
            };
            if !self.model.are_friends(from, to) && pending.insert((from.min(to), from.max(to))) {
                let target = self.members[to].ap_id.to_string();
                self.members[from]
                    .api
                    .post("/api/v1/friends/requests", json!({ "target": target }))
                    .await?;
            }
        }
        for m in self.model.all() {
            for audience in Audience::ALL {
                self.write_post(m, audience).await?;
            }
        }
        self.settle().await?;
        self.write_comments().await?;
        self.settle().await?;
        self.write_intros().await?;
        self.settle().await?;
        Ok(())
    }

    /// Sets random audiences for `m`'s nickname, bio, friends list and introductions section,
    /// and new marked values for the nickname, bio and one field per audience.
    pub(super) async fn set_profile(&mut self, m: usize) -> anyhow::Result<()> {
        let mut pick = || *Audience::ALL.choose(&mut self.rng).expect("audiences");
        let (nickname, bio, friends, introductions) = (pick(), pick(), pick(), pick());
        let (s, body) = self.members[m]
            .api
            .patch(
                "/api/v1/me/settings",
                json!({"nickname_audience": nickname, "bio_audience": bio,
                    "friends_audience": friends, "introductions_audience": introductions}),
            )
            .await?;
        anyhow::ensure!(s == 200, "settings of {}: {s} {body}", self.model.name(m));
        self.model.sections[m] = Sections {
            friends,
            introductions,
        };
        let nick = self.mark(profile(m, "nickname", nickname));
        let bio_mark = self.mark(profile(m, "bio", bio));
        let mut fields = Vec::new();
        for a in Audience::ALL {
            let v = self.mark(profile(m, "field", a));
            fields.push(json!({"name": format!("f-{}", a.as_str()), "value": v, "audience": a}));
        }
        let (s, body) = self.members[m]
            .api
            .patch(
                "/api/v1/me/profile",
                json!({"nickname": format!("{} {nick}", self.model.name(m)),
                    "bio": format!("about me {bio_mark}"), "fields": fields}),
            )
            .await?;
        anyhow::ensure!(s == 200, "profile of {}: {s} {body}", self.model.name(m));
        Ok(())
    }

    async fn write_post(&mut self, m: usize, audience: Audience) -> anyhow::Result<()> {
        let ap_placeholder = String::new();
        let mk = self.mark(Mark::Post(ap_placeholder));
        let (path, kind, body) = if self.rng.gen_bool(0.5) {
            (
                "/api/v1/diaries",
                "diaries",
                json!({"title": format!("diary {mk}"), "body": format!("dear diary {mk}"), "audience": audience}),
            )
        } else {
            (
                "/api/v1/voices",
                "voices",
                json!({"text": format!("voice {mk}"), "audience": audience}),
            )
        };
        // A photo on some posts: its URLs, on either instance, may reach only those who may
        // see the post.
        let mut body = body;
        if self.rng.gen_bool(0.4) {
            let colour = image::Rgb([self.rng.r#gen(), self.rng.r#gen(), self.rng.r#gen()]);
            let mut png = std::io::Cursor::new(Vec::new());
            image::RgbImage::from_pixel(8, 6, colour)
                .write_to(&mut png, image::ImageFormat::Png)?;
            let photo = self.members[m]
                .upload_photo(png.get_ref(), "a photo")
                .await?;
            body["media_ids"] = json!([photo["id"]]);
        }
        let (s, p) = self.members[m].api.post(path, body).await?;
        anyhow::ensure!(s == 201, "post by {}: {s} {p}", self.model.name(m));
        let ap = str_of(&p, "ap_id")?;
        self.model.marks.insert(mk.clone(), Mark::Post(ap.clone()));
        let holders = if super::Model::travels(audience) {
            self.model.remote_friends(m)
        } else {
            Default::default()
        };
        self.known[self.model.instance(m)]
            .posts
            .insert(ap.clone(), format!("{kind}/{}", str_of(&p, "id")?));
        self.model.posts.insert(
            ap,
            Post {
                author: m,
                kind,
                audience,
                marker: mk,
                was: Vec::new(),
                holders,
            },
        );
        Ok(())
    }

    /// Each member comments on some posts of some authors (themself included), as their own
    /// instance lists them.
    async fn write_comments(&mut self) -> anyhow::Result<()> {
        for v in self.model.all() {
            let home = self.model.instance(v);
            for o in self.model.all() {
                if !self.rng.gen_bool(0.3) {
                    continue;
                }
                let mut items = Vec::new();
                for kind in ["diaries", "voices"] {
                    let path = format!(
                        "/api/v1/users/{}/{kind}?limit=100",
                        self.model.handle_at(o, home)
                    );
                    let (s, page) = self.members[v].api.get(&path).await?;
                    if s == 200 {
                        for i in page["items"].as_array().into_iter().flatten() {
                            items.push((kind, i.clone()));
                        }
                    }
                }
                let Some((kind, item)) = items.choose(&mut self.rng).cloned() else {
                    continue;
                };
                let post = str_of(&item, "ap_id")?;
                if !self.model.posts.contains_key(&post) {
                    continue;
                }
                self.comment(v, kind, &item, &post).await?;
            }
        }
        Ok(())
    }

    async fn comment(
        &mut self,
        v: usize,
        kind: &str,
        item: &Value,
        post: &str,
    ) -> anyhow::Result<()> {
        let home = self.model.instance(v);
        let mk = self.mark(Mark::Comment(String::new()));
        let path = format!("/api/v1/{kind}/{}/comments", str_of(item, "id")?);
        let (s, c) = self.members[v]
            .api
            .post(&path, json!({"text": format!("comment {mk}")}))
            .await?;
        let restricted = matches!(
            self.model.posts[post].audience,
            Audience::Friends | Audience::FriendsOfFriends
        );
        if s != 201 {
            if self.model.owes_post(v, post) {
                let what = self.model.describe(&Mark::Post(post.to_owned()));
                self.problem(
                    format!(
                        "DENIED: {} cannot comment on {what}: {s} {c}",
                        self.model.name(v)
                    ),
                    String::new(),
                );
            }
            return Ok(());
        }
        let visible = self.model.sees_post(Some(v), home, post);
        let ap = str_of(&c, "ap_id")?;
        self.model
            .marks
            .insert(mk.clone(), Mark::Comment(ap.clone()));
        self.model.comments.insert(
            ap,
            Comment {
                post: post.to_owned(),
                author: v,
                id: str_of(&c, "id")?,
                marker: mk,
                restricted,
                deleted: false,
                // A comment on a post its author may not see is refused at the post's origin.
                removed: !visible,
            },
        );
        if !visible {
            let what = self.model.describe(&Mark::Post(post.to_owned()));
            self.problem(
                format!(
                    "LEAK: {} could comment on {what}, which they may not see",
                    self.model.name(v)
                ),
                String::new(),
            );
        }
        Ok(())
    }

    /// Friends write introductions of each other; subjects hide some.
    async fn write_intros(&mut self) -> anyhow::Result<()> {
        let pairs: Vec<(usize, usize)> = self.model.friends.iter().copied().collect();
        let mut written = Vec::new();
        for (x, y) in pairs {
            for (w, s) in [(x, y), (y, x)] {
                if !self.rng.gen_bool(0.5) {
                    continue;
                }
                let mk = self.mark(Mark::Intro(String::new()));
                let path = format!(
                    "/api/v1/users/{}/introductions",
                    self.model.handle_at(s, self.model.instance(w))
                );
                let (st, i) = self.members[w]
                    .api
                    .post(&path, json!({"text": format!("kind words {mk}")}))
                    .await?;
                if st != 201 {
                    self.problem(
                        format!(
                            "DENIED: {} cannot introduce friend {}: {st} {i}",
                            self.model.name(w),
                            self.model.name(s)
                        ),
                        String::new(),
                    );
                    continue;
                }
                let ap = str_of(&i, "ap_id")?;
                self.model.marks.insert(mk.clone(), Mark::Intro(ap.clone()));
                self.known[self.model.instance(w)]
                    .intros
                    .insert(ap.clone(), str_of(&i, "id")?);
                self.model.intros.insert(
                    ap.clone(),
                    Intro {
                        writer: w,
                        subject: s,
                        marker: mk,
                        hidden: false,
                        gone: false,
                    },
                );
                written.push(ap);
            }
        }
        self.settle().await?;
        for ap in written {
            if self.rng.gen_bool(0.2) {
                self.set_intro_hidden(&ap, true).await?;
            }
        }
        Ok(())
    }

    /// The subject hides (or shows again) introduction `ap`.
    pub(super) async fn set_intro_hidden(&mut self, ap: &str, hidden: bool) -> anyhow::Result<()> {
        let s = self.model.intros[ap].subject;
        let Some(id) = self.intro_id_for(s, ap).await? else {
            let what = self.model.describe(&Mark::Intro(ap.to_owned()));
            self.problem(
                format!(
                    "DENIED: {} does not find {what} among their introductions",
                    self.model.name(s)
                ),
                String::new(),
            );
            return Ok(());
        };
        let verb = if hidden { "hide" } else { "show" };
        let (st, body) = self.members[s]
            .api
            .post_empty(&format!("/api/v1/introductions/{id}/{verb}"))
            .await?;
        anyhow::ensure!(
            st == 200,
            "{} {verb} introduction: {st} {body}",
            self.model.name(s)
        );
        self.model.intros.get_mut(ap).expect("known").hidden = hidden;
        Ok(())
    }
}

fn profile(owner: usize, part: &'static str, audience: Audience) -> Mark {
    Mark::Profile {
        owner,
        part,
        audience,
    }
}

/// A string field of an API answer.
pub(super) fn str_of(v: &Value, field: &str) -> anyhow::Result<String> {
    v[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no {field} in {v}"))
}

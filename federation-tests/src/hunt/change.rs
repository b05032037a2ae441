//! The second phase: the community changes after its content has travelled.

use super::Hunt;
use super::model::Mark;
use enishi_core::Audience;
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::json;

impl Hunt {
    pub(super) async fn change(&mut self) -> anyhow::Result<()> {
        self.end_friendships().await?;
        self.settle().await?;
        // Unblocking does not restore the friendship; the model already has it ended.
        if let Some(&(a, b)) = self.model.blocks.iter().next() {
            let path = format!(
                "/api/v1/blocks/{}",
                self.model.handle_at(b, self.model.instance(a))
            );
            let (s, body) = self.members[a].api.delete(&path).await?;
            anyhow::ensure!(s == 204, "unblock: {s} {body}");
            self.model.blocks.remove(&(a, b));
            let how = format!("blocked and unblocked by {}", self.model.name(a));
            self.model.ended.insert((a.min(b), a.max(b)), how);
        }
        self.change_audiences().await?;
        self.change_intros().await?;
        for m in self.model.all() {
            if self.rng.gen_bool(0.5) {
                self.set_profile(m).await?;
            }
        }
        self.delete_comments().await?;
        self.settle().await
    }

    /// Up to four friendships across instances and one within end by unfriending, from a
    /// random side; then a member blocks a friend across instances and another one within.
    async fn end_friendships(&mut self) -> anyhow::Result<()> {
        let mut pairs: Vec<(usize, usize)> = self.model.friends.iter().copied().collect();
        pairs.shuffle(&mut self.rng);
        let across: Vec<(usize, usize)> = pairs
            .iter()
            .copied()
            .filter(|&(x, y)| self.model.instance(x) != self.model.instance(y))
            .collect();
        let within: Vec<(usize, usize)> = pairs
            .iter()
            .copied()
            .filter(|&(x, y)| self.model.instance(x) == self.model.instance(y))
            .collect();
        let unfriend = across.iter().take(4).chain(within.iter().take(1));
        let block = across
            .iter()
            .skip(4)
            .take(1)
            .chain(within.iter().skip(1).take(1));
        let (unfriend, block): (Vec<_>, Vec<_>) =
            (unfriend.copied().collect(), block.copied().collect());
        for (x, y) in unfriend {
            let (a, b) = if self.rng.gen_bool(0.5) {
                (x, y)
            } else {
                (y, x)
            };
            let path = format!(
                "/api/v1/friends/{}",
                self.model.handle_at(b, self.model.instance(a))
            );
            let (s, body) = self.members[a].api.delete(&path).await?;
            anyhow::ensure!(
                s == 204,
                "{} unfriends {}: {s} {body}",
                self.model.name(a),
                self.model.name(b)
            );
            self.model.sever(a, b);
            let how = format!("unfriended by {}", self.model.name(a));
            self.model.ended.insert((a.min(b), a.max(b)), how);
        }
        for (x, y) in block {
            let (a, b) = if self.rng.gen_bool(0.5) {
                (x, y)
            } else {
                (y, x)
            };
            let target = self.members[b].ap_id.to_string();
            let (s, body) = self.members[a]
                .api
                .post("/api/v1/blocks", json!({ "target": target }))
                .await?;
            anyhow::ensure!(
                s == 204,
                "{} blocks {}: {s} {body}",
                self.model.name(a),
                self.model.name(b)
            );
            self.model.block(a, b);
            let how = format!("blocked by {}", self.model.name(a));
            self.model.ended.insert((a.min(b), a.max(b)), how);
        }
        Ok(())
    }

    /// Authors narrow or widen some posts. A public post that someone on the other instance
    /// who is not the author's friend commented on is narrowed to friends more often: the
    /// friends there must keep it.
    async fn change_audiences(&mut self) -> anyhow::Result<()> {
        let aps: Vec<String> = self.model.posts.keys().cloned().collect();
        for ap in aps {
            let p = &self.model.posts[&ap];
            let author = p.author;
            let stranger_commented = p.audience == Audience::Public
                && self.model.comments.values().any(|c| {
                    c.post == ap
                        && self.model.instance(c.author) != self.model.instance(author)
                        && !self.model.are_friends(c.author, author)
                });
            let audience = if stranger_commented && self.rng.gen_bool(0.7) {
                Audience::Friends
            } else if self.rng.gen_bool(0.3) {
                let others: Vec<Audience> = Audience::ALL
                    .into_iter()
                    .filter(|a| *a != p.audience)
                    .collect();
                *others.choose(&mut self.rng).expect("audiences")
            } else {
                continue;
            };
            let path = self.known[self.model.instance(author)].posts[&ap].clone();
            let (s, body) = self.members[author]
                .api
                .patch(&format!("/api/v1/{path}"), json!({ "audience": audience }))
                .await?;
            anyhow::ensure!(
                s == 200,
                "{} changes {path}: {s} {body}",
                self.model.name(author)
            );
            self.model.set_audience(&ap, audience);
        }
        Ok(())
    }

    /// Subjects hide or show some introductions; writers or subjects delete some.
    async fn change_intros(&mut self) -> anyhow::Result<()> {
        let aps: Vec<String> = self
            .model
            .intros
            .iter()
            .filter(|(_, i)| !i.gone)
            .map(|(ap, _)| ap.clone())
            .collect();
        for ap in aps {
            if !self.rng.gen_bool(0.4) {
                continue;
            }
            let (writer, subject, hidden) = {
                let i = &self.model.intros[&ap];
                (i.writer, i.subject, i.hidden)
            };
            match self.rng.gen_range(0..3) {
                0 => self.set_intro_hidden(&ap, !hidden).await?,
                n => {
                    let by = if n == 1 { writer } else { subject };
                    let Some(id) = self.intro_id_for(by, &ap).await? else {
                        continue;
                    };
                    let (s, body) = self.members[by]
                        .api
                        .delete(&format!("/api/v1/introductions/{id}"))
                        .await?;
                    if s != 204 {
                        let what = self.model.describe(&Mark::Intro(ap.clone()));
                        self.problem(
                            format!(
                                "DENIED: {} cannot delete {what}: {s} {body}",
                                self.model.name(by)
                            ),
                            String::new(),
                        );
                        continue;
                    }
                    self.model.intros.get_mut(&ap).expect("known").gone = true;
                }
            }
        }
        Ok(())
    }

    /// Members delete some of their comments, above all those on posts from the other
    /// instance, as long as they still see the post.
    async fn delete_comments(&mut self) -> anyhow::Result<()> {
        let aps: Vec<String> = self.model.comments.keys().cloned().collect();
        for ap in aps {
            let c = &self.model.comments[&ap];
            let author = self.model.posts[&c.post].author;
            let across = self.model.instance(c.author) != self.model.instance(author);
            let home = self.model.instance(c.author);
            if c.deleted
                || c.removed
                || !self.model.sees_post(Some(c.author), home, &c.post)
                || !self.rng.gen_bool(if across { 0.4 } else { 0.1 })
            {
                continue;
            }
            let (v, id) = (c.author, c.id.clone());
            let (s, body) = self.members[v]
                .api
                .delete(&format!("/api/v1/comments/{id}"))
                .await?;
            if s == 204 {
                self.model.comments.get_mut(&ap).expect("known").deleted = true;
            } else {
                let what = self.model.describe(&Mark::Comment(ap.clone()));
                self.problem(
                    format!(
                        "DENIED: {} cannot delete their own {what}: {s} {body}",
                        self.model.name(v)
                    ),
                    String::new(),
                );
            }
        }
        Ok(())
    }
}

//! Property test: every list query derived from the audience rule returns exactly what the
//! pure functions of `enishi_core::visibility` allow, for random communities (members,
//! friendships, blocks, posts at every audience, comments, likes, introductions), for every
//! viewer. Runs on SQLite and PostgreSQL.

use enishi_core::{
    ActorId, Audience, ContentLimits, InstanceSettings, Member, PostKind, RegistrationMode,
    Relation, Scheme, Viewer, ViewerKind, may_see, may_see_introduction, may_see_reaction,
};
use enishi_db::accounts::{self, NewMember};
use enishi_db::posts::{self, NewPost};
use enishi_db::{ActorKeys, Db, introductions, reactions, social};
use enishi_testkit::{DbKind, TestDb};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeSet;

enishi_testkit::main!(db: [list_queries_match_the_pure_rule]);

/// A random community, as indices into its members.
#[derive(Debug, Clone)]
struct Community {
    members: usize,
    friendships: Vec<(usize, usize)>,
    blocks: Vec<(usize, usize)>,
    /// (author, audience, is_diary)
    posts: Vec<(usize, Audience, bool)>,
    /// (post, commenter)
    comments: Vec<(usize, usize)>,
    /// (post, liker)
    likes: Vec<(usize, usize)>,
    /// (writer, subject)
    intros: Vec<(usize, usize)>,
    /// audience of each member's introductions section
    intro_audience: Vec<Audience>,
}

fn audience() -> impl Strategy<Value = Audience> {
    prop::sample::select(Audience::ALL.to_vec())
}

fn community() -> impl Strategy<Value = Community> {
    (3usize..7).prop_flat_map(|n| {
        let pair = (0..n, 0..n);
        (
            Just(n),
            prop::collection::vec(pair.clone(), 0..10),
            prop::collection::vec(pair.clone(), 0..3),
            prop::collection::vec((0..n, audience(), any::<bool>()), 1..12),
            prop::collection::vec((0usize..12, 0..n), 0..12),
            prop::collection::vec((0usize..12, 0..n), 0..12),
            prop::collection::vec(pair, 0..8),
            prop::collection::vec(audience(), n),
        )
            .prop_map(
                |(members, friendships, blocks, posts, comments, likes, intros, intro_audience)| {
                    Community {
                        members,
                        friendships,
                        blocks,
                        posts,
                        comments,
                        likes,
                        intros,
                        intro_audience,
                    }
                },
            )
    })
}

fn keys() -> ActorKeys {
    ActorKeys {
        public_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
        private_pem: "-".into(),
    }
}

fn settings() -> InstanceSettings {
    InstanceSettings {
        domain: "localhost:8080".into(),
        scheme: Scheme::Http,
        registration: RegistrationMode::Open,
        limits: ContentLimits::default(),
        name: "t".into(),
    }
}

/// What the database knows after building, read back for the pure rule.
struct Facts {
    friends: BTreeSet<(i64, i64)>,
    blocks: BTreeSet<(i64, i64)>,
}

impl Facts {
    fn rel(&self, v: &Viewer, owner: ActorId) -> Relation {
        let Some(me) = v.actor else {
            return Relation::default();
        };
        if me == owner {
            return Relation::SELF;
        }
        let friend = self.friends.contains(&(owner.0, me.0));
        let fof = !friend
            && self
                .friends
                .iter()
                .any(|(o, f)| *o == owner.0 && *f != me.0 && self.friends.contains(&(*f, me.0)));
        let blocked =
            self.blocks.contains(&(owner.0, me.0)) || self.blocks.contains(&(me.0, owner.0));
        Relation {
            is_self: false,
            friend,
            friend_of_friend: fof,
            blocked,
            // The communities here are local: nobody is addressed individually.
            addressed: false,
            follows: false,
        }
    }
}

async fn check(db: &Db, c: &Community) -> anyhow::Result<()> {
    let s = settings();
    let mut members: Vec<Member> = Vec::new();
    for i in 0..c.members {
        members.push(
            accounts::create(
                db,
                &s,
                NewMember {
                    username: &format!("u{i}"),
                    password: "password1",
                    is_admin: false,
                    keys: keys(),
                },
            )
            .await?,
        );
    }
    let viewer_of = |i: usize| Viewer::member(members[i].actor.id);
    for &(a, b) in &c.friendships {
        if a == b {
            continue;
        }
        // Ignore refusals (already friends, pending): the facts are read back below.
        let _ =
            social::request_friendship(db, &s, &members[a].actor, &members[b].actor, None).await;
        for r in social::requests(db, members[b].actor.id, social::Direction::Incoming).await? {
            if r.from.id == members[a].actor.id {
                social::accept_request(db, &s, &members[b].actor, r.id).await?;
            }
        }
    }
    let mut post_ids = Vec::new();
    for &(author, audience, diary) in &c.posts {
        let kind = if diary {
            PostKind::Diary
        } else {
            PostKind::Voice
        };
        let new = NewPost {
            kind,
            title: Some("t"),
            body: "b",
            content_warning: None,
            audience: Some(audience),
            known: &[],
            media_ids: &[],
        };
        post_ids.push(posts::create(db, &s, &members[author], new).await?.post);
    }
    for &(p, who) in &c.comments {
        if let Some(post) = post_ids.get(p) {
            let viewer = viewer_of(who);
            let _ = reactions::comment(db, &s, &viewer, post.kind, &post.public_id, "c", &[]).await;
        }
    }
    for &(p, who) in &c.likes {
        if let Some(post) = post_ids.get(p) {
            let _ = reactions::like(db, &s, &viewer_of(who), post.kind, &post.public_id).await;
        }
    }
    for (i, a) in c.intro_audience.iter().enumerate() {
        enishi_db::profiles::update_settings(
            db,
            members[i].account_id,
            enishi_db::profiles::SettingsEdit {
                introductions_audience: Some(*a),
                ..Default::default()
            },
        )
        .await?;
    }
    for &(w, subj) in &c.intros {
        let _ = introductions::write(db, &s, &viewer_of(w), &members[subj].actor, "i").await;
    }
    for &(a, b) in &c.blocks {
        if a != b {
            social::block(db, &s, &members[a].actor, &members[b].actor).await?;
        }
    }

    // Read the facts back from the database.
    use sea_orm::EntityTrait;
    let friends = enishi_db::entity::friendship::Entity::find()
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|f| (f.owner_id, f.friend_id))
        .collect();
    let blocks = enishi_db::entity::block::Entity::find()
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|b| (b.blocker_id, b.blocked_id))
        .collect();
    let facts = Facts { friends, blocks };
    let all_comments = enishi_db::entity::comment::Entity::find()
        .all(&db.conn)
        .await?;
    let all_likes = enishi_db::entity::post_like::Entity::find()
        .all(&db.conn)
        .await?;
    let all_intros = enishi_db::entity::introduction::Entity::find()
        .all(&db.conn)
        .await?;

    let mut viewers = vec![Viewer::ANONYMOUS];
    viewers.extend((0..c.members).map(viewer_of));
    for v in &viewers {
        for owner in &members {
            let owner_id = owner.actor.id;
            let rel = facts.rel(v, owner_id);
            for kind in [PostKind::Diary, PostKind::Voice] {
                let got: BTreeSet<i64> = posts::list_by_author(db, v, owner_id, kind, None, 1000)
                    .await?
                    .iter()
                    .map(|p| p.post.id.0)
                    .collect();
                let want: BTreeSet<i64> = post_ids
                    .iter()
                    .filter(|p| {
                        p.author == owner_id && p.kind == kind && may_see(p.audience, v.kind, rel)
                    })
                    .map(|p| p.id.0)
                    .collect();
                anyhow::ensure!(
                    got == want,
                    "{v:?} posts of {owner_id:?} ({kind:?}): got {got:?}, want {want:?}"
                );
            }
            let got: BTreeSet<i64> = social::friends(db, v, owner_id, None, 1000)
                .await?
                .iter()
                .map(|a| a.id.0)
                .collect();
            let want: BTreeSet<i64> = facts
                .friends
                .iter()
                .filter(|(o, f)| *o == owner_id.0 && !facts.rel(v, ActorId(*f)).blocked)
                .map(|(_, f)| *f)
                .collect();
            anyhow::ensure!(
                got == want,
                "{v:?} friends of {owner_id:?}: got {got:?}, want {want:?}"
            );
            let section = introductions::section_audience(db, owner_id).await?;
            let got: BTreeSet<i64> = introductions::list_for_subject(db, v, owner_id)
                .await?
                .iter()
                .map(|i| i.introduction.id)
                .collect();
            let want: BTreeSet<i64> = all_intros
                .iter()
                .filter(|i| {
                    i.subject_id == owner_id.0
                        && may_see_introduction(
                            section,
                            v.kind,
                            rel,
                            facts.rel(v, ActorId(i.writer_id)),
                            i.state == "hidden",
                        )
                })
                .map(|i| i.id)
                .collect();
            anyhow::ensure!(
                got == want,
                "{v:?} introductions of {owner_id:?}: got {got:?}, want {want:?}"
            );
        }
        for p in &post_ids {
            let rel = facts.rel(v, p.author);
            if !may_see(p.audience, v.kind, rel) {
                continue;
            }
            let view = posts::get_visible(db, v, p.kind, &p.public_id).await?;
            let got: BTreeSet<i64> = reactions::comments_of(db, v, &view, None, 1000)
                .await?
                .iter()
                .map(|c| c.comment.id)
                .collect();
            let want: BTreeSet<i64> = all_comments
                .iter()
                .filter(|c| {
                    c.post_id == p.id.0
                        && may_see_reaction(
                            p.audience,
                            v.kind,
                            rel,
                            facts.rel(v, ActorId(c.author_id)),
                        )
                })
                .map(|c| c.id)
                .collect();
            anyhow::ensure!(
                got == want,
                "{v:?} comments on {:?}: got {got:?}, want {want:?}",
                p.id
            );
            let got: BTreeSet<i64> = reactions::likers_of(db, v, p.id)
                .await?
                .iter()
                .map(|a| a.id.0)
                .collect();
            let want: BTreeSet<i64> = all_likes
                .iter()
                .filter(|l| {
                    l.post_id == p.id.0
                        && may_see_reaction(
                            p.audience,
                            v.kind,
                            rel,
                            facts.rel(v, ActorId(l.actor_id)),
                        )
                })
                .map(|l| l.actor_id)
                .collect();
            anyhow::ensure!(
                got == want,
                "{v:?} likes on {:?}: got {got:?}, want {want:?}",
                p.id
            );
        }
        if v.kind == ViewerKind::Member {
            let me = v.actor.unwrap();
            let got: BTreeSet<i64> = posts::timeline(db, v, None, 1000)
                .await?
                .iter()
                .map(|p| p.post.id.0)
                .collect();
            let want: BTreeSet<i64> = post_ids
                .iter()
                .filter(|p| {
                    (p.author == me || facts.friends.contains(&(me.0, p.author.0)))
                        && may_see(p.audience, v.kind, facts.rel(v, p.author))
                })
                .map(|p| p.id.0)
                .collect();
            anyhow::ensure!(got == want, "{v:?} timeline: got {got:?}, want {want:?}");
        }
    }
    Ok(())
}

async fn list_queries_match_the_pure_rule(t: TestDb) -> anyhow::Result<()> {
    let kind = t.kind;
    let cases = match kind {
        DbKind::Sqlite => 48,
        DbKind::Postgres => 24,
    };
    t.destroy().await?;
    let handle = tokio::runtime::Handle::current();
    // proptest drives synchronously; each case gets a fresh database on this runtime.
    let outcome = tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&community(), |c| {
                handle
                    .block_on(async {
                        let t = TestDb::create(kind).await?;
                        let db = enishi_db::connect(&t.url, 2).await?;
                        enishi_db::migrate(&db).await?;
                        let result = check(&db, &c).await;
                        db.close().await?;
                        t.destroy().await?;
                        result
                    })
                    .map_err(|e| TestCaseError::fail(format!("{e:#}")))
            })
            .map_err(|e| e.to_string())
    })
    .await?;
    outcome.map_err(|e| anyhow::anyhow!(e))
}

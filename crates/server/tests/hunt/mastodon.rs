//! The Mastodon client API as a read path (issue 18): every member reads through an app's
//! token what the hunt reads through Enishi's own API — every status by its number, its
//! context and its likers, every account's statuses, the relationships with every account, the
//! home and public timelines, notifications and search — and must get exactly what the
//! audience rule allows, with no marker it may not see. What is a member's own (relationships,
//! notifications by id, bookmarks) is in `mastodon_mine.rs`, the streaming API in
//! `mastodon_stream.rs`.

use super::model::{Model, name};
use super::{Report, get};
use crate::common::{Api, Member};
use enishi_core::may_see;
use enishi_db::entity::post;
use enishi_testkit::mastodon::{password_token, register_app};
use futures::stream::{self, TryStreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const CONCURRENCY: usize = 8;

/// Each member's tokens from one registered app: one that only reads, which the hunt reads
/// through (an app asking for no more than it needs), and one that also writes, for what a
/// reader does to their own lists (bookmarks).
pub struct Apps {
    /// By member.
    pub read: Vec<Api>,
    /// By member.
    pub write: Vec<Api>,
}

/// Registers the hunt's app and logs every member in through it.
pub async fn tokens(base: &str, members: &[Member]) -> anyhow::Result<Apps> {
    let http = reqwest::Client::new();
    let app = register_app(&http, base, "hunt", "read write").await?;
    let mut apps = Apps {
        read: Vec::new(),
        write: Vec::new(),
    };
    for m in members {
        let read = password_token(&http, base, &app, &m.name, "read").await?;
        let write = password_token(&http, base, &app, &m.name, "read write").await?;
        apps.read.push(Api::new(base, Some(read)));
        apps.write.push(Api::new(base, Some(write)));
    }
    Ok(apps)
}

/// The Mastodon id (row id) of every post of the model, by its public id.
pub async fn numbers(db: &enishi_db::Db, m: &Model) -> anyhow::Result<BTreeMap<String, String>> {
    let ids: Vec<String> = m.posts.keys().cloned().collect();
    let rows = post::Entity::find()
        .filter(post::Column::PublicId.is_in(ids))
        .all(&db.conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|p| (p.public_id, p.id.to_string()))
        .collect())
}

/// Every page of a Mastodon list (following `max_id`), each scanned.
pub async fn all(
    r: &Report,
    m: &Model,
    api: &Api,
    v: Option<usize>,
    path: &str,
) -> anyhow::Result<(u16, Vec<Value>)> {
    let mut out = Vec::new();
    let mut max_id: Option<String> = None;
    for _ in 0..20 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &max_id {
            Some(id) => format!("{path}{sep}limit=40&max_id={id}"),
            None => format!("{path}{sep}limit=40"),
        };
        let (s, body) = get(r, m, api, v, &url).await?;
        let Some(list) = body.as_array().filter(|_| s == 200) else {
            return Ok((s.as_u16(), out));
        };
        let done = list.len() < 40;
        max_id = list
            .last()
            .and_then(|x| x["id"].as_str())
            .map(str::to_owned);
        out.extend(list.iter().cloned());
        if done {
            break;
        }
    }
    Ok((200, out))
}

/// What a reader knows of the Mastodon ids: post id by status number, member by account id.
pub struct Ids<'a> {
    /// Post id by status number.
    pub posts: BTreeMap<&'a str, &'a str>,
    /// Member by account id.
    pub members: BTreeMap<String, usize>,
}

impl<'a> Ids<'a> {
    /// From the status numbers and the members' actor ids.
    pub fn new(numbers: &'a BTreeMap<String, String>, actors: &[i64]) -> Self {
        Ids {
            posts: numbers
                .iter()
                .map(|(p, n)| (n.as_str(), p.as_str()))
                .collect(),
            members: actors
                .iter()
                .enumerate()
                .map(|(i, a)| (a.to_string(), i))
                .collect(),
        }
    }

    /// The member an account entity stands for.
    pub fn member(&self, account: &Value) -> Option<usize> {
        account["id"]
            .as_str()
            .and_then(|a| self.members.get(a))
            .copied()
    }
}

/// An account as lists show it (a liker, a notification's actor): the nickname exactly where
/// its audience lets `v` see it, and never a bio or a field, which only the full profile
/// shows as their audiences allow.
pub fn listed_account(r: &Report, m: &Model, v: Option<usize>, o: usize, a: &Value, place: &str) {
    let who = v.map_or("anonymous".to_owned(), name);
    let nickname = may_see(m.nickname_audience[o], Model::kind(v), m.rel(v, o));
    let shown = a["display_name"].as_str().is_some_and(|d| !d.is_empty());
    r.check(shown == nickname, || {
        format!(
            "{}: {who} [{}] nickname of {} on {place}",
            if nickname { "DENIED" } else { "LEAK" },
            m.standing(v, o),
            name(o)
        )
    });
    r.check(a["note"] == "" && a["fields"] == json!([]), || {
        format!("LEAK: {who} sees a profile of {} on {place}: {a}", name(o))
    });
}

/// Reads everything through the Mastodon API as `v` (a member, or anonymous with `None`).
pub async fn read(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    numbers: &BTreeMap<String, String>,
    actors: &[i64],
) -> anyhow::Result<()> {
    let ids = Ids::new(numbers, actors);
    stream::iter(m.posts.keys().map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |id| {
            let ids = &ids;
            async move {
                match numbers.get(id) {
                    Some(n) => status(r, api, v, m, ids, id, n).await,
                    None => {
                        r.check(false, || format!("no row for post {id}"));
                        Ok(())
                    }
                }
            }
        })
        .await?;
    accounts(r, api, v, m, &ids, actors).await?;
    super::mastodon_mine::relationships(r, api, v, m, &ids, actors).await?;
    lists(r, api, v, m, &ids).await
}

/// One status by its number, its context and its likers: each exactly when `v` may see the
/// post, the likers and their count only those `v` may see.
async fn status(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    ids: &Ids<'_>,
    id: &str,
    n: &str,
) -> anyhow::Result<()> {
    let who = v.map_or("anonymous".to_owned(), name);
    let p = &m.posts[id];
    let sees = m.sees_post(v, id);
    let verdict = if sees { "DENIED" } else { "LEAK" };
    let standing = m.standing(v, p.author);
    let what = format!("{id}, {} by {}", p.audience.as_str(), name(p.author));
    // Likes by those `v` may see, as Enishi's own list of likes.
    let likers: BTreeSet<usize> = m
        .likes
        .iter()
        .filter(|(post, l)| post == id && m.sees_reaction(v, post, *l))
        .map(|(_, l)| *l)
        .collect();
    let (s, body) = get(r, m, api, v, &format!("/api/v1/statuses/{n}")).await?;
    r.check((s == 200) == sees, || {
        format!("{verdict}: {who} [{standing}] Mastodon GET statuses/{n} ({what}): {s}")
    });
    if s == 200 {
        r.check(body["enishi"]["audience"] == p.audience.as_str(), || {
            format!("WRONG: {who} reads statuses/{n} as {body}")
        });
        r.check(body["favourites_count"] == likers.len(), || {
            format!(
                "LEAK: {who} [{standing}] statuses/{n} ({what}) counts {} likes, of which {who} may see {}",
                body["favourites_count"],
                likers.len()
            )
        });
        let liked = v.is_some_and(|v| m.likes.contains(&(id.to_owned(), v)));
        let marked = v.is_some_and(|v| m.bookmarks.contains(&(v, id.to_owned())));
        r.check(
            body["favourited"] == liked && body["bookmarked"] == marked,
            || {
                format!(
                    "WRONG: {who} statuses/{n} ({what}): favourited {} (liked {liked}), bookmarked {} (marked {marked})",
                    body["favourited"], body["bookmarked"]
                )
            },
        );
    }
    let (s, _) = get(r, m, api, v, &format!("/api/v1/statuses/{n}/context")).await?;
    r.check((s == 200) == sees, || {
        format!("{who} Mastodon context of {id}: {s}")
    });
    let path = format!("/api/v1/statuses/{n}/favourited_by");
    let (s, list) = get(r, m, api, v, &path).await?;
    r.check((s == 200) == sees && (s == 404) != sees, || {
        format!("{verdict}: {who} [{standing}] Mastodon {path} ({what}): {s}")
    });
    let Some(list) = list.as_array().filter(|_| s == 200) else {
        return Ok(());
    };
    let got: Vec<Option<usize>> = list.iter().map(|a| ids.member(a)).collect();
    let got_set: BTreeSet<usize> = got.iter().flatten().copied().collect();
    r.check(got.len() == got_set.len() && got_set == likers, || {
        format!("{who} [{standing}] Mastodon {path} ({what}): got {got:?}, want {likers:?}")
    });
    for (a, o) in list.iter().zip(got) {
        if let Some(o) = o {
            listed_account(r, m, v, o, a, &format!("favourited_by of {id}"));
        }
    }
    Ok(())
}

/// Each member's account (scanned) and statuses: exactly those the reader may see.
async fn accounts(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    ids: &Ids<'_>,
    actors: &[i64],
) -> anyhow::Result<()> {
    let who = v.map_or("anonymous".to_owned(), name);
    for (author, actor) in actors.iter().enumerate() {
        // A block either way hides the account, as its profile on Enishi's API. The account
        // itself carries the bio, fields and introductions as far as their audiences allow
        // (`get` scans it for markers).
        let hidden = m.rel(v, author).blocked;
        let path = format!("/api/v1/accounts/{actor}");
        let (s, _) = get(r, m, api, v, &path).await?;
        r.check((s == 404) == hidden && (s == 200) != hidden, || {
            format!("{who} Mastodon {path} ({}): {s}", name(author))
        });
        let path = format!("/api/v1/accounts/{actor}/statuses");
        let (s, list) = all(r, m, api, v, &path).await?;
        r.check((s == 404) == hidden && (s == 200) != hidden, || {
            format!("{who} Mastodon {path} ({}): {s}", name(author))
        });
        if s != 200 {
            continue;
        }
        let got: BTreeSet<String> = list
            .iter()
            .filter_map(|x| ids.posts.get(x["id"].as_str()?).map(|p| p.to_string()))
            .collect();
        let want: BTreeSet<String> = m
            .posts
            .iter()
            .filter(|(id, p)| p.author == author && m.sees_post(v, id))
            .map(|(id, _)| id.clone())
            .collect();
        r.check(got == want, || {
            format!(
                "{who} Mastodon statuses of {}: got {got:?}, want {want:?}",
                name(author)
            )
        });
    }
    Ok(())
}

/// The lists whose every entry must be readable: scanned for markers page by page.
async fn lists(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    ids: &Ids<'_>,
) -> anyhow::Result<()> {
    let who = v.map_or("anonymous".to_owned(), name);
    let mut lists = vec![
        "/api/v1/timelines/public".to_owned(),
        "/api/v1/timelines/tag/hunt".to_owned(),
    ];
    if v.is_some() {
        lists.extend([
            "/api/v1/timelines/home".to_owned(),
            "/api/v1/notifications".to_owned(),
        ]);
    }
    for path in &lists {
        let (s, list) = all(r, m, api, v, path).await?;
        r.check(s == 200, || format!("{who} Mastodon {path}: {s}"));
        for x in &list {
            // A notification carries its post in `status` (its own id is no post's).
            let status = if path.ends_with("notifications") {
                &x["status"]
            } else {
                x
            };
            if let Some(public) = status["id"].as_str().and_then(|n| ids.posts.get(n)) {
                r.check(m.sees_post(v, public), || {
                    format!("LEAK: {who} Mastodon {path} lists {public}")
                });
            }
        }
    }
    if v.is_some() {
        let (s, _) = get(r, m, api, v, "/api/v2/search?q=hunt&limit=40").await?;
        r.check(s == 200, || format!("{who} Mastodon search: {s}"));
    }
    Ok(())
}

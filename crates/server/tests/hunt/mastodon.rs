//! The Mastodon client API as a read path (issue 18): every member reads through an app's
//! token what the hunt reads through Enishi's own API — every status by its number, its
//! context, every account's statuses, the home and public timelines, notifications and search
//! — and must get exactly what the audience rule allows, with no marker it may not see.

use super::model::{Model, name};
use super::{Report, get};
use crate::common::{Api, Member};
use enishi_db::entity::post;
use futures::stream::{self, TryStreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const CONCURRENCY: usize = 8;

/// An app's token for each member (the password grant of one registered app).
pub async fn tokens(base: &str, members: &[Member]) -> anyhow::Result<Vec<Api>> {
    let http = reqwest::Client::new();
    let app: Value = http
        .post(format!("{base}/api/v1/apps"))
        .json(
            &json!({"client_name": "hunt", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                      "scopes": "read"}),
        )
        .send()
        .await?
        .json()
        .await?;
    let mut out = Vec::new();
    for m in members {
        let t: Value = http
            .post(format!("{base}/oauth/token"))
            .json(
                &json!({"grant_type": "password", "client_id": app["client_id"],
                          "client_secret": app["client_secret"], "username": m.name,
                          "password": "password1", "scope": "read"}),
            )
            .send()
            .await?
            .json()
            .await?;
        let token = t["access_token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no token for {}: {t}", m.name))?;
        out.push(Api::new(base, Some(token.to_owned())));
    }
    Ok(out)
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
async fn all(
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

/// Reads everything through the Mastodon API as `v` (a member, or anonymous with `None`).
pub async fn read(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    numbers: &BTreeMap<String, String>,
    actors: &[i64],
) -> anyhow::Result<()> {
    let who = v.map_or("anonymous".to_owned(), name);
    let by_number: BTreeMap<&str, &str> = numbers
        .iter()
        .map(|(p, n)| (n.as_str(), p.as_str()))
        .collect();
    stream::iter(m.posts.keys().map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |id| {
            let who = &who;
            async move {
                let Some(n) = numbers.get(id) else {
                    r.check(false, || format!("no row for post {id}"));
                    return Ok(());
                };
                let sees = m.sees_post(v, id);
                let (s, body) = get(r, m, api, v, &format!("/api/v1/statuses/{n}")).await?;
                r.check((s == 200) == sees, || {
                    format!(
                        "{}: {who} [{}] Mastodon GET statuses/{n} ({id}, {} by {}): {s}",
                        if sees { "DENIED" } else { "LEAK" },
                        m.standing(v, m.posts[id].author),
                        m.posts[id].audience.as_str(),
                        name(m.posts[id].author)
                    )
                });
                if s == 200 {
                    r.check(
                        body["enishi"]["audience"] == m.posts[id].audience.as_str(),
                        || format!("WRONG: {who} reads statuses/{n} as {body}"),
                    );
                }
                let (s, _) = get(r, m, api, v, &format!("/api/v1/statuses/{n}/context")).await?;
                r.check((s == 200) == sees, || {
                    format!("{who} Mastodon context of {id}: {s}")
                });
                Ok(())
            }
        })
        .await?;
    // Each member's statuses: exactly those the reader may see.
    for (author, actor) in actors.iter().enumerate() {
        let path = format!("/api/v1/accounts/{actor}/statuses");
        let (s, list) = all(r, m, api, v, &path).await?;
        // A block either way hides the account, as its profile on Enishi's API.
        let hidden = m.rel(v, author).blocked;
        r.check((s == 404) == hidden && (s == 200) != hidden, || {
            format!("{who} Mastodon {path} ({}): {s}", name(author))
        });
        if s != 200 {
            continue;
        }
        let got: BTreeSet<String> = list
            .iter()
            .filter_map(|x| by_number.get(x["id"].as_str()?).map(|p| p.to_string()))
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
    // The lists whose every entry must be readable: scanned for markers page by page.
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
            if let Some(public) = status["id"].as_str().and_then(|n| by_number.get(n)) {
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

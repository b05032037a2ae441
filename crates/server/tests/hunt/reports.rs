//! Reports in the leak hunt (issue 17). Each member reports a few posts and comments of
//! others, some they may see and some they may not: what they may not see cannot be reported
//! (the same 404 as reading it) and no answer carries its text. A moderator (member 0, who is
//! given the role) then reads the whole queue, and every reported object must show only what
//! its reporter may see now, after the community changed too.

use super::Report;
use super::model::{Model, name};
use crate::common::{Api, Member};
use serde_json::json;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Posts and comments each member tries to report.
const PER_MEMBER: usize = 4;

fn picked(seed: u64, who: usize, id: &str) -> bool {
    let mut h = DefaultHasher::new();
    (seed, who, id).hash(&mut h);
    h.finish().is_multiple_of(5)
}

/// Each member files reports; the answer is 201 exactly when they may see what they report.
pub async fn file(r: &Report, members: &[Member], m: &Model) -> anyhow::Result<()> {
    let mut made = 0;
    for (i, mem) in members.iter().enumerate() {
        let posts = m
            .posts
            .iter()
            .filter(|(id, p)| p.author != i && picked(r.seed, i, id))
            .map(|(id, p)| (id.clone(), p.author, m.sees_post(Some(i), id)))
            .take(PER_MEMBER);
        let comments = m
            .comments
            .iter()
            .filter(|(id, (_, a))| {
                *a != i && picked(r.seed, i, id) && !m.gone_comments.contains(*id)
            })
            .map(|(id, (post, a))| (id.clone(), *a, m.sees_reaction(Some(i), post, *a)))
            .take(PER_MEMBER / 2);
        for (id, author, sees) in posts.chain(comments).collect::<Vec<_>>() {
            let (s, body) = mem
                .api
                .post(
                    "/api/v1/reports",
                    json!({"target": name(author), "object_ids": [id], "reason": "other"}),
                )
                .await?;
            let want = if sees { 201 } else { 404 };
            made += usize::from(s.as_u16() == 201);
            r.check(s.as_u16() == want, || {
                format!(
                    "{} reports {id} of {}: {s}, expected {want}",
                    name(i),
                    name(author)
                )
            });
            r.scan(
                m,
                Some(i),
                &format!("POST /api/v1/reports ({id})"),
                &body.to_string(),
            );
        }
    }
    r.check(made > 0, || {
        "no report was made: the hunt checks nothing".into()
    });
    Ok(())
}

/// The moderator reads every report: each object only as its reporter may see it now, and
/// shown whenever the reporter may still see it.
pub async fn moderated(r: &Report, moderator: &Api, m: &Model) -> anyhow::Result<()> {
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/admin/reports?state=all&limit=100&cursor={c}"),
            None => "/api/v1/admin/reports?state=all&limit=100".to_owned(),
        };
        let (s, page) = moderator.get(&path).await?;
        r.check(s == 200, || format!("the moderator's queue: {s}"));
        if s != 200 {
            return Ok(());
        }
        for item in page["items"].as_array().cloned().unwrap_or_default() {
            let Some(reporter) = item["reporter"]["handle"]
                .as_str()
                .and_then(|h| h.strip_prefix('m'))
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            let place = format!("the report {} by {}", item["id"], name(reporter));
            r.scan(m, Some(reporter), &place, &item["objects"].to_string());
            for o in item["objects"].as_array().cloned().unwrap_or_default() {
                let ap_id = o["ap_id"].as_str().unwrap_or_default();
                let Some(post) = m.posts.keys().find(|id| ap_id.ends_with(&format!("/{id}")))
                else {
                    continue;
                };
                let sees = m.sees_post(Some(reporter), post);
                let shown = o["kind"] != "unavailable";
                r.check(sees == shown, || {
                    format!("{place}: {post} shown {shown}, but its reporter may see it: {sees}")
                });
            }
        }
        cursor = page["next"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return Ok(());
        }
    }
}

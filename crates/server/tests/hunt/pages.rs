//! Pages and documents anyone can request, and a member's timeline, notifications and
//! footprints.

use super::model::{Model, name};
use super::read::Prints;
use super::{Report, all_pages, ids};
use crate::common::Api;
use enishi_core::Audience;
use std::collections::BTreeSet;

/// GET `url` with `accept`, scanned as an anonymous read.
async fn fetch(
    r: &Report,
    m: &Model,
    url: &str,
    accept: &str,
    what: &str,
) -> anyhow::Result<(u16, String)> {
    let resp = reqwest::Client::new()
        .get(url)
        .header("accept", accept)
        .send()
        .await?;
    let status = resp.status().as_u16();
    let body = resp.text().await?;
    r.scan(m, None, &format!("{what} {url}"), &body);
    Ok((status, body))
}

/// Profile pages, actor documents, post pages and ActivityStreams objects, anonymously: only
/// public parts, and public posts exactly.
pub async fn public(r: &Report, api: &Api, m: &Model) -> anyhow::Result<()> {
    const JSON: &str = "application/activity+json";
    for o in 0..m.n {
        let url = format!("{}/users/{}", api.base, name(o));
        let (_, html) = fetch(r, m, &url, "text/html", "HTML").await?;
        let (_, doc) = fetch(r, m, &url, JSON, "AP").await?;
        for (field, audience) in &m.fields[o] {
            let public = *audience == Audience::Public;
            r.check(html.contains(field.as_str()) == public, || {
                format!("profile page of {} and field {field}", name(o))
            });
            // The actor document carries the public fields as PropertyValues, and no other.
            r.check(doc.contains(field.as_str()) == public, || {
                let how = if public { "DENIED" } else { "LEAK" };
                format!("{how}: actor document of {} and field {field}", name(o))
            });
        }
        for c in ["outbox", "followers", "introductions"] {
            fetch(r, m, &format!("{url}/{c}"), JSON, "AP").await?;
        }
    }
    for (id, p) in &m.posts {
        let url = format!("{}/{}/{id}", api.base, p.kind);
        let public = p.audience == Audience::Public;
        let (s, _) = fetch(r, m, &url, "text/html", "HTML").await?;
        r.check((s == 200) == public && (s == 200 || s == 404), || {
            let how = if public { "DENIED" } else { "LEAK" };
            format!("{how}: anonymous page {url} ({}): {s}", p.audience.as_str())
        });
        let (s, _) = fetch(r, m, &url, JSON, "AP").await?;
        r.check((s == 200) == public, || {
            let how = if public { "DENIED" } else { "LEAK" };
            format!("{how}: anonymous AP {url} ({}): {s}", p.audience.as_str())
        });
    }
    for id in m.comments.keys().chain(&m.gone_comments) {
        fetch(r, m, &format!("{}/comments/{id}", api.base), JSON, "AP").await?;
    }
    Ok(())
}

/// A member's timeline (own and friends' posts they may see, newest first), notifications
/// (their own, about what they may see, from nobody blocked) and everything else about them.
pub async fn member(r: &Report, api: &Api, me: usize, m: &Model) -> anyhow::Result<()> {
    let who = name(me);
    let v = Some(me);
    let (_, list) = all_pages(r, m, api, v, "/api/v1/timeline").await?;
    let want: BTreeSet<String> = m
        .posts
        .iter()
        .filter(|(id, p)| (p.author == me || m.are_friends(me, p.author)) && m.sees_post(v, id))
        .map(|(id, _)| id.clone())
        .collect();
    let got = ids(&list, "id");
    r.check(got == want, || {
        format!("{who} timeline: got {got:?}, want {want:?}")
    });
    let times: Vec<&str> = list
        .iter()
        .map(|p| p["created_at"].as_str().unwrap_or_default())
        .collect();
    r.check(times.windows(2).all(|w| w[0] >= w[1]), || {
        format!("{who} timeline is newest first")
    });

    let (_, list) = all_pages(r, m, api, v, "/api/v1/notifications").await?;
    for n in &list {
        let actor = n["actor"]["handle"].as_str().unwrap_or_default();
        let a: usize = actor
            .get(1..)
            .and_then(|a| a.parse().ok())
            .unwrap_or(usize::MAX);
        r.check(a < m.n && !m.blocked(me, a), || {
            format!("LEAK: {who} notified by blocked {actor}")
        });
        if let Some(post) = n["post_id"].as_str() {
            r.check(m.posts.contains_key(post) && m.sees_post(v, post), || {
                format!("LEAK: {who} notified about invisible {post}")
            });
        }
    }
    let of_kind = |k: &str, f: &str| -> BTreeSet<String> {
        list.iter()
            .filter(|n| n["kind"] == k && !n[f].is_null())
            .map(|n| {
                let actor = n["actor"]["handle"].as_str().unwrap_or_default();
                format!("{}/{actor}", n[f].as_str().unwrap_or_default())
            })
            .collect()
    };
    let want: BTreeSet<String> = m
        .comments
        .iter()
        .filter(|(_, (post, a))| m.posts[post].author == me && *a != me && !m.blocked(me, *a))
        .map(|(cid, (_, a))| format!("{cid}/{}", name(*a)))
        .collect();
    let got = of_kind("comment", "comment_id");
    r.check(got == want, || {
        format!("{who} comment notifications: got {got:?}, want {want:?}")
    });
    // A like a block removed may still be announced once the block is lifted.
    let like = |(post, l): &(String, usize)| {
        (m.posts[post].author == me && *l != me && !m.blocked(me, *l))
            .then(|| format!("{post}/{}", name(*l)))
    };
    let want: BTreeSet<String> = m.likes.iter().filter_map(like).collect();
    let may: BTreeSet<String> = m.unliked.iter().filter_map(like).collect();
    let got = of_kind("like", "post_id");
    r.check(
        want.is_subset(&got) && got.iter().all(|g| want.contains(g) || may.contains(g)),
        || format!("{who} like notifications: got {got:?}, want {want:?}"),
    );
    let want: BTreeSet<String> = m
        .intros
        .iter()
        .filter(|(_, (w, s, _))| *s == me && *w != me)
        .map(|(id, (w, _, _))| format!("{id}/{}", name(*w)))
        .collect();
    let got = of_kind("introduction", "introduction_id");
    r.check(got == want, || {
        format!("{who} introduction notifications: got {got:?}, want {want:?}")
    });
    for path in [
        "/api/v1/me",
        "/api/v1/friends/requests?direction=incoming",
        "/api/v1/friends/requests?direction=outgoing",
        "/api/v1/blocks",
    ] {
        super::get(r, m, api, v, path).await?;
    }
    Ok(())
}

/// Footprints, after every visit: exactly the visits made (in any phase), owner-only.
pub async fn footprints(
    r: &Report,
    apis: &[&Api],
    m: &Model,
    prints: &Prints,
) -> anyhow::Result<()> {
    for (o, api) in apis.iter().enumerate() {
        let (_, list) = all_pages(r, m, api, Some(o), "/api/v1/footprints").await?;
        let got: BTreeSet<(usize, String)> = list
            .iter()
            .map(|f| {
                let handle = f["visitor"]["handle"].as_str().unwrap_or_default();
                let visitor = handle
                    .get(1..)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(usize::MAX);
                let target = f["diary_id"]
                    .as_str()
                    .map_or("profile".to_owned(), str::to_owned);
                (visitor, target)
            })
            .collect();
        let want: BTreeSet<(usize, String)> = prints
            .iter()
            .filter(|(owner, visitor, _)| *owner == o && !m.blocked(o, *visitor))
            .map(|(_, v, t)| (*v, t.clone()))
            .collect();
        r.check(got == want, || {
            format!("footprints of {}: got {got:?}, want {want:?}", name(o))
        });
    }
    Ok(())
}

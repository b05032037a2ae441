//! What is a member's own through the Mastodon API: their relationships with everyone, their
//! notifications, each also by its id — which no one else may read, whatever ids they guess —
//! and their bookmarks, which hold only what they may still see after the community changed.

use super::mastodon::{Apps, Ids, all, listed_account};
use super::model::{Model, name};
use super::{Report, all_pages, get};
use crate::common::{Api, Member};
use enishi_core::Audience;
use futures::stream::{self, TryStreamExt};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

const CONCURRENCY: usize = 8;

/// Posts each member bookmarks: few enough that the list is one page.
const BOOKMARKS: usize = 4;

/// Each member bookmarks through their app a few posts of others they may see — the narrow
/// ones first, which the second phase's unfriending, blocks and narrowing may take out of
/// their sight — and tries one they may not see, which must fail as a post that does not
/// exist (404), not as one that exists but is refused.
pub async fn bookmark(
    r: &Report,
    apps: &Apps,
    m: &mut Model,
    numbers: &BTreeMap<String, String>,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    for v in 0..m.n {
        let who = name(v);
        let mut seen: Vec<&String> = m
            .posts
            .iter()
            .filter(|(id, p)| p.author != v && m.sees_post(Some(v), id))
            .map(|(id, _)| id)
            .collect();
        seen.shuffle(rng);
        // Stable: the shuffle decides within each kind.
        seen.sort_by_key(|id| {
            matches!(m.posts[*id].audience, Audience::Public | Audience::Members)
        });
        let chosen: Vec<String> = seen.into_iter().take(BOOKMARKS).cloned().collect();
        let unseen: Vec<&String> = m
            .posts
            .keys()
            .filter(|id| !m.sees_post(Some(v), id))
            .collect();
        let refused = unseen.choose(rng).map(|id| id.to_string());
        let api = &apps.write[v];
        for id in chosen.iter().chain(&refused) {
            let n = &numbers[id];
            let path = format!("/api/v1/statuses/{n}/bookmark");
            let (s, body) = api.post_empty(&path).await?;
            r.scan(
                m,
                Some(v),
                &format!("Mastodon POST {path}"),
                &body.to_string(),
            );
            if Some(id) == refused.as_ref() {
                r.check(s == 404, || {
                    format!("LEAK: {who} bookmarks {id}, which they may not see: {s} {body}")
                });
                continue;
            }
            let ok = s == 200 && body["id"] == n.as_str() && body["bookmarked"] == true;
            r.check(ok, || format!("{who} bookmarks {id}: {s} {body}"));
            if ok {
                m.bookmarks.insert((v, id.clone()));
            }
        }
    }
    Ok(())
}

/// Every member's bookmarks: exactly the posts they bookmarked that they may still see
/// (members only: 401 anonymously).
pub async fn bookmarks(
    r: &Report,
    apps: &Apps,
    anonymous: &Api,
    m: &Model,
    ids: &Ids<'_>,
) -> anyhow::Result<()> {
    let (s, _) = anonymous.get("/api/v1/bookmarks").await?;
    r.check(s == 401, || format!("anonymous Mastodon bookmarks: {s}"));
    for (v, api) in apps.read.iter().enumerate() {
        let who = name(v);
        // One page (BOOKMARKS < 40): `all` pages by the last status id, not the bookmark's.
        let (s, list) = all(r, m, api, Some(v), "/api/v1/bookmarks").await?;
        r.check(s == 200, || format!("{who} Mastodon bookmarks: {s}"));
        let got: BTreeSet<String> = list
            .iter()
            .map(|x| {
                let n = x["id"].as_str().unwrap_or_default();
                r.check(x["bookmarked"] == true, || {
                    format!("WRONG: {who} bookmarks list {n} as not bookmarked")
                });
                ids.posts
                    .get(n)
                    .map_or(format!("unknown {n}"), |p| p.to_string())
            })
            .collect();
        let marked: BTreeSet<String> = m
            .bookmarks
            .iter()
            .filter(|(b, _)| *b == v)
            .map(|(_, id)| id.clone())
            .collect();
        let want: BTreeSet<String> = marked
            .iter()
            .filter(|id| m.sees_post(Some(v), id))
            .cloned()
            .collect();
        for id in got.difference(&want) {
            let why = match m.posts.get(id) {
                Some(p) if marked.contains(id) => format!(
                    "which they may no longer see ({} by {} [{}])",
                    p.audience.as_str(),
                    name(p.author),
                    m.standing(Some(v), p.author)
                ),
                _ => "which they never bookmarked".to_owned(),
            };
            r.problem(
                format!("LEAK: {who} Mastodon bookmarks list {id}, {why}"),
                String::new(),
            );
        }
        r.check(want.is_subset(&got), || {
            format!(
                "DENIED: {who} Mastodon bookmarks miss {:?}",
                want.difference(&got).collect::<Vec<_>>()
            )
        });
    }
    Ok(())
}

/// Every member's Mastodon notifications — exactly those of Enishi's own list, none from
/// someone blocked either way or about a post out of their sight — each by its id; then every
/// member asks for every other member's notifications by id, and an anonymous caller for
/// each: never anything but 404 (401 anonymously).
pub async fn notifications(
    r: &Report,
    members: &[Member],
    apps: &Apps,
    m: &Model,
    ids: &Ids<'_>,
) -> anyhow::Result<()> {
    let mut owned: Vec<BTreeSet<String>> = Vec::new();
    for (v, api) in apps.read.iter().enumerate() {
        let who = name(v);
        let (s, list) = all(r, m, api, Some(v), "/api/v1/notifications").await?;
        r.check(s == 200, || format!("{who} Mastodon notifications: {s}"));
        let got: BTreeSet<String> = list
            .iter()
            .map(|x| x["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        // The same notifications through Enishi's own API, with the member's own token.
        let (s, own) = all_pages(r, m, &members[v].api, Some(v), "/api/v1/notifications").await?;
        r.check(s == 200, || format!("{who} notifications: {s}"));
        let want: BTreeSet<String> = own.iter().map(|x| x["id"].to_string()).collect();
        r.check(got == want, || {
            format!("{who} Mastodon notifications {got:?}, Enishi's {want:?}")
        });
        for x in &list {
            notification(r, m, v, ids, x, "notifications");
        }
        owned.push(got.union(&want).cloned().collect());
    }
    let anonymous = apps.read[0].anonymous();
    let owned = &owned;
    stream::iter((0..m.n).map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |v| {
            let anonymous = &anonymous;
            async move {
                let who = name(v);
                for (owner, nids) in owned.iter().enumerate() {
                    for nid in nids {
                        let path = format!("/api/v1/notifications/{nid}");
                        let (s, body) = get(r, m, &apps.read[v], Some(v), &path).await?;
                        if owner == v {
                            r.check(s == 200 && body["id"] == nid.as_str(), || {
                                format!("{who} Mastodon {path}, their own: {s} {body}")
                            });
                            if s == 200 {
                                notification(r, m, v, ids, &body, &path);
                            }
                        } else {
                            r.check(s == 404, || {
                                format!(
                                    "LEAK: {who} reads {}'s notification {nid}: {s} {body}",
                                    name(owner)
                                )
                            });
                        }
                        if v == 0 {
                            let (s, body) = get(r, m, anonymous, None, &path).await?;
                            r.check(s == 401, || {
                                format!("LEAK: anonymous reads notification {nid}: {s} {body}")
                            });
                        }
                    }
                }
                Ok(())
            }
        })
        .await
}

/// One of `v`'s notifications: from no one blocked either way, its actor's nickname as its
/// audience allows, its post one `v` may see.
pub fn notification(
    r: &Report,
    m: &Model,
    v: usize,
    ids: &Ids<'_>,
    x: &serde_json::Value,
    place: &str,
) {
    let who = name(v);
    match ids.member(&x["account"]) {
        Some(o) => {
            r.check(!m.blocked(v, o), || {
                format!(
                    "LEAK: {who} [{}] is told of {} on {place}: {x}",
                    m.standing(Some(v), o),
                    name(o)
                )
            });
            listed_account(r, m, Some(v), o, &x["account"], place);
        }
        None => r.check(false, || {
            format!("WRONG: {who} {place}: an unknown account in {x}")
        }),
    }
    if let Some(n) = x["status"]["id"].as_str() {
        match ids.posts.get(n) {
            Some(public) => r.check(m.sees_post(Some(v), public), || {
                format!("LEAK: {who} {place} carries {public}, which they may not see")
            }),
            None => r.check(false, || {
                format!("WRONG: {who} {place}: an unknown status {n}")
            }),
        }
    }
}

/// `accounts/relationships` for every member and an id that names nobody: members only (401
/// anonymously). As `accounts.rs` answers it, an account with a block standing either way is
/// left out, as one that does not exist — less than Enishi's own relationship endpoint, which
/// shows the blocker their own block — and every other one shows exactly the friendship and
/// pending requests between the two, and no block.
pub async fn relationships(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    ids: &Ids<'_>,
    actors: &[i64],
) -> anyhow::Result<()> {
    let query: Vec<String> = actors
        .iter()
        .map(|a| format!("id[]={a}"))
        .chain(["id[]=987654321".to_owned()])
        .collect();
    let path = format!("/api/v1/accounts/relationships?{}", query.join("&"));
    let (s, body) = get(r, m, api, v, &path).await?;
    let Some(me) = v else {
        r.check(s == 401, || {
            format!("anonymous Mastodon relationships: {s}")
        });
        return Ok(());
    };
    let who = name(me);
    let list = body.as_array().filter(|_| s == 200);
    r.check(list.is_some(), || {
        format!("{who} Mastodon relationships: {s} {body}")
    });
    let list = list.map_or(&[][..], |l| l.as_slice());
    let got: Vec<Option<usize>> = list.iter().map(|x| ids.member(x)).collect();
    let want: Vec<Option<usize>> = (0..m.n).filter(|o| !m.blocked(me, *o)).map(Some).collect();
    r.check(got == want, || {
        let blocked: Vec<usize> = (0..m.n).filter(|o| m.blocked(me, *o)).collect();
        let across = got.iter().flatten().any(|o| blocked.contains(o));
        format!(
            "{}: {who} Mastodon relationships: got {got:?}, want {want:?} (blocks with {blocked:?})",
            if across { "LEAK" } else { "WRONG" }
        )
    });
    for (x, o) in list.iter().zip(got) {
        let Some(o) = o else { continue };
        let friend = m.are_friends(me, o);
        let expected = json!({
            "following": friend,
            "followed_by": friend,
            "blocking": false,
            "blocked_by": false,
            "requested": m.requests.contains(&(me, o)),
            "requested_by": m.requests.contains(&(o, me)),
            "muting": false,
            "enishi": {"friend": friend},
        });
        let wrong: Vec<&String> = expected
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, want)| x[k.as_str()] != **want)
            .map(|(k, _)| k)
            .collect();
        r.check(wrong.is_empty(), || {
            format!(
                "WRONG: {who} [{}] Mastodon relationship with {}: {wrong:?} in {x}",
                m.standing(v, o),
                name(o)
            )
        });
    }
    Ok(())
}

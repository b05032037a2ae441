//! Every post, comment, like, profile, list and introduction as one reader: exactly what the
//! rule allows, and no marker it does not.

use super::model::{Model, name};
use super::{Report, all_pages, get, ids};
use crate::common::Api;
use enishi_core::may_see;
use futures::stream::{self, TryStreamExt};
use std::collections::BTreeSet;
use std::sync::Mutex;

const CONCURRENCY: usize = 8;

/// Footprints the hunt should have left: (owner, visitor, target), target "profile" or a diary id.
pub type Prints = BTreeSet<(usize, usize, String)>;

fn leaves_footprint(m: &Model, v: Option<usize>, owner: usize) -> Option<usize> {
    let v = v?;
    (v != owner && !m.footprints_off.contains(&v) && !m.footprints_off.contains(&owner))
        .then_some(v)
}

/// Every post by id, with its comments and likes.
pub async fn posts(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    prints: &Mutex<Prints>,
) -> anyhow::Result<()> {
    let who = v.map_or("anonymous".to_owned(), name);
    let kind = Model::kind(v);
    stream::iter(m.posts.iter().map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |(id, p)| {
            let who = &who;
            async move {
                let (author, audience, kind_path) = (p.author, p.audience, p.kind);
                let sees = m.sees_post(v, id);
                let (s, body) = get(r, m, api, v, &format!("/api/v1/{kind_path}/{id}")).await?;
                r.check((s == 200) == sees, || {
                    format!(
                        "{}: {who} [{}] GET {kind_path}/{id} ({} by {}): {s}",
                        if sees { "DENIED" } else { "LEAK" },
                        m.standing(v, author),
                        audience.as_str(),
                        name(author)
                    )
                });
                r.check(s == 200 || s == 404, || format!("{who} GET {id}: {s}"));
                if s == 200 {
                    r.check(
                        body["audience"] == audience.as_str()
                            && body["author_handle"] == name(author).as_str(),
                        || format!("WRONG: {who} reads {kind_path}/{id} as {body}"),
                    );
                    let nickname = may_see(m.nickname_audience[author], kind, m.rel(v, author));
                    r.check(body["author"]["nickname"].is_string() == nickname, || {
                        format!("{who}: nickname of {} on {id}", name(author))
                    });
                    if kind_path == "diaries"
                        && let Some(visitor) = leaves_footprint(m, v, author)
                    {
                        prints.lock().unwrap().insert((author, visitor, id.clone()));
                    }
                }
                let path = format!("/api/v1/{kind_path}/{id}/comments");
                let (s, list) = all_pages(r, m, api, v, &path).await?;
                r.check((s == 200) == sees, || {
                    format!("{who} comments of {id}: {s}")
                });
                if sees {
                    let want: BTreeSet<String> = m
                        .comments
                        .iter()
                        .filter(|(_, (post, a))| post == id && m.sees_reaction(v, post, *a))
                        .map(|(cid, _)| cid.clone())
                        .collect();
                    let got = ids(&list, "id");
                    r.check(got == want, || {
                        format!("{who} comments of {id}: got {got:?}, want {want:?}")
                    });
                }
                let path = format!("/api/v1/{kind_path}/{id}/likes");
                let (s, list) = all_pages(r, m, api, v, &path).await?;
                r.check((s == 200) == sees, || format!("{who} likes of {id}: {s}"));
                if sees {
                    let want: BTreeSet<String> = m
                        .likes
                        .iter()
                        .filter(|(post, l)| post == id && m.sees_reaction(v, post, *l))
                        .map(|(_, l)| name(*l))
                        .collect();
                    let got = ids(&list, "handle");
                    r.check(got == want, || {
                        format!("{who} likes of {id}: got {got:?}, want {want:?}")
                    });
                }
                Ok(())
            }
        })
        .await
}

/// Every member's profile, posts, friends and introductions; every introduction by id.
pub async fn members(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    prints: &Mutex<Prints>,
) -> anyhow::Result<()> {
    let who = v.map_or("anonymous".to_owned(), name);
    let kind = Model::kind(v);
    stream::iter((0..m.n).map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |o| {
            let who = &who;
            async move {
                let on = name(o);
                let rel = m.rel(v, o);
                let hidden = rel.blocked;
                let (s, p) = get(r, m, api, v, &format!("/api/v1/users/{on}")).await?;
                r.check((s == 404) == hidden && (s == 200) != hidden, || {
                    format!("{who} profile of {on}: {s}")
                });
                if s == 200 {
                    let want: BTreeSet<String> = m.fields[o]
                        .iter()
                        .filter(|(_, a)| may_see(*a, kind, rel))
                        .map(|(n, _)| n.clone())
                        .collect();
                    let got = ids(
                        p["fields"].as_array().map_or(&[][..], |a| a.as_slice()),
                        "name",
                    );
                    r.check(got == want, || {
                        format!("{who} fields of {on}: got {got:?}, want {want:?}")
                    });
                    let sees = |a| may_see(a, kind, rel);
                    r.check(p["friends_visible"] == sees(m.friends_audience[o]), || {
                        format!("{who} friends_visible of {on}")
                    });
                    r.check(
                        p["nickname"].is_string() == sees(m.nickname_audience[o]),
                        || format!("{who} nickname of {on}"),
                    );
                    r.check(
                        p["introductions_visible"] == sees(m.intro_audience[o]),
                        || format!("{who} introductions_visible of {on}"),
                    );
                    if let Some(visitor) = leaves_footprint(m, v, o) {
                        prints
                            .lock()
                            .unwrap()
                            .insert((o, visitor, "profile".into()));
                    }
                }
                for kind_path in ["diaries", "voices"] {
                    let path = format!("/api/v1/users/{on}/{kind_path}");
                    let (s, list) = all_pages(r, m, api, v, &path).await?;
                    r.check((s == 404) == hidden, || {
                        format!("{who} {kind_path} of {on}: {s}")
                    });
                    if !hidden {
                        let want: BTreeSet<String> = m
                            .posts
                            .iter()
                            .filter(|(id, p)| {
                                p.author == o && p.kind == kind_path && m.sees_post(v, id)
                            })
                            .map(|(id, _)| id.clone())
                            .collect();
                        let got = ids(&list, "id");
                        r.check(got == want, || {
                            format!(
                                "{who} [{}] {kind_path} of {on}: got {got:?}, want {want:?}",
                                m.standing(v, o)
                            )
                        });
                    }
                }
                let path = format!("/api/v1/users/{on}/friends");
                let (s, list) = all_pages(r, m, api, v, &path).await?;
                r.check((s == 404) == hidden, || {
                    format!("{who} friends of {on}: {s}")
                });
                if !hidden {
                    let want: BTreeSet<String> = if may_see(m.friends_audience[o], kind, rel) {
                        (0..m.n)
                            .filter(|f| {
                                m.are_friends(o, *f)
                                    && !v.is_some_and(|v| v != *f && m.blocked(v, *f))
                            })
                            .map(name)
                            .collect()
                    } else {
                        BTreeSet::new()
                    };
                    let got = ids(&list, "handle");
                    r.check(got == want, || {
                        format!(
                            "{who} [{}] friends of {on}: got {got:?}, want {want:?}",
                            m.standing(v, o)
                        )
                    });
                }
                let path = format!("/api/v1/users/{on}/introductions");
                let (s, list) = all_pages(r, m, api, v, &path).await?;
                r.check((s == 404) == hidden, || {
                    format!("{who} introductions of {on}: {s}")
                });
                if !hidden {
                    let want: BTreeSet<String> = m
                        .intros
                        .iter()
                        .filter(|(id, (_, s, _))| *s == o && m.sees_intro(v, id))
                        .map(|(id, _)| id.clone())
                        .collect();
                    let got = ids(&list, "id");
                    r.check(got == want, || {
                        format!(
                            "{who} [{}] introductions of {on}: got {got:?}, want {want:?}",
                            m.standing(v, o)
                        )
                    });
                }
                Ok(())
            }
        })
        .await?;
    for id in m.intros.keys() {
        let (s, _) = get(r, m, api, v, &format!("/api/v1/introductions/{id}")).await?;
        r.check((s == 200) == m.sees_intro(v, id), || {
            format!("{who} introduction {id}: {s}")
        });
    }
    for id in &m.gone_intros {
        let (s, _) = get(r, m, api, v, &format!("/api/v1/introductions/{id}")).await?;
        r.check(s == 404, || {
            format!("LEAK: {who} reads deleted introduction {id}: {s}")
        });
    }
    Ok(())
}

/// The `#hunt` list as one reader: exactly the posts the rule lets them see. In the first phase
/// (mentions notify when written), a member's mention notifications name exactly the posts
/// that mention them and that they may see.
pub async fn tags_and_mentions(
    r: &Report,
    api: &Api,
    v: Option<usize>,
    m: &Model,
    first_phase: bool,
) -> anyhow::Result<()> {
    let who = v.map_or("anonymous".to_owned(), name);
    let (s, list) = all_pages(r, m, api, v, "/api/v1/tags/hunt").await?;
    r.check(s == 200, || format!("{who} GET tags/hunt: {s}"));
    let want: BTreeSet<String> = m
        .posts
        .keys()
        .filter(|id| m.sees_post(v, id))
        .cloned()
        .collect();
    let got = ids(&list, "id");
    r.check(got.is_subset(&want), || {
        format!(
            "LEAK: {who} tags/hunt lists {:?}",
            got.difference(&want).collect::<Vec<_>>()
        )
    });
    r.check(want.is_subset(&got), || {
        format!(
            "DENIED: {who} tags/hunt misses {:?}",
            want.difference(&got).collect::<Vec<_>>()
        )
    });
    let Some(me) = v.filter(|_| first_phase) else {
        return Ok(());
    };
    let (s, list) = all_pages(r, m, api, v, "/api/v1/notifications").await?;
    r.check(s == 200, || format!("{who} notifications: {s}"));
    let got: BTreeSet<String> = list
        .iter()
        .filter(|n| n["kind"] == "mention")
        .map(|n| n["post_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    // Told when the post was written, if they could see it then; listed while they still may.
    let want: BTreeSet<String> = m
        .mention_notices
        .iter()
        .filter(|(k, id)| *k == me && m.sees_post(v, id))
        .map(|(_, id)| id.clone())
        .collect();
    r.check(got == want, || {
        format!("{who} mention notifications: got {got:?}, want {want:?}")
    });
    Ok(())
}

/// Every photo URL handed out works for whoever holds it (it is the capability), and every URL
/// that died with a narrowing answers 404, whoever asks.
pub async fn photos(r: &Report, m: &Model) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    r.check(!m.photos.is_empty(), || "some posts carry photos".into());
    for (post, urls) in &m.photos {
        for url in urls {
            let s = http.get(url).send().await?.status();
            r.check(s == 200, || format!("photo {url} of {post}: {s}"));
        }
    }
    for (url, post) in &m.dead_photos {
        let s = http.get(url).send().await?.status();
        r.check(s == 404, || {
            format!("LEAK: photo URL {url} of {post} still answers {s} after its audience narrowed")
        });
    }
    Ok(())
}

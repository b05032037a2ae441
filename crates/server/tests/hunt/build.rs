//! Building the community (phase 1) and changing it after the fact (phase 2).

use super::Report;
use super::model::{Mark, Model, Post, name};
use crate::common::{self, Member, member};
use enishi_core::Audience;
use enishi_testkit::markers::marker;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

/// A fresh marker standing for `mark`.
fn mark(m: &mut Model, rng: &mut StdRng, mark: Mark) -> String {
    let s = marker(rng.r#gen());
    m.marks.insert(s.clone(), mark);
    s
}

fn profile(owner: usize, part: &'static str, audience: Audience) -> Mark {
    Mark::Profile {
        owner,
        part,
        audience,
    }
}

/// Uploads a small PNG of a random colour as `api`'s member; returns its media id.
async fn upload_photo(api: &common::Api, rng: &mut StdRng) -> anyhow::Result<String> {
    let colour = image::Rgb([rng.r#gen(), rng.r#gen(), rng.r#gen()]);
    let img = image::RgbImage::from_pixel(8, 6, colour);
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)?;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png.into_inner()).file_name("p.png"),
    );
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/media", api.base))
        .bearer_auth(api.token().unwrap_or_default())
        .multipart(form)
        .send()
        .await?;
    let status = r.status();
    let body: serde_json::Value = r.json().await?;
    anyhow::ensure!(status == 201, "upload: {status} {body}");
    Ok(body["id"].as_str().unwrap_or_default().to_owned())
}

fn audience(rng: &mut StdRng) -> Audience {
    *Audience::ALL.choose(rng).expect("audiences")
}

/// New audiences for `i`'s nickname, bio, friends list and introductions section, and new
/// marked values for the nickname, bio and one field per audience.
async fn set_profile(
    mem: &Member,
    i: usize,
    m: &mut Model,
    rng: &mut StdRng,
    footprints: bool,
) -> anyhow::Result<()> {
    let (intro, friends, nickname, bio) =
        (audience(rng), audience(rng), audience(rng), audience(rng));
    let (s, b) = mem
        .api
        .patch(
            "/api/v1/me/settings",
            json!({"introductions_audience": intro, "friends_audience": friends,
            "footprints_enabled": footprints, "nickname_audience": nickname, "bio_audience": bio}),
        )
        .await?;
    anyhow::ensure!(s == 200, "settings: {b}");
    m.intro_audience[i] = intro;
    m.friends_audience[i] = friends;
    m.nickname_audience[i] = nickname;
    let nick = mark(m, rng, profile(i, "nickname", nickname));
    let about = mark(m, rng, profile(i, "bio", bio));
    let fields: Vec<(String, Audience)> = Audience::ALL
        .iter()
        .map(|a| (format!("{}-{}", name(i), a.as_str()), *a))
        .collect();
    let mut body = Vec::new();
    for (n, a) in &fields {
        let v = mark(m, rng, profile(i, "field", *a));
        body.push(json!({"name": n, "value": v, "audience": a}));
    }
    let (s, b) = mem
        .api
        .patch(
            "/api/v1/me/profile",
            json!({"nickname": format!("{} {nick}", name(i)), "bio": format!("about me {about}"), "fields": body}),
        )
        .await?;
    anyhow::ensure!(s == 200, "profile: {b}");
    m.fields[i] = fields;
    Ok(())
}

/// Member `i` writes a post at `audience`, a diary or a voice post, perhaps with a photo, with a
/// fresh marker, a mention and `#hunt`; returns its id.
pub async fn write_post(
    mem: &Member,
    i: usize,
    audience: Audience,
    m: &mut Model,
    rng: &mut StdRng,
) -> anyhow::Result<String> {
    let mk = mark(m, rng, Mark::Post(String::new()));
    // A mention and a hashtag: two more ways to learn of a post (a notification, the tag's
    // list), each allowed only to those who may see it.
    let named = rng.gen_range(0..m.n);
    let tail = format!("@{} #hunt", name(named));
    let (path, kind, mut body) = if rng.gen_bool(0.5) {
        let body = json!({"title": format!("diary {mk}"), "body": format!("dear diary {mk} {tail}"), "audience": audience});
        ("/api/v1/diaries", "diaries", body)
    } else {
        let body = json!({"text": format!("voice {mk} {tail}"), "audience": audience});
        ("/api/v1/voices", "voices", body)
    };
    // A photo on some posts: its URL may reach only those who may see the post.
    if rng.gen_bool(0.4) {
        body["media_ids"] = json!([upload_photo(&mem.api, rng).await?]);
    }
    let (s, p) = mem.api.post(path, body).await?;
    anyhow::ensure!(s == 201, "post: {p}");
    let id = p["id"].as_str().unwrap().to_owned();
    m.photos_of(&id, &p, false);
    m.marks.insert(mk.clone(), Mark::Post(id.clone()));
    let post = Post {
        author: i,
        audience,
        kind,
        marker: mk,
        mentions: named,
    };
    m.posts.insert(id.clone(), post);
    // Told when written, if they could see it then.
    if named != i && m.sees_post(Some(named), &id) {
        m.mention_notices.insert((named, id.clone()));
    }
    Ok(id)
}

/// Members, friendships, settings, posts at every audience, comments, likes, introductions and
/// blocks, as in the first hunt; now with a marker in every text.
pub async fn build(
    run: &enishi_server::Running,
    n: usize,
    rng: &mut StdRng,
) -> anyhow::Result<(Vec<Member>, Model)> {
    let mut members = Vec::new();
    for i in 0..n {
        members.push(member(run, &name(i)).await?);
    }
    let mut m = Model {
        n,
        intro_audience: vec![Audience::Public; n],
        friends_audience: vec![Audience::Public; n],
        nickname_audience: vec![Audience::Public; n],
        fields: vec![Vec::new(); n],
        ..Model::default()
    };
    // Friendships: two or three per member, through request and acceptance (sparse enough
    // that friends of friends are not everyone).
    for a in 0..n {
        for _ in 0..rng.gen_range(1..=2) {
            let b = rng.gen_range(0..n);
            if a == b || m.are_friends(a, b) {
                continue;
            }
            common::befriend(&members[a], &members[b]).await?;
            m.friends.insert((a.min(b), a.max(b)));
        }
    }
    // Some requests left pending; never both ways between one pair (crossing requests are
    // mutual consent and make friends, which the model would not know).
    let mut pending = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
        if a != b && !m.are_friends(a, b) && pending.insert((a.min(b), a.max(b))) {
            let (s, body) = members[a]
                .api
                .post("/api/v1/friends/requests", json!({"target": name(b)}))
                .await?;
            anyhow::ensure!(s == 201, "request {} → {}: {s} {body}", name(a), name(b));
            m.requests.insert((a, b));
        }
    }
    for (i, mem) in members.iter().enumerate() {
        let footprints = rng.gen_bool(0.8);
        if !footprints {
            m.footprints_off.insert(i);
        }
        set_profile(mem, i, &mut m, rng, footprints).await?;
    }
    // Content: every member writes at every audience, diaries and voice posts mixed.
    for (i, mem) in members.iter().enumerate() {
        for audience in Audience::ALL {
            write_post(mem, i, audience, &mut m, rng).await?;
        }
    }
    // Comments and likes: random attempts; the API must allow exactly those the rule allows.
    let post_ids: Vec<String> = m.posts.keys().cloned().collect();
    for _ in 0..(n * 6) {
        let v = rng.gen_range(0..n);
        let id = post_ids.choose(rng).unwrap().clone();
        let kind = m.posts[&id].kind;
        let allowed = m.sees_post(Some(v), &id);
        if rng.gen_bool(0.5) {
            let mk = mark(&mut m, rng, Mark::Comment(String::new()));
            let path = format!("/api/v1/{kind}/{id}/comments");
            let (s, c) = members[v]
                .api
                .post(&path, json!({"text": format!("comment {mk}")}))
                .await?;
            anyhow::ensure!(
                (s == 201) == allowed,
                "comment by {} on {id}: {s} (allowed {allowed})",
                name(v)
            );
            if s == 201 {
                let cid = c["id"].as_str().unwrap().to_owned();
                m.marks.insert(mk, Mark::Comment(cid.clone()));
                m.comments.insert(cid, (id, v));
            }
        } else {
            let (s, _) = members[v]
                .api
                .post_empty(&format!("/api/v1/{kind}/{id}/like"))
                .await?;
            anyhow::ensure!(
                (s == 204) == allowed,
                "like by {} on {id}: {s} (allowed {allowed})",
                name(v)
            );
            if s == 204 {
                m.likes.insert((id, v));
            }
        }
    }
    // Introductions between friends, some hidden by their subject.
    let pairs: Vec<(usize, usize)> = m.friends.iter().copied().collect();
    for (a, b) in pairs {
        for (w, s) in [(a, b), (b, a)] {
            if !rng.gen_bool(0.5) {
                continue;
            }
            let mk = mark(&mut m, rng, Mark::Intro(String::new()));
            let (st, i) = members[w]
                .api
                .post(
                    &format!("/api/v1/users/{}/introductions", name(s)),
                    json!({"text": format!("kind words {mk}")}),
                )
                .await?;
            anyhow::ensure!(st == 201, "introduction: {i}");
            let id = i["id"].as_str().unwrap().to_owned();
            m.marks.insert(mk, Mark::Intro(id.clone()));
            let hidden = rng.gen_bool(0.25);
            if hidden {
                members[s]
                    .api
                    .post_empty(&format!("/api/v1/introductions/{id}/hide"))
                    .await?;
            }
            m.intros.insert(id, (w, s, hidden));
        }
    }
    // Blocks, some between friends (which ends the friendship and its introductions).
    for _ in 0..3 {
        let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
        if a == b || m.blocks.contains(&(a, b)) {
            continue;
        }
        let (s, body) = members[a]
            .api
            .post("/api/v1/blocks", json!({"target": name(b)}))
            .await?;
        anyhow::ensure!(s == 204, "block: {body}");
        m.block(a, b);
    }
    Ok((members, m))
}

/// The second phase: unfriending from either side, blocking a friend and lifting a block,
/// narrowing and widening posts, hiding, showing and deleting introductions, new section
/// audiences and profiles, members deleting their comments. Failed changes are problems.
pub async fn change(
    members: &[Member],
    m: &mut Model,
    rng: &mut StdRng,
    r: &Report,
) -> anyhow::Result<()> {
    let mut pairs: Vec<(usize, usize)> = m.friends.iter().copied().collect();
    pairs.shuffle(rng);
    for (k, (x, y)) in pairs.into_iter().take(5).enumerate() {
        let (a, b) = if rng.gen_bool(0.5) { (x, y) } else { (y, x) };
        let (s, body) = if k < 3 {
            members[a]
                .api
                .delete(&format!("/api/v1/friends/{}", name(b)))
                .await?
        } else {
            let target = json!({"target": name(b)});
            members[a].api.post("/api/v1/blocks", target).await?
        };
        r.check(s == 204, || {
            format!(
                "{} ends the friendship with {}: {s} {body}",
                name(a),
                name(b)
            )
        });
        if k < 3 {
            m.sever(a, b);
            m.ended.insert((x, y), format!("unfriended by {}", name(a)));
        } else {
            m.block(a, b);
            m.ended.insert((x, y), format!("blocked by {}", name(a)));
        }
    }
    // Lift one block (the friendship stays ended).
    if let Some((a, b)) = m
        .blocks
        .iter()
        .copied()
        .collect::<Vec<_>>()
        .choose(rng)
        .copied()
    {
        let (s, body) = members[a]
            .api
            .delete(&format!("/api/v1/blocks/{}", name(b)))
            .await?;
        r.check(s == 204, || {
            format!("{} unblocks {}: {s} {body}", name(a), name(b))
        });
        m.blocks.remove(&(a, b));
        m.ended.insert(
            (a.min(b), a.max(b)),
            format!("blocked and unblocked by {}", name(a)),
        );
    }
    let ids: Vec<String> = m.posts.keys().cloned().collect();
    for id in ids {
        if !rng.gen_bool(0.3) {
            continue;
        }
        let p = &m.posts[&id];
        let (author, kind, old) = (p.author, p.kind, p.audience);
        let others: Vec<Audience> = Audience::ALL.into_iter().filter(|a| *a != old).collect();
        let new = *others.choose(rng).expect("audiences");
        let (s, body) = members[author]
            .api
            .patch(&format!("/api/v1/{kind}/{id}"), json!({ "audience": new }))
            .await?;
        r.check(s == 200, || {
            format!(
                "{} changes {kind}/{id} to {}: {s} {body}",
                name(author),
                new.as_str()
            )
        });
        if s == 200 {
            m.posts.get_mut(&id).expect("known").audience = new;
            m.photos_of(&id, &body, !new.includes(old));
        }
    }
    let intros: Vec<String> = m.intros.keys().cloned().collect();
    for id in intros {
        if !rng.gen_bool(0.4) {
            continue;
        }
        let (w, s, hidden) = m.intros[&id];
        let (by, path, delete) = match rng.gen_range(0..3) {
            0 => (
                s,
                format!(
                    "/api/v1/introductions/{id}/{}",
                    if hidden { "show" } else { "hide" }
                ),
                false,
            ),
            1 => (w, format!("/api/v1/introductions/{id}"), true),
            _ => (s, format!("/api/v1/introductions/{id}"), true),
        };
        let (st, body) = if delete {
            members[by].api.delete(&path).await?
        } else {
            members[by].api.post_empty(&path).await?
        };
        let want = if delete { 204 } else { 200 };
        r.check(st.as_u16() == want, || {
            format!("{} {path}: {st} {body}", name(by))
        });
        if delete {
            m.intros.remove(&id);
            m.gone_intros.insert(id);
        } else {
            m.intros.get_mut(&id).expect("known").2 = !hidden;
        }
    }
    for (i, mem) in members.iter().enumerate() {
        if rng.gen_bool(0.5) {
            let footprints = !m.footprints_off.contains(&i);
            set_profile(mem, i, m, rng, footprints).await?;
        }
    }
    // Own comments on posts their authors still see.
    let comments: Vec<(String, usize)> = m
        .comments
        .iter()
        .filter(|(_, (post, a))| m.sees_post(Some(*a), post))
        .map(|(id, (_, a))| (id.clone(), *a))
        .collect();
    for (id, author) in comments {
        if !rng.gen_bool(0.15) {
            continue;
        }
        let (s, body) = members[author]
            .api
            .delete(&format!("/api/v1/comments/{id}"))
            .await?;
        r.check(s == 204, || {
            format!("{} deletes own comment {id}: {s} {body}", name(author))
        });
        if s == 204 {
            m.comments.remove(&id);
            m.gone_comments.insert(id);
        }
    }
    Ok(())
}

/// A seeded generator for seed `seed`.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

//! The web pages as each member reads them, logged in with a browser session: every post page
//! answers exactly when the rule allows, and no page carries a marker the reader may not see.
//! Visits to diary and profile pages leave footprints as the API's reads do.

use super::Report;
use super::model::{Model, name};
use super::read::Prints;
use futures::stream::{self, TryStreamExt};
use std::sync::Mutex;

const CONCURRENCY: usize = 8;

/// A logged-in browser stand-in: the session cookie of one member.
pub struct Session {
    base: String,
    cookie: String,
    http: reqwest::Client,
}

impl Session {
    /// Logs `username` in by making a browser session for them directly in the database.
    pub async fn start(run: &enishi_server::Running, username: &str) -> anyhow::Result<Session> {
        let member = enishi_db::accounts::find_by_username(&run.db, username)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no member {username}"))?;
        let secret =
            enishi_db::browser_sessions::create(&run.db, member.account_id, "leak hunt").await?;
        Ok(Session {
            base: run.base_url.clone(),
            cookie: format!("enishi_session={secret}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    async fn get(&self, path: &str) -> anyhow::Result<(u16, String)> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", &self.cookie)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await?))
    }
}

fn leaves_footprint(m: &Model, me: usize, owner: usize) -> bool {
    me != owner && !m.footprints_off.contains(&me) && !m.footprints_off.contains(&owner)
}

/// Every page `me` can open: home, each post's page, each profile with its lists, and their
/// own notifications, footprints and friends pages.
pub async fn as_member(
    r: &Report,
    session: &Session,
    me: usize,
    m: &Model,
    prints: &Mutex<Prints>,
) -> anyhow::Result<()> {
    let who = name(me);
    let v = Some(me);
    let scan = |path: &str, body: &str| r.scan(m, v, &format!("HTML {path}"), body);
    stream::iter(m.posts.iter().map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |(id, p)| {
            let who = &who;
            async move {
                let path = format!("/{}/{id}", p.kind);
                let (s, body) = session.get(&path).await?;
                scan(&path, &body);
                let sees = m.sees_post(v, id);
                r.check((s == 200) == sees && (s == 200 || s == 404), || {
                    format!(
                        "{}: {who} [{}] page {path} ({} by {}): {s}",
                        if sees { "DENIED" } else { "LEAK" },
                        m.standing(v, p.author),
                        p.audience.as_str(),
                        name(p.author)
                    )
                });
                if s == 200 && p.kind == "diaries" && leaves_footprint(m, me, p.author) {
                    prints.lock().unwrap().insert((p.author, me, id.clone()));
                }
                Ok(())
            }
        })
        .await?;
    stream::iter((0..m.n).map(Ok::<_, anyhow::Error>))
        .try_for_each_concurrent(CONCURRENCY, |o| async move {
            let on = name(o);
            let path = format!("/users/{on}");
            let (s, body) = session.get(&path).await?;
            scan(&path, &body);
            // Blocked by its owner: no page. The blocker still gets the page of whom they
            // block (it offers only "unblock"; the marker scan judges what it shows), also when
            // blocked back: a 404 then would tell them that the other blocks them too.
            let hidden = m.blocks.contains(&(o, me)) && !m.blocks.contains(&(me, o));
            r.check((s == 404) == hidden && (s == 200) != hidden, || {
                format!("{} profile page of {on}: {s}", name(me))
            });
            if s == 200 && leaves_footprint(m, me, o) {
                prints.lock().unwrap().insert((o, me, "profile".into()));
            }
            for list in ["diaries", "friends"] {
                let path = format!("/users/{on}/{list}");
                let (_, body) = session.get(&path).await?;
                scan(&path, &body);
            }
            Ok(())
        })
        .await?;
    for path in [
        "/",
        "/timeline",
        "/notifications",
        "/footprints",
        "/friends",
        "/friends/requests",
        "/friends/blocks",
        "/tags/hunt",
    ] {
        let (_, body) = session.get(path).await?;
        scan(path, &body);
    }
    Ok(())
}

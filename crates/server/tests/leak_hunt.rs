//! The leak hunt (issues 3 and 11): communities of members with random friendships, blocks,
//! profile settings and content at every audience, with a unique marker in every piece of
//! text; every member and an anonymous visitor request every object through every read path
//! (API, the web pages logged in and as a visitor, ActivityStreams documents, the Mastodon client
//! API and its streams), and what each one sees must equal what the audience
//! rule allows — no leaks, no wrongful denials — and no body may carry a marker its reader may
//! not see. Then the community changes after the fact (unfriending, blocking and unblocking a
//! friend, narrowing and widening posts, hiding and deleting introductions, new section
//! audiences and profiles, deleted comments) and everything is read again. Members also
//! report what they can and cannot see, and the moderators' queue shows each report only as
//! its reporter may see it (issue 17). Several seeds per
//! run; problems are collected and reported with their seed. On SQLite and PostgreSQL.
//!
//! The expected answers come from `enishi_core`'s pure functions applied to a model of the
//! community that the test keeps itself. `ENISHI_LEAK_HUNT_SEED` replays a community (and the
//! seeds after it); `ENISHI_LEAK_HUNT_SEEDS` sets how many a run hunts through (default 3).

mod common;
mod hunt;

use enishi_testkit::TestDb;
use hunt::model::Model;
use hunt::read::Prints;
use hunt::{Report, build, html, mastodon_mine, mastodon_stream, pages, read};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

enishi_testkit::main!(db: [leak_hunt]);

/// Members per community: sparse enough that friends of friends are not everyone, small enough
/// that several communities fit in a run.
const MEMBERS: usize = 10;

async fn leak_hunt(t: TestDb) -> anyhow::Result<()> {
    let first: u64 = std::env::var("ENISHI_LEAK_HUNT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let seeds: u64 = std::env::var("ENISHI_LEAK_HUNT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let started = Instant::now();
    let mut problems = Vec::new();
    for seed in (0..seeds).map(move |i| first.wrapping_add(i)) {
        let at = Instant::now();
        let db = TestDb::create(t.kind).await?;
        let report = hunt_seed(&db, seed).await?;
        db.destroy().await?;
        let found = report.lines();
        eprintln!(
            "leak hunt seed {seed}: {MEMBERS} members, {} checks, {} problems, {:.1} s",
            report.checks.load(Ordering::Relaxed),
            found.len(),
            at.elapsed().as_secs_f64()
        );
        problems.extend(found);
    }
    eprintln!(
        "leak hunt: {seeds} seeds from {first} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        problems.is_empty(),
        "{} problems (replay with ENISHI_LEAK_HUNT_SEED=<seed> ENISHI_LEAK_HUNT_SEEDS=1):\n{}",
        problems.len(),
        problems.join("\n")
    );
    Ok(())
}

/// One community, read before and after the changes.
async fn hunt_seed(db: &TestDb, seed: u64) -> anyhow::Result<Report> {
    let mut rng = build::rng(seed);
    // Every member logs in three times (a web session, two app tokens), more than the login
    // limit allows one address at once; the hunt is not about that limit.
    let mut config = enishi_server::default_config(&db.url, &db.dir);
    config.access.login_per_address = (1000, std::time::Duration::from_millis(1));
    let run = enishi_server::start_on_free_port(config).await?;
    let (members, mut m) = build::build(&run, MEMBERS, &mut rng).await?;
    let report = Report::new(seed);
    let prints = Mutex::new(Prints::new());
    let anonymous = members[0].api.anonymous();
    // Member 0 also moderates: the report queue is read as them.
    enishi_db::accounts::set_role(
        &run.db,
        &hunt::model::name(0),
        enishi_db::accounts::Role::Moderator,
        "hunt",
    )
    .await?;
    let mut sessions = Vec::new();
    for mem in &members {
        sessions.push(html::Session::start(&run, &mem.name).await?);
    }
    // Each member's Mastodon app, and an app's anonymous reader.
    let apps = hunt::mastodon::tokens(&run.base_url, &members).await?;
    let app_anonymous = common::Api::new(&run.base_url, None);
    let actors: Vec<i64> = members.iter().map(|x| x.actor_id).collect();
    // The Mastodon steps draw from a generator of their own, so that a seed still makes the
    // community and the changes it made before them.
    let mut app_rng = build::rng(seed ^ 0x6d61_7374);
    let numbers = hunt::mastodon::numbers(&run.db, &m).await?;
    mastodon_mine::bookmark(&report, &apps, &mut m, &numbers, &mut app_rng).await?;
    for phase in [1, 2] {
        if phase == 2 {
            report.phase.store(2, Ordering::Relaxed);
            build::change(&members, &mut m, &mut rng, &report).await?;
            // New posts, heard as they are written through the changed relationships; then
            // read everywhere else with the rest. (Once: every post makes every read longer.)
            let (base, db) = (&run.base_url, &run.db);
            mastodon_stream::hunt(&report, base, db, &members, &apps, &mut m, &mut app_rng).await?;
        }
        read_everything(&report, &members, &anonymous, &m, &prints).await?;
        let numbers = hunt::mastodon::numbers(&run.db, &m).await?;
        let ids = hunt::mastodon::Ids::new(&numbers, &actors);
        hunt::mastodon::read(&report, &app_anonymous, None, &m, &numbers, &actors).await?;
        for (i, api) in apps.read.iter().enumerate() {
            hunt::mastodon::read(&report, api, Some(i), &m, &numbers, &actors).await?;
        }
        mastodon_mine::notifications(&report, &members, &apps, &m, &ids).await?;
        mastodon_mine::bookmarks(&report, &apps, &app_anonymous, &m, &ids).await?;
        if phase == 1 {
            hunt::reports::file(&report, &members, &m).await?;
        }
        hunt::reports::moderated(&report, &members[0].api, &m).await?;
        read::photos(&report, &m).await?;
        read::tags_and_mentions(&report, &anonymous, None, &m, phase == 1).await?;
        for (i, mem) in members.iter().enumerate() {
            read::tags_and_mentions(&report, &mem.api, Some(i), &m, phase == 1).await?;
        }
        for (i, session) in sessions.iter().enumerate() {
            html::as_member(&report, session, i, &m, &prints).await?;
        }
        let apis: Vec<&common::Api> = members.iter().map(|x| &x.api).collect();
        let visits = prints.lock().unwrap().clone();
        pages::footprints(&report, &apis, &m, &visits).await?;
    }
    let audiences: std::collections::BTreeSet<&str> =
        m.posts.values().map(|p| p.audience.as_str()).collect();
    report.check(audiences.len() == 5, || "content at every audience".into());
    run.stop().await?;
    Ok(report)
}

async fn read_everything(
    r: &Report,
    members: &[common::Member],
    anonymous: &common::Api,
    m: &Model,
    prints: &Mutex<Prints>,
) -> anyhow::Result<()> {
    read::posts(r, anonymous, None, m, prints).await?;
    read::members(r, anonymous, None, m, prints).await?;
    pages::public(r, anonymous, m).await?;
    for path in [
        "/api/v1/timeline",
        "/api/v1/notifications",
        "/api/v1/footprints",
    ] {
        let (s, _) = anonymous.get(path).await?;
        r.check(s == 401, || format!("anonymous {path}: {s}"));
    }
    for (i, mem) in members.iter().enumerate() {
        read::posts(r, &mem.api, Some(i), m, prints).await?;
        read::members(r, &mem.api, Some(i), m, prints).await?;
        pages::member(r, &mem.api, i, m).await?;
    }
    Ok(())
}

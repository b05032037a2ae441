//! The leak hunt across two instances (issues 5 and 11): several random communities, each read
//! before and after a second phase of changes, as described in `enishi_federation_tests::hunt`.
//! On SQLite and PostgreSQL.
//!
//! `ENISHI_LEAK_HUNT_SEED` replays a community (and the seeds after it); `ENISHI_LEAK_HUNT_SEEDS`
//! sets how many communities a run hunts through (default 5).

use enishi_federation_tests::hunt::{PER_INSTANCE, run_seed};
use enishi_testkit::TestDb;
use std::time::Instant;

enishi_testkit::main!(db: [no_leaks_across_two_instances]);

async fn no_leaks_across_two_instances(t: TestDb) -> anyhow::Result<()> {
    let first = std::env::var("ENISHI_LEAK_HUNT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let seeds: u64 = std::env::var("ENISHI_LEAK_HUNT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let started = Instant::now();
    let mut problems = Vec::new();
    for i in 0..seeds {
        let seed = first.wrapping_add(i);
        let at = Instant::now();
        let (found, s) = run_seed(t.kind, seed, i == 0).await?;
        eprintln!(
            "cross-instance leak hunt seed {seed}: {PER_INSTANCE} members per instance, {} friendships, {} posts, {} comments, {} introductions; {} reads, {} problems, {:.1} s",
            s.friendships,
            s.posts,
            s.comments,
            s.intros,
            s.reads,
            found.len(),
            at.elapsed().as_secs_f64()
        );
        problems.extend(found);
    }
    eprintln!(
        "cross-instance leak hunt: {seeds} seeds from {first} in {:.1} s",
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

//! Keeping the photo store in step with the database: uploads never attached are forgotten
//! after a day, re-keyed photos' files move to their new keys, and files no row needs any more
//! (deleted posts, removed photos) are deleted. Run every hour by `enishi serve` and on demand
//! by `enishi media prune`.

use chrono::Utc;
use enishi_db::Db;
use enishi_media::MediaStore;
use std::collections::BTreeMap;
use std::time::Duration;

/// What a prune did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PruneReport {
    /// Uploads forgotten because nothing took them within a day.
    pub unattached: u64,
    /// Photos whose files moved to their new key.
    pub moved: u64,
    /// Files deleted because no row needs them.
    pub deleted_files: u64,
}

/// How long an upload may wait to be attached.
pub const UNATTACHED_FOR: Duration = Duration::from_secs(24 * 3600);

/// Runs one prune. `progress` is told of each step (the command draws a bar with it).
pub async fn prune(
    db: &Db,
    store: &MediaStore,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> anyhow::Result<PruneReport> {
    let mut report = PruneReport::default();
    let before = Utc::now() - chrono::Duration::from_std(UNATTACHED_FOR)?;
    report.unattached = enishi_db::media::forget_unattached(db, before).await?;

    let moves = enishi_db::media::pending_moves(db).await?;
    for (i, m) in moves.iter().enumerate() {
        progress("moving re-keyed files", i as u64, moves.len() as u64);
        for stem in ["original", "small"] {
            let file = format!("{stem}.{}", m.ext);
            store.copy(&m.from, &m.to, &file).await?;
        }
        // Only once the row points at the new files may the old ones go.
        if enishi_db::media::moved(db, m.id, &m.to).await? {
            for stem in ["original", "small"] {
                store.delete(&m.from, &format!("{stem}.{}", m.ext)).await?;
            }
            report.moved += 1;
        }
    }

    // Files are written before their row; a key younger than this may be an upload in
    // flight, not an orphan.
    let live = enishi_db::media::live_keys(db).await?;
    let mut orphans: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let cutoff = Utc::now() - chrono::Duration::minutes(10);
    for f in store.inventory().await? {
        if !live.contains(&f.key) && f.last_modified < cutoff {
            orphans.entry(f.key).or_default().push(f.file);
        }
    }
    let total: u64 = orphans.values().map(|v| v.len() as u64).sum();
    let mut done = 0;
    for (key, files) in orphans {
        for file in files {
            progress("deleting unused files", done, total);
            store.delete(&key, &file).await?;
            done += 1;
            report.deleted_files += 1;
        }
    }
    Ok(report)
}

/// Prunes every hour until the process ends.
pub fn spawn_hourly(db: Db, store: MediaStore) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match prune(&db, &store, &|_, _, _| {}).await {
                Ok(r) if r != PruneReport::default() => tracing::info!(?r, "pruned media"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning media failed"),
            }
        }
    })
}

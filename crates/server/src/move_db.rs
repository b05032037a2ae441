//! `enishi db move-to-postgres URL`: an SQLite instance moves, whole, to PostgreSQL.
//!
//! The copy is made from a snapshot of the SQLite file (`enishi.db.move-snapshot`, taken with
//! `VACUUM INTO`), so that an interrupted move resumes from the same data; the snapshot is
//! removed when the move completes. If the live database changed after the snapshot (Enishi
//! was left running), the move says so and fails rather than leave those changes behind.

use crate::Config;
use anyhow::{Context, bail};
use std::path::PathBuf;

/// What a completed move did.
pub struct Moved {
    /// Tables and rows copied.
    pub report: enishi_db::transfer::MoveReport,
    /// Whether an earlier, interrupted move was continued.
    pub resumed_snapshot: bool,
}

/// Moves the configured SQLite database into the PostgreSQL database at `url`, reporting
/// progress as (table, rows copied, all rows).
pub async fn move_to_postgres(
    config: &Config,
    url: &str,
    progress: enishi_db::transfer::Progress<'_>,
) -> anyhow::Result<Moved> {
    let Some(file) = config.sqlite_file() else {
        bail!("the configured database is not an SQLite file; there is nothing to move");
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("{url:?} is not a PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE)");
    }
    // Bring the live database to this version first, so the snapshot has this schema.
    let live = crate::open_database(config).await?;
    let snapshot = PathBuf::from(format!("{}.move-snapshot", file.display()));
    let resumed_snapshot = snapshot.exists();
    if !resumed_snapshot {
        let partial = PathBuf::from(format!("{}.partial", snapshot.display()));
        let _ = std::fs::remove_file(&partial);
        crate::backup::sqlite_snapshot(&live, &partial).await?;
        std::fs::rename(&partial, &snapshot)?;
    }
    let source = enishi_db::open_sqlite_read_only(&snapshot)
        .await
        .context("cannot open the snapshot")?;
    let target = enishi_db::connect(url, 4).await.with_context(|| {
        format!(
            "cannot open the PostgreSQL database {}",
            crate::config::redact_database_url(url)
        )
    })?;
    let report = enishi_db::transfer::move_to_postgres(&source, &target, progress).await?;
    // Anything written to the live database after the snapshot would be left behind.
    for table in enishi_db::tables::list(&source).await? {
        let (then, now) = (
            enishi_db::tables::count(&source, &table.name).await?,
            enishi_db::tables::count(&live, &table.name).await?,
        );
        if then != now {
            bail!(
                "Enishi changed the SQLite database during the move (table {}: {then} rows in the snapshot, {now} now). Stop Enishi, empty the PostgreSQL database (drop and create it), delete {} and run the move again",
                table.name,
                snapshot.display()
            );
        }
    }
    source.close().await?;
    live.close().await?;
    target.close().await?;
    std::fs::remove_file(&snapshot)
        .with_context(|| format!("cannot remove {}", snapshot.display()))?;
    Ok(Moved {
        report,
        resumed_snapshot,
    })
}

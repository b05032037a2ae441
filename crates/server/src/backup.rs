//! `enishi backup FILE` and `enishi restore FILE`: the whole database in one file, and back.
//!
//! On SQLite the backup is `VACUUM INTO`, a consistent copy made while the instance serves
//! (readers and writers carry on; the copy is the database as of one moment). On PostgreSQL it
//! is `pg_dump`'s custom format, restored by `pg_restore` in one transaction. Photos are not in
//! the database: back up the media directory (or bucket) after the database, as the admin guide
//! says.
//!
//! Neither command leaves half a file behind: both write beside the destination and rename
//! into place only when the copy is whole.

use crate::Config;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes a backup of the configured database to `file`, which must not exist yet.
pub async fn backup(config: &Config, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!(
            "{} already exists; choose a new file name (backups are never overwritten)",
            file.display()
        );
    }
    let partial = partial_path(file);
    let _ = std::fs::remove_file(&partial);
    if config.is_sqlite() {
        let db = enishi_db::connect(&config.database_url, 1)
            .await
            .context("cannot open the database")?;
        sqlite_snapshot(&db, &partial).await?;
        db.close().await?;
    } else {
        run_tool(
            Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(&partial)
                .arg(&config.database_url),
            "pg_dump",
        )?;
    }
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot move the backup into place at {}", file.display()))?;
    Ok(())
}

/// A consistent copy of the SQLite database `db` at `path` (which must not exist), made while
/// others keep reading and writing.
pub async fn sqlite_snapshot(db: &enishi_db::Db, path: &Path) -> anyhow::Result<()> {
    let name = path
        .to_str()
        .context("the backup's path is not valid UTF-8")?;
    enishi_db::tables::sqlite_copy_to(db, name)
        .await
        .with_context(|| format!("cannot write the backup to {}", path.display()))?;
    Ok(())
}

/// Restores the backup `file` into the configured database, then brings its schema up to this
/// version. On SQLite an existing database file is refused unless `replace`, which sets it
/// aside (renamed, never deleted); on PostgreSQL the database must be empty. Enishi must not
/// be running.
pub async fn restore(config: &Config, file: &Path, replace: bool) -> anyhow::Result<PathBuf> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    let set_aside = if config.is_sqlite() {
        restore_sqlite(config, file, replace).await?
    } else {
        restore_postgres(config, file).await?;
        None
    };
    let db = crate::open_database(config).await?;
    db.close().await?;
    Ok(set_aside.unwrap_or_default())
}

async fn restore_sqlite(
    config: &Config,
    file: &Path,
    replace: bool,
) -> anyhow::Result<Option<PathBuf>> {
    let target = config
        .sqlite_file()
        .context("ENISHI_DATABASE_URL names no SQLite file")?;
    // The backup must be a whole, sound Enishi database before anything is touched.
    let check = enishi_db::open_sqlite_read_only(file)
        .await
        .with_context(|| format!("{} is not an SQLite database", file.display()))?;
    let verdict = enishi_db::tables::sqlite_integrity(&check)
        .await
        .with_context(|| format!("{} is not an SQLite database", file.display()))?;
    let is_enishi = enishi_db::tables::list(&check)
        .await?
        .iter()
        .any(|t| t.name == "actor");
    check.close().await?;
    if verdict != "ok" {
        bail!("{} is damaged (integrity check: {verdict})", file.display());
    }
    if !is_enishi {
        bail!("{} is not an Enishi backup", file.display());
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let incoming = partial_path(&target);
    std::fs::copy(file, &incoming)
        .with_context(|| format!("cannot copy the backup to {}", incoming.display()))?;
    std::fs::File::open(&incoming)?.sync_all()?;
    let mut set_aside = None;
    if target.exists() {
        if !replace {
            let _ = std::fs::remove_file(&incoming);
            bail!(
                "{} already exists; stop Enishi and run again with --replace to set it aside and restore the backup in its place",
                target.display()
            );
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = PathBuf::from(format!("{}.before-restore-{stamp}", target.display()));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", target.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                std::fs::rename(&from, &to)
                    .with_context(|| format!("cannot move {} aside", from.display()))?;
            }
        }
        set_aside = Some(aside);
    }
    std::fs::rename(&incoming, &target)
        .with_context(|| format!("cannot move the restored database to {}", target.display()))?;
    Ok(set_aside)
}

async fn restore_postgres(config: &Config, file: &Path) -> anyhow::Result<()> {
    let db = enishi_db::connect(&config.database_url, 1)
        .await
        .context("cannot open the database")?;
    let tables = enishi_db::tables::list(&db).await?;
    db.close().await?;
    if let Some(t) = tables.first() {
        bail!(
            "the database is not empty (it has table {}); restore into a new, empty database (createdb) and point ENISHI_DATABASE_URL at it",
            t.name
        );
    }
    run_tool(
        Command::new("pg_restore")
            .args([
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
            ])
            .arg(&config.database_url)
            .arg(file),
        "pg_restore",
    )
}

fn partial_path(file: &Path) -> PathBuf {
    PathBuf::from(format!("{}.partial", file.display()))
}

/// Runs a PostgreSQL client tool, saying what to install if it is missing.
fn run_tool(command: &mut Command, name: &str) -> anyhow::Result<()> {
    let status = match command.status() {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{name} is not installed; install PostgreSQL's client tools (Debian: apt install postgresql-client), of the server's major version or newer"
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot run {name}")),
    };
    if !status.success() {
        bail!("{name} failed ({status}); its message is above");
    }
    Ok(())
}

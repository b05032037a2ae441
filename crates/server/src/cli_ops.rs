//! The operators' commands of `enishi` that take a while: photo store upkeep, backups and
//! the move to PostgreSQL, with progress shown on the terminal.

use crate::Config;
use std::path::Path;
use std::process::ExitCode;

/// `enishi media prune`.
pub async fn media_prune(config: Config) -> anyhow::Result<ExitCode> {
    let db = crate::open_database(&config).await?;
    let store = enishi_media::MediaStore::open(&config.media.store)?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:24} [{bar:40}] {pos}/{len}")?
            .progress_chars("=> "),
    );
    let report = crate::media_prune::prune(&db, &store, &|step, done, total| {
        bar.set_message(step.to_owned());
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    println!("uploads never attached, forgotten: {}", report.unattached);
    println!("re-keyed photos moved:            {}", report.moved);
    println!("unused files deleted:             {}", report.deleted_files);
    Ok(ExitCode::SUCCESS)
}

/// `enishi media usage`.
pub async fn media_usage(config: Config) -> anyhow::Result<ExitCode> {
    let db = crate::open_database(&config).await?;
    let store = enishi_media::MediaStore::open(&config.media.store)?;
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("listing {store:?}"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let usage = store.usage().await?;
    spinner.finish_and_clear();
    let photos = enishi_db::media::count(&db).await?;
    println!("store          {store:?}");
    println!(
        "photos         {} ({} attached)",
        photos.all, photos.attached
    );
    println!("files          {}", usage.files);
    println!("bytes          {}", usage.bytes);
    println!(
        "cache          {} bytes of other servers' photos (at most {})",
        enishi_db::remote_media::cache_bytes(&db).await?,
        config.media.cache_max
    );
    Ok(ExitCode::SUCCESS)
}

/// `enishi backup FILE`.
pub async fn backup(config: Config, file: &Path) -> anyhow::Result<ExitCode> {
    let spinner = spinner(format!("writing {}", file.display()));
    let result = crate::backup::backup(&config, file).await;
    spinner.finish_and_clear();
    result?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!("backup written to {} ({bytes} bytes)", file.display());
    match &config.media.store {
        enishi_media::StoreConfig::Local { root } => println!(
            "photos are not in the database: copy {} too (after the database)",
            root.display()
        ),
        enishi_media::StoreConfig::S3 { bucket, .. } => println!(
            "photos are not in the database: they stay in bucket {bucket} (back it up or version it there)"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `enishi restore FILE [--replace]`.
pub async fn restore(config: Config, file: &Path, replace: bool) -> anyhow::Result<ExitCode> {
    let spinner = spinner(format!("restoring {}", file.display()));
    let result = crate::backup::restore(&config, file, replace).await;
    spinner.finish_and_clear();
    let set_aside = result?;
    if !set_aside.as_os_str().is_empty() {
        println!(
            "the previous database was set aside as {}",
            set_aside.display()
        );
    }
    println!(
        "restored {} into {}",
        file.display(),
        crate::config::redact_database_url(&config.database_url)
    );
    Ok(ExitCode::SUCCESS)
}

/// `enishi db move-to-postgres URL`.
pub async fn move_to_postgres(config: Config, url: &str) -> anyhow::Result<ExitCode> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:28} [{bar:40}] {pos}/{len} rows")?
            .progress_chars("=> "),
    );
    let progress = |table: &str, done: u64, all: u64| {
        bar.set_message(table.to_owned());
        bar.set_length(all);
        bar.set_position(done);
        true
    };
    let moved = crate::move_db::move_to_postgres(&config, url, &progress).await;
    bar.finish_and_clear();
    let moved = moved?;
    if moved.resumed_snapshot {
        println!(
            "continued an interrupted move ({} rows had been copied)",
            moved.report.already_copied
        );
    }
    println!(
        "moved {} rows in {} tables to {}",
        moved.report.rows,
        moved.report.tables,
        crate::config::redact_database_url(url)
    );
    println!(
        "next: set ENISHI_DATABASE_URL to that URL and start Enishi; keep the SQLite file until you are satisfied"
    );
    Ok(ExitCode::SUCCESS)
}

fn spinner(message: String) -> indicatif::ProgressBar {
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(message);
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
}

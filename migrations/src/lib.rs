//! Enishi's schema as ordered migrations. The same migrations run on SQLite and PostgreSQL;
//! `enishi serve` and `enishi migrate` apply whatever is pending.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_foundation;
mod m20261127_000002_social;
mod m20261127_000003_outbox;
mod m20261127_000004_federation;
mod m20261128_000005_pending_indexes;
mod m20261128_000006_actor_keys;
mod m20261203_000007_section_audiences;
mod m20261203_000008_browser_sessions;
mod m20261203_000009_federation_reach;
mod m20261203_000010_mentions;
mod m20261203_000011_boosts;
mod m20261203_000012_media;
mod m20261204_000013_remote_media;
mod m20261204_000014_moderation;
mod m20261204_000015_reports;
mod m20261204_000016_mastodon_clients;
mod m20261205_000017_content_warnings;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_foundation::Migration),
            Box::new(m20261127_000002_social::Migration),
            Box::new(m20261127_000003_outbox::Migration),
            Box::new(m20261127_000004_federation::Migration),
            Box::new(m20261128_000005_pending_indexes::Migration),
            Box::new(m20261128_000006_actor_keys::Migration),
            Box::new(m20261203_000007_section_audiences::Migration),
            Box::new(m20261203_000008_browser_sessions::Migration),
            Box::new(m20261203_000009_federation_reach::Migration),
            Box::new(m20261203_000010_mentions::Migration),
            Box::new(m20261203_000011_boosts::Migration),
            Box::new(m20261203_000012_media::Migration),
            Box::new(m20261204_000013_remote_media::Migration),
            Box::new(m20261204_000014_moderation::Migration),
            Box::new(m20261204_000015_reports::Migration),
            Box::new(m20261204_000016_mastodon_clients::Migration),
            Box::new(m20261205_000017_content_warnings::Migration),
        ]
    }
}

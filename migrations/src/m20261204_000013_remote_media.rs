//! Photos of other servers' posts and actors (issue 15): a `media` row per remote attachment,
//! whose files are a bounded cache filled when someone first asks for them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Media {
    Table,
    RemoteUrl,
    FetchState,
    UsedAt,
    FetchedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        // Where a remote attachment lives; null for uploads here.
        m.alter_table(
            Table::alter()
                .table(Media::Table)
                .add_column(text_null(Media::RemoteUrl))
                .to_owned(),
        )
        .await?;
        // `stored` (an upload), `pending` (remote, not in the cache), `cached`, `failed`
        // (the last fetch failed; tried again later) or `linked` (a type not fetched).
        m.alter_table(
            Table::alter()
                .table(Media::Table)
                .add_column(string(Media::FetchState).default("stored"))
                .to_owned(),
        )
        .await?;
        // When a cached file was last served: the cache evicts the longest unused first.
        m.alter_table(
            Table::alter()
                .table(Media::Table)
                .add_column(timestamp_with_time_zone_null(Media::UsedAt))
                .to_owned(),
        )
        .await?;
        // When it was last fetched (or failed to be).
        m.alter_table(
            Table::alter()
                .table(Media::Table)
                .add_column(timestamp_with_time_zone_null(Media::FetchedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("media_cache_use")
                .table(Media::Table)
                .col(Media::FetchState)
                .col(Media::UsedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("media_cache_use")
                .table(Media::Table)
                .to_owned(),
        )
        .await?;
        for col in [
            Media::FetchedAt,
            Media::UsedAt,
            Media::FetchState,
            Media::RemoteUrl,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Media::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

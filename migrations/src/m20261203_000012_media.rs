//! Photos (issue 15): every stored image, what it is attached to, and the capability key its
//! URLs carry. The files themselves are in the media store; a row is what makes them servable.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Media {
    Table,
    Id,
    PublicId,
    Key,
    StoredKey,
    OwnerId,
    PostId,
    Position,
    AttachedAs,
    ContentType,
    Width,
    Height,
    PreviewWidth,
    PreviewHeight,
    Blurhash,
    Description,
    Size,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Actor {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Media::Table)
                .col(big_pk_auto(Media::Id))
                .col(string_uniq(Media::PublicId))
                // The capability in the URLs; changes when the audience narrows.
                .col(string_uniq(Media::Key))
                // Where the files are in the store; catches up with `key` when they are moved.
                .col(string(Media::StoredKey))
                .col(big_integer(Media::OwnerId))
                .col(big_integer_null(Media::PostId))
                .col(integer(Media::Position).default(0))
                .col(string(Media::AttachedAs))
                .col(string(Media::ContentType))
                .col(integer(Media::Width))
                .col(integer(Media::Height))
                .col(integer(Media::PreviewWidth))
                .col(integer(Media::PreviewHeight))
                .col(string(Media::Blurhash))
                .col(text_null(Media::Description))
                .col(big_integer(Media::Size))
                .col(timestamp_with_time_zone(Media::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("media_owner")
                        .from(Media::Table, Media::OwnerId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                // A deleted post takes its photos' rows (and so their URLs) with it; the
                // files go at the next prune.
                .foreign_key(
                    ForeignKey::create()
                        .name("media_post")
                        .from(Media::Table, Media::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("media_by_post")
                .table(Media::Table)
                .col(Media::PostId)
                .col(Media::Position)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("media_by_owner")
                .table(Media::Table)
                .col(Media::OwnerId)
                .col(Media::AttachedAs)
                .to_owned(),
        )
        .await
    }
}

//! Boosts (issue 14): an `Announce` of a public post by an account a member follows — a person
//! boosting, or a group (Lemmy, PeerTube, Friendica forums) passing on what was posted to it —
//! puts the post on that member's timeline, shown as boosted by the announcer.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Boost {
    Table,
    Id,
    ApId,
    BoosterId,
    PostId,
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
                .table(Boost::Table)
                .col(big_pk_auto(Boost::Id))
                .col(string_uniq(Boost::ApId))
                .col(big_integer(Boost::BoosterId))
                .col(big_integer(Boost::PostId))
                .col(timestamp_with_time_zone(Boost::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("boost_booster")
                        .from(Boost::Table, Boost::BoosterId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("boost_post")
                        .from(Boost::Table, Boost::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("boost_by_booster")
                .table(Boost::Table)
                .col(Boost::BoosterId)
                .col(Boost::PostId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("boost_by_post")
                .table(Boost::Table)
                .col(Boost::PostId)
                .to_owned(),
        )
        .await
    }
}

//! Federation state: inbound activities seen (de-duplication), the local recipients of remote
//! posts addressed to them, and remote content kept as sanitised HTML.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Actor {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
    ContentHtml,
}

#[derive(DeriveIden)]
enum Comment {
    Table,
    ContentHtml,
}

#[derive(DeriveIden)]
enum InboundActivity {
    Table,
    Id,
    ApId,
    ActorId,
    Kind,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum KnownFriendship {
    Table,
    OwnerId,
    FriendApId,
    SeenAt,
}

#[derive(DeriveIden)]
enum PostRecipient {
    Table,
    PostId,
    ActorId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Post::Table)
                .add_column(text_null(Post::ContentHtml))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Comment::Table)
                .add_column(text_null(Comment::ContentHtml))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(InboundActivity::Table)
                .col(big_pk_auto(InboundActivity::Id))
                .col(text_uniq(InboundActivity::ApId))
                .col(big_integer(InboundActivity::ActorId))
                .col(string(InboundActivity::Kind))
                .col(timestamp_with_time_zone(InboundActivity::ReceivedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("inbound_activity_actor")
                        .from(InboundActivity::Table, InboundActivity::ActorId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("inbound_activity_received")
                .table(InboundActivity::Table)
                .col(InboundActivity::ReceivedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PostRecipient::Table)
                .col(big_integer(PostRecipient::PostId))
                .col(big_integer(PostRecipient::ActorId))
                .primary_key(
                    Index::create()
                        .col(PostRecipient::PostId)
                        .col(PostRecipient::ActorId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("post_recipient_post")
                        .from(PostRecipient::Table, PostRecipient::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("post_recipient_actor")
                        .from(PostRecipient::Table, PostRecipient::ActorId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("post_recipient_by_actor")
                .table(PostRecipient::Table)
                .col(PostRecipient::ActorId)
                .col(PostRecipient::PostId)
                .to_owned(),
        )
        .await?;
        // Friendships between actors elsewhere that this instance has seen (a friend's friend
        // list, fetched with the member's signature): the proof behind friends of friends
        // across instances (DESIGN §3).
        m.create_table(
            Table::create()
                .table(KnownFriendship::Table)
                .col(big_integer(KnownFriendship::OwnerId))
                .col(text(KnownFriendship::FriendApId))
                .col(timestamp_with_time_zone(KnownFriendship::SeenAt))
                .primary_key(
                    Index::create()
                        .col(KnownFriendship::OwnerId)
                        .col(KnownFriendship::FriendApId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("known_friendship_owner")
                        .from(KnownFriendship::Table, KnownFriendship::OwnerId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("known_friendship_by_friend")
                .table(KnownFriendship::Table)
                .col(KnownFriendship::FriendApId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(KnownFriendship::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(PostRecipient::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(InboundActivity::Table).to_owned())
            .await?;
        for (table, col) in [
            (Post::Table.into_iden(), Post::ContentHtml.into_iden()),
            (Comment::Table.into_iden(), Comment::ContentHtml.into_iden()),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
